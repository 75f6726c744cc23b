"""Tests of the Gainsight CS Data API emulator, over a real socket with plain ``requests``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from tests.emulator import CSEmulator, CSQuirks, CSRequestRecord, CSTenant, Faults
from tests.emulator.cs_ratelimit import RateLimiter
from tests.emulator.cs_tenant import OBJECT_FIELDS

ROOT = Path(__file__).resolve().parent.parent
QUERY = "/v1/data/objects/query"
DESCRIBE = "/v1/meta/services/objects/describe"
ENVELOPE_KEYS = {"result", "errorCode", "errorDesc", "requestId", "data", "message"}


@pytest.fixture(scope="module")
def emu():
    """A read-only emulator without quota, shared by the module."""
    with CSEmulator(CSTenant.generate(seed=11), requests_per_minute=None) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def http(emu):
    session = requests.Session()
    session.headers["accesskey"] = emu.access_key
    yield session
    session.close()


@pytest.fixture
def small():
    """A fresh small emulator of its own, for tests that change quirks, data or the quota."""
    tenant = CSTenant.generate(seed=3, companies=40, people=60)
    with CSEmulator(tenant, requests_per_minute=None, faults=Faults(seed=2)) as emulator:
        session = requests.Session()
        session.headers["accesskey"] = emulator.access_key
        yield emulator, session
        session.close()


def query(http, base_url, obj, body):
    return http.post(f"{base_url}{QUERY}/{obj}", json=body)


def records(response):
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["result"] is True
    return payload["data"]["records"]


def fmt(ms):
    """A DATETIME condition value, ``yyyy-MM-dd HH:mm:ss`` UTC."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def cond(name, operator, *values, alias=None):
    c = {"name": name, "operator": operator, "value": list(values)}
    if alias:
        c["alias"] = alias
    return c


# -- auth, routing, envelope ----------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"accesskey": "wrong"}])
def test_bad_access_key_is_401_with_cs_envelope(emu, headers):
    r = requests.post(f"{emu.base_url}{QUERY}/Company", json={"select": ["Gsid"]}, headers=headers)
    assert r.status_code == 401
    body = r.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["result"] is False
    assert body["errorCode"] == "GS_APIG_2401"
    assert body["errorDesc"] == "Invalid access key"
    assert body["data"] is None
    assert body["message"] is None
    assert len(body["requestId"]) == 36


def test_access_key_header_name_is_case_insensitive(emu):
    r = requests.post(
        f"{emu.base_url}{QUERY}/Company",
        json={"select": ["Gsid"], "limit": 1},
        headers={"AccessKey": emu.access_key},
    )
    assert r.status_code == 200
    assert emu.base_url.startswith("http://127.0.0.1:")
    assert not emu.base_url.endswith("/v1")


def test_success_envelope_and_projection(emu, http):
    r = query(http, emu.base_url, "Company", {"select": ["Gsid", "Tier__gc"], "limit": 3})
    body = r.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["errorCode"] is None
    assert body["errorDesc"] is None
    assert body["message"] is None
    assert [set(rec) for rec in body["data"]["records"]] == [{"Gsid", "Tier__gc"}] * 3
    # No orderBy: storage order.
    gsids = [c["Gsid"] for c in emu.tenant.collections["Company"][:3]]
    assert [rec["Gsid"] for rec in body["data"]["records"]] == gsids


def test_unknown_object_field_and_path(emu, http):
    r = query(http, emu.base_url, "Opportunity", {"select": ["Gsid"]})
    assert r.status_code == 400
    assert r.json()["errorCode"] == "GSOBJ_1002"
    assert "Opportunity" in r.json()["errorDesc"]
    r = query(http, emu.base_url, "Person", {"select": ["Gsid", "Nope"]})
    assert r.status_code == 400
    assert "Nope" in r.json()["errorDesc"]
    assert http.post(f"{emu.base_url}/v1/data/objects/nothing", json={}).status_code == 404
    assert http.get(f"{emu.base_url}{QUERY}/Person").status_code == 405
    # Object names match case-insensitively.
    assert records(query(http, emu.base_url, "person", {"select": ["Gsid"], "limit": 1}))


# -- where, orderBy, paging ---------------------------------------------------------------------


def test_gte_modified_date_ordered_by_modified_date_then_gsid(emu, http):
    companies = emu.tenant.collections["Company"]
    counts = Counter(c["ModifiedDate"] for c in companies if c["ModifiedDate"] is not None)
    # A shared ModifiedDate on a whole second, so the boundary itself must be included.
    boundary = min(ms for ms, n in counts.items() if n > 1 and ms % 1000 == 0)
    body = {
        "select": ["Gsid", "ModifiedDate"],
        "where": {"conditions": [cond("ModifiedDate", "GTE", fmt(boundary), alias="A")]},
        "orderBy": {"ModifiedDate": "asc", "Gsid": "asc"},
        "limit": 5000,
    }
    got = records(query(http, emu.base_url, "Company", body))
    expected = sorted(
        (
            {"Gsid": c["Gsid"], "ModifiedDate": c["ModifiedDate"]}
            for c in companies
            if c["ModifiedDate"] is not None and c["ModifiedDate"] >= boundary
        ),
        key=lambda c: (c["ModifiedDate"], c["Gsid"]),
    )
    assert 100 < len(expected) < len(companies) - 20
    assert got == expected
    assert got[0]["ModifiedDate"] == boundary
    assert got[1]["ModifiedDate"] == boundary
    # The same bound as an epoch-ms number gives the same answer.
    body["where"]["conditions"][0]["value"] = [boundary]
    assert records(query(http, emu.base_url, "Company", body)) == expected


def test_descending_order_and_nulls_first_ascending(emu, http):
    body = {"select": ["Gsid", "ModifiedDate"], "orderBy": {"ModifiedDate": "asc"}, "limit": 5000}
    asc = [r["ModifiedDate"] for r in records(query(http, emu.base_url, "Company", body))]
    nulls = sum(c["ModifiedDate"] is None for c in emu.tenant.collections["Company"])
    assert nulls > 0
    assert asc[:nulls] == [None] * nulls
    assert asc[nulls:] == sorted(asc[nulls:])
    body["orderBy"] = {"ModifiedDate": "DESC"}
    desc = [r["ModifiedDate"] for r in records(query(http, emu.base_url, "Company", body))]
    assert desc[-nulls:] == [None] * nulls
    assert desc[:-nulls] == sorted(asc[nulls:], reverse=True)


def test_offset_limit_paging_covers_every_record_once(emu, http):
    people = emu.tenant.collections["Person"]
    seen, offset, pages = [], 0, 0
    while True:
        body = {"select": ["Gsid"], "orderBy": {"Gsid": "asc"}, "limit": 700, "offset": offset}
        r = query(http, emu.base_url, "Person", body)
        if r.status_code == 400:  # offset past the end: the "no entity" answer
            assert r.json()["errorCode"] == "GSOBJ_1011"
            break
        page = records(r)
        pages += 1
        seen += [p["Gsid"] for p in page]
        offset += 700
    assert pages == -(-len(people) // 700)
    assert len(seen) == len(people)
    assert seen == sorted(p["Gsid"] for p in people)


def test_limit_bounds(emu, http):
    r = query(http, emu.base_url, "Person", {"select": ["Gsid"], "limit": 5001})
    assert r.status_code == 400
    assert r.json()["errorCode"] == "GSOBJ_1015"
    assert "5000" in r.json()["errorDesc"]
    assert len(records(query(http, emu.base_url, "Person", {"select": ["Gsid"], "limit": 5000})))
    assert len(records(query(http, emu.base_url, "Person", {"select": ["Gsid"]}))) == 100
    for bad in ({"limit": 0}, {"limit": "10"}, {"offset": -1}):
        assert query(http, emu.base_url, "Person", {"select": ["Gsid"], **bad}).status_code == 400


def test_and_or_expression_with_parentheses(emu, http):
    conditions = [
        cond("Tier__gc", "EQ", "SMB", alias="A"),
        cond("Stage", "IN", "Launched", "Adopting", alias="B"),
        cond("Employees", "GT", 1000, alias="C"),
    ]
    companies = emu.tenant.collections["Company"]

    def run(expression):
        body = {
            "select": ["Gsid"],
            "where": {"conditions": conditions, "expression": expression},
            "limit": 5000,
        }
        return {r["Gsid"] for r in records(query(http, emu.base_url, "Company", body))}

    a = {c["Gsid"] for c in companies if c["Tier__gc"] == "SMB"}
    b = {c["Gsid"] for c in companies if c["Stage"] in ("Launched", "Adopting")}
    c_ = {c["Gsid"] for c in companies if c["Employees"] > 1000}
    assert run("A AND (B OR C)") == a & (b | c_)
    assert run("(A AND B) OR C") == (a & b) | c_
    assert run("A and B or C") == (a & b) | c_  # AND binds tighter, keywords case-insensitive
    assert a & (b | c_) != (a & b) | c_  # the two groupings really differ on this data
    for bad in ("A AND (B OR C", "A AND B", "A OR D AND B OR C", "A AND AND B OR C"):
        r = query(
            http,
            emu.base_url,
            "Company",
            {"select": ["Gsid"], "where": {"conditions": conditions, "expression": bad}},
        )
        assert r.status_code == 400, bad
    # Without an expression every condition is ANDed.
    body = {"select": ["Gsid"], "where": {"conditions": conditions}, "limit": 5000}
    assert {r["Gsid"] for r in records(query(http, emu.base_url, "Company", body))} == a & b & c_


def test_is_null_and_other_operators(emu, http):
    people = emu.tenant.collections["Person"]

    def gsids(*conditions):
        body = {"select": ["Gsid"], "where": {"conditions": list(conditions)}, "limit": 5000}
        r = query(http, emu.base_url, "Person", body)
        return set() if r.status_code == 400 else {p["Gsid"] for p in records(r)}

    nulls = {p["Gsid"] for p in people if p["ModifiedDate"] is None}
    assert 0 < len(nulls) < len(people) // 50
    assert gsids(cond("ModifiedDate", "IS_NULL")) == nulls
    assert gsids(cond("ModifiedDate", "IS_NOT_NULL")) == {p["Gsid"] for p in people} - nulls
    lo, hi = "2026-01-01 00:00:00", "2026-03-01 00:00:00"
    lo_ms = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
    hi_ms = int(datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp() * 1000)
    assert gsids(cond("ModifiedDate", "BTW", lo, hi)) == {
        p["Gsid"] for p in people if p["ModifiedDate"] and lo_ms <= p["ModifiedDate"] <= hi_ms
    }
    smiths = {p["Gsid"] for p in people if "smith" in p["Email"]}
    assert smiths
    assert gsids(cond("Email", "CONTAINS", "SMITH")) == smiths
    assert gsids(cond("LastName", "CONTAINS", "müll")) == {
        p["Gsid"] for p in people if p["LastName"] == "Müller"
    }
    assert gsids(cond("Title", "NE", "CTO")) == {
        p["Gsid"] for p in people if p["Title"] is not None and p["Title"] != "CTO"
    }
    assert gsids(cond("IsActive", "EQ", False), cond("Region__gc", "EQ", "EMEA")) == {
        p["Gsid"] for p in people if not p["IsActive"] and p["Region__gc"] == "EMEA"
    }
    for bad in (
        cond("ModifiedDate", "GTE", "2026-01-01T00:00:00Z"),
        cond("ModifiedDate", "LIKE", "x"),
        cond("ModifiedDate", "BTW", lo),
        {"name": "Email", "operator": "EQ", "value": "a@b.c"},
    ):
        body = {"select": ["Gsid"], "where": {"conditions": [bad]}}
        assert query(http, emu.base_url, "Person", body).status_code == 400, bad


# -- quirks --------------------------------------------------------------------------------------


def test_empty_result_is_http_400_or_200_result_false(small):
    emu, http = small
    body = {"select": ["Gsid"], "where": {"conditions": [cond("Name", "EQ", "No Such Co")]}}
    r = query(http, emu.base_url, "Company", body)
    assert r.status_code == 400
    assert r.json()["errorCode"] == "GSOBJ_1011"
    assert r.json()["errorDesc"] == "No entity matches the given criteria"
    assert r.json()["result"] is False
    assert r.json()["data"] is None

    emu.quirks.empty_as_http_400 = False
    r = query(http, emu.base_url, "Company", body)
    assert r.status_code == 200
    assert r.json()["result"] is False
    assert r.json()["errorCode"] == "GSOBJ_1011"
    assert r.json()["data"] is None


def test_data_as_list_quirk(small):
    emu, http = small
    body = {"select": ["Gsid", "Name"], "orderBy": {"Gsid": "asc"}, "limit": 5}
    as_object = query(http, emu.base_url, "Person", body).json()["data"]
    emu.quirks.data_as_list = True
    as_list = query(http, emu.base_url, "Person", body).json()["data"]
    assert isinstance(as_object, dict)
    assert isinstance(as_list, list)
    assert as_list == as_object["records"]
    assert len(as_list) == 5


def test_describe_lists_every_field_and_can_be_unavailable(small):
    emu, http = small
    r = http.post(f"{emu.base_url}{DESCRIBE}", json={"objectNames": ["Company", "Person"]})
    assert r.status_code == 200
    data = r.json()["data"]
    assert [d["objectName"] for d in data] == ["Company", "Person"]
    company = {f["fieldName"]: f["dataType"] for f in data[0]["fields"]}
    assert company == OBJECT_FIELDS["Company"]
    assert set(company) == set(emu.tenant.collections["Company"][0])
    assert {"Gsid": "GSID", "ModifiedDate": "DATETIME", "Employees": "NUMBER"}.items() <= (
        company.items()
    )
    assert company["Csm"] == "LOOKUP"
    assert company["IsActive"] == "BOOLEAN"
    person = {f["fieldName"]: f["dataType"] for f in data[1]["fields"]}
    assert set(person) == set(emu.tenant.collections["Person"][0])
    assert person["Email"] == "EMAIL"

    bad = http.post(f"{emu.base_url}{DESCRIBE}", json={"objectNames": ["Widget"]})
    assert bad.status_code == 400
    assert bad.json()["errorCode"] == "GSOBJ_1002"
    emu.quirks.describe_unavailable = True
    gone = http.post(f"{emu.base_url}{DESCRIBE}", json={"objectNames": ["Company"]})
    assert gone.status_code == 404


# -- quota, faults, log ----------------------------------------------------------------------------


def test_sixth_request_in_a_minute_is_429_with_retry_after():
    tenant = CSTenant.generate(seed=3, companies=10, people=10)
    with CSEmulator(tenant, requests_per_minute=5) as emu:
        url = f"{emu.base_url}{QUERY}/Company"
        headers = {"accesskey": emu.access_key}
        statuses = [
            requests.post(url, json={"select": ["Gsid"]}, headers=headers).status_code
            for _ in range(5)
        ]
        assert statuses == [200] * 5
        r = requests.post(url, json={"select": ["Gsid"]}, headers=headers)
        assert r.status_code == 429
        assert 55 <= int(r.headers["Retry-After"]) <= 60
        assert r.json()["result"] is False
        assert r.json()["errorCode"] == "GS_APIG_429"
        assert requests.post(url, json={"select": ["Gsid"]}, headers=headers).status_code == 429
        assert emu.rate_limiter.refused == 2
        assert [q.status for q in emu.requests] == [200] * 5 + [429] * 2


def test_rate_limiter_window_slides():
    now = [1000.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.acquire() is None
    now[0] += 30
    assert limiter.acquire() is None
    assert limiter.acquire() == 30  # the first slot frees 60 s after it was taken
    now[0] += 29.5
    assert limiter.acquire() == 1  # never 0
    now[0] += 0.5
    assert limiter.acquire() is None  # the first request left the window
    assert limiter.acquire() == 30
    assert limiter.refused == 3
    limiter.per_minute = None
    assert limiter.acquire() is None


def test_faults_error_and_reset(small):
    emu, http = small
    emu.faults.error_rate = 1.0
    r = query(http, emu.base_url, "Company", {"select": ["Gsid"]})
    assert r.status_code in (500, 502, 503)
    emu.faults.error_rate = 0.0
    emu.faults.reset_rate = 1.0
    with pytest.raises(requests.ConnectionError):
        query(http, emu.base_url, "Company", {"select": ["Gsid"]})
    emu.faults.reset_rate = 0.0
    assert records(query(http, emu.base_url, "Company", {"select": ["Gsid"]}))
    assert [q.status for q in emu.requests][-3:] == [r.status_code, 0, 200]
    assert emu.faults.injected["error"] == 1
    assert emu.faults.injected["reset"] == 1


def test_request_log_keeps_parsed_bodies(small):
    emu, http = small
    emu.reset_log()
    body = {"select": ["Gsid"], "limit": 2}
    query(http, emu.base_url, "Person", body)
    requests.post(f"{emu.base_url}{DESCRIBE}", data="not json")
    assert emu.requests == [
        CSRequestRecord("POST", f"{QUERY}/Person", body, 200),
        CSRequestRecord("POST", DESCRIBE, None, 401),
    ]
    emu.reset_log()
    assert emu.requests == []


# -- tenant ----------------------------------------------------------------------------------------


def test_advance_modifies_records_inside_the_new_period(small):
    emu, http = small
    tenant = emu.tenant
    before_ms = tenant.now_ms
    old = {p["Gsid"]: p["ModifiedDate"] for p in tenant.collections["Person"]}
    changed = tenant.advance(timedelta(hours=6), touch=7, new=3)
    assert tenant.now_ms == before_ms + 6 * 3_600_000
    assert {k: len(v) for k, v in changed.items()} == {"Company": 10, "Person": 10}
    for recs in changed.values():
        assert all(before_ms < r["ModifiedDate"] <= tenant.now_ms for r in recs)
    new_people = [p for p in changed["Person"] if p["Gsid"] not in old]
    assert len(new_people) == 3
    assert len(tenant.collections["Person"]) == len(old) + 3
    # An incremental query from the old clock returns exactly the changed records.
    body = {
        "select": ["Gsid", "ModifiedDate"],
        "where": {"conditions": [cond("ModifiedDate", "GT", before_ms)]},
        "limit": 5000,
    }
    got = {p["Gsid"]: p["ModifiedDate"] for p in records(query(http, emu.base_url, "Person", body))}
    assert got == {p["Gsid"]: p["ModifiedDate"] for p in changed["Person"]}
    assert all(got[g] != old[g] for g in got if g in old)


def test_generation_is_deterministic_by_seed():
    a = CSTenant.generate(seed=5, companies=50, people=80)
    b = CSTenant.generate(seed=5, companies=50, people=80)
    c = CSTenant.generate(seed=6, companies=50, people=80)
    assert a.collections == b.collections
    assert a.collections["Company"] != c.collections["Company"]
    a.advance(timedelta(days=1))
    b.advance(timedelta(days=1))
    assert a.collections == b.collections


def test_generated_data_has_the_documented_shape():
    tenant = CSTenant.generate()
    companies, people = tenant.collections["Company"], tenant.collections["Person"]
    assert (len(companies), len(people)) == (700, 2600)
    everyone = companies + people
    gsids = [r["Gsid"] for r in everyone]
    assert len(set(gsids)) == len(gsids)
    assert all(len(g) == 36 and g.isalnum() and g == g.upper() for g in gsids)
    modified = [r["ModifiedDate"] for r in everyone]
    nulls = modified.count(None)
    assert 0.005 * len(everyone) <= nulls <= 0.02 * len(everyone)
    dated = [m for m in modified if m is not None]
    assert max(dated) < tenant.now_ms
    assert max(dated) - min(dated) > 600 * 86_400_000  # about two years
    assert sum(n for n in Counter(dated).values() if n > 1) > 0.03 * len(everyone)
    company_ids = set(gsids[: len(companies)])
    assert {p["CompanyId"] for p in people} - {None} <= company_ids
    assert all(isinstance(c["Employees"], int) for c in companies)
    assert all(isinstance(c["IsActive"], bool) for c in companies)


# -- process ------------------------------------------------------------------------------------


def test_cli_prints_one_line_and_exits_0_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator.cs", "--port", "0", "--api-key", "cli-key"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"},
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("CS_EMULATOR_URL=http://127.0.0.1:")
        url = line.split("=", 1)[1]
        r = requests.post(
            f"{url}{QUERY}/Company",
            json={"select": ["Gsid"], "limit": 1},
            headers={"accesskey": "cli-key"},
            timeout=5,
        )
        assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out == ""
    assert err == ""


def test_quirk_defaults():
    q = CSQuirks()
    assert (q.data_as_list, q.empty_as_http_400, q.describe_unavailable) == (False, True, False)
