"""Tests of the Gainsight CS Data API emulator, over a real socket with plain ``requests``."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from tests.emulator import CSEmulator, CSQuirks, CSRequestRecord, CSTenant, Faults
from tests.emulator.cs.objects import OBJECT_FIELDS
from tests.emulator.cs.ratelimit import RateLimiter
from tests.emulator.cs.values import parse_instant
from tests.emulator.drift import CS_DRIFTS, TIER_RANKS, drift_record
from tests.emulator.quirks import add_quirk_option, scrambled

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
    assert bad.json()["title"] == "OBJECT_NOT_FOUND"  # the documented answer, no errorCode
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
    assert {k: len(changed[k]) for k in ("Company", "Person")} == {"Company": 10, "Person": 10}
    for recs in (changed["Company"], changed["Person"]):
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


# -- the objects list ---------------------------------------------------------------------------

LIST = "/v1/meta/services/objects/list"
LIST_KEYS = {"objectName", "label", "objectType", "keyPrefix", "transactional",
             "multiCurrencySupported", "readable", "createable", "schemaUpdateable"}  # fmt: skip
ISO_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def dated_objects(tenant):
    return {o.name: o.modified_field for o in tenant.objects if o.modified_field is not None}


def test_objects_list_is_lower_case_typed_and_lacks_person(emu, http):
    r = http.get(f"{emu.base_url}{LIST}?po=company&em=false")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"requestId", "result", "data"}
    assert body["result"] is True
    entries = {e["objectName"]: e for e in body["data"]}
    assert all(name == name.lower() for name in entries)
    assert "company" in entries
    assert "Company" not in entries
    assert "person" not in entries  # the documented gap
    assert entries["company"]["keyPrefix"] == "1P02C503CKNHR9B14K"
    assert entries["gsuser"]["label"] == "User"
    expected = {
        "company_person", "relationship", "gsuser", "activity_timeline", "call_to_action",
        "cs_task", "cta_group", "da_picklist", "renewal_forecast__gc", "product_usage__gc",
        "email_raw_events", "internal_notes__gc",
    }  # fmt: skip
    assert expected <= set(entries)
    assert {e["objectType"] for e in entries.values()} == {"STANDARD", "CUSTOM", "SYSTEM"}
    custom = {n for n, e in entries.items() if e["objectType"] == "CUSTOM"}
    assert custom == {n for n in entries if n.endswith("__gc")}
    assert {"renewal_forecast__gc", "product_usage__gc"} <= custom
    system = entries["email_raw_events"]
    assert system["objectType"] == "SYSTEM"
    assert "keyPrefix" not in system
    assert set(system) == LIST_KEYS - {"keyPrefix"}
    assert all(set(e) == LIST_KEYS for n, e in entries.items() if n != "email_raw_events")
    unreadable = {n for n, e in entries.items() if e["readable"] is False}
    assert unreadable == {"internal_notes__gc"}
    assert all(isinstance(e[k], bool) for e in entries.values() for k in ("createable",
               "transactional", "multiCurrencySupported", "schemaUpdateable"))  # fmt: skip
    (logged,) = [q for q in emu.requests if q.path == LIST][-1:]
    assert (logged.method, logged.query, logged.body) == ("GET", "po=company&em=false", None)
    assert http.post(f"{emu.base_url}{LIST}", json={}).status_code == 405


def test_objects_list_quirks(small):
    emu, http = small
    emu.quirks.person_missing_from_list = False
    names = [e["objectName"] for e in http.get(f"{emu.base_url}{LIST}").json()["data"]]
    assert "person" in names
    assert names.index("company") < names.index("person")
    emu.quirks.list_unavailable = True
    assert http.get(f"{emu.base_url}{LIST}").status_code == 404
    # The describe is a flag of its own.
    described = http.post(f"{emu.base_url}{DESCRIBE}", json={"objectNames": ["gsuser"]})
    assert described.status_code == 200


def test_unreadable_and_system_objects_answer_when_asked_by_name(emu, http):
    for name in ("internal_notes__gc", "email_raw_events"):
        got = records(query(http, emu.base_url, name, {"select": ["Gsid"], "limit": 5000}))
        assert [r["Gsid"] for r in got] == [r["Gsid"] for r in emu.tenant.collections[name]]
        described = http.post(f"{emu.base_url}{DESCRIBE}", json={"objectNames": [name]}).json()
        (entry,) = described["data"]
        assert entry["objectName"] == name
    assert entry["objectType"] == "SYSTEM"
    assert "keyPrefix" not in entry


# -- describe -----------------------------------------------------------------------------------

DESCRIBE_FLAGS = {"includeChilds": "true", "childLevels": "0", "populatePickListOptions": "true",
                  "useCollectionId": "false", "removeDeleted": "false", "host": "MDA"}  # fmt: skip


def describe(http, emu, *names):
    r = http.post(f"{emu.base_url}{DESCRIBE}", json={"objectNames": list(names), **DESCRIBE_FLAGS})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"requestId", "result", "data"}
    return {d["objectName"]: d for d in body["data"]}


def all_rows(http, emu, obj, select):
    return records(query(http, emu.base_url, obj, {"select": select, "limit": 5000}))


def test_describe_batch_matches_names_case_insensitively_and_skips_unknown(emu, http):
    r = http.post(
        f"{emu.base_url}{DESCRIBE}",
        json={
            "objectNames": ["Company_Person", "Nope__gc", "renewal_forecast__gc",
                            "ACTIVITY_TIMELINE", "company_person"],
            **DESCRIBE_FLAGS,
        },
    )  # fmt: skip
    data = r.json()["data"]
    assert [d["objectName"] for d in data] == [
        "company_person",
        "renewal_forecast__gc",
        "activity_timeline",
    ]
    for entry in data:
        assert {"label", "objectType", "labelPlural", "keyPrefix", "fields"} <= set(entry)
        assert all(f["objectName"] == entry["objectName"] for f in entry["fields"])
        names = [f["fieldName"] for f in entry["fields"]]
        assert names == list(emu.tenant.collections[entry["objectName"]][0])
    timeline = {f["fieldName"]: f for f in data[2]["fields"]}
    assert "ModifiedDate" not in timeline
    assert timeline["LastModifiedDate"]["dataType"] == "DATETIME"
    assert timeline["Ant__Sentiment__c"]["meta"]["fieldGroupType"] == "CUSTOM"
    assert timeline["Gsid"]["meta"]["fieldGroupType"] == "SYSTEM"
    forecast = {f["fieldName"]: f for f in data[1]["fields"]}
    assert data[1]["objectType"] == "CUSTOM"
    custom_types = {
        f["dataType"] for f in forecast.values() if f["meta"]["fieldGroupType"] == "CUSTOM"
    }
    assert custom_types >= {"NUMBER", "CURRENCY", "BOOLEAN", "DATE", "DATETIME", "PICKLIST",
                            "MULTISELECTDROPDOWNLIST", "LOOKUP"}  # fmt: skip
    # Company and Person answer as before, capitalised, with the tap's fields.
    both = describe(http, emu, "company", "PERSON")
    assert list(both) == ["Company", "Person"]
    assert {f["fieldName"]: f["dataType"] for f in both["Company"]["fields"]} == (
        OBJECT_FIELDS["Company"]
    )


def test_describe_of_unknown_names_only_is_object_not_found(emu, http):
    r = http.post(f"{emu.base_url}{DESCRIBE}", json={"objectNames": ["Widget", "nope__gc"]})
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"requestId", "result", "instance", "title", "detail", "errorDesc"}
    assert body["result"] is False
    assert body["title"] == "OBJECT_NOT_FOUND"
    assert body["detail"] == body["errorDesc"] == "Requested object not found."
    assert body["instance"] == "2026-11-20 12:00:00 UTC"
    for bad in ({"objectNames": []}, {"objectNames": "Company"}, {}):
        r = http.post(f"{emu.base_url}{DESCRIBE}", json=bad)
        assert r.status_code == 400
        assert r.json()["errorCode"] == "GSOBJ_1000"


def test_picklist_options_are_da_picklist_items(emu, http):
    names = [o.name for o in emu.tenant.objects]
    described = describe(http, emu, *names)
    assert list(described) == names
    items = {
        r["Gsid"]: r
        for r in all_rows(http, emu, "da_picklist", ["Gsid", "Name", "CategoryId", "IsActive"])
    }
    picklist_fields = [
        f
        for entry in described.values()
        for f in entry["fields"]
        if f["dataType"] in ("PICKLIST", "MULTISELECTDROPDOWNLIST")
    ]
    assert len(picklist_fields) > 10
    inactive = 0
    for field in picklist_fields:
        props = field["meta"]["properties"]
        category_items = [
            g for g, r in items.items() if r["CategoryId"] == props["PICKLIST_CATEGORY_ID"]
        ]
        assert category_items, props
        assert props["PICKLIST_CATEGORY"]
        if field["fieldName"] == "Tags__gc":
            assert field["options"] == []  # resolve through the category instead
            continue
        options = field["options"]
        assert {o["value"] for o in options} == set(category_items)
        assert [o["displayOrder"] for o in options] == sorted(o["displayOrder"] for o in options)
        for option in options:
            item = items[option["value"]]
            assert option["label"] == item["Name"]
            assert option["active"] is item["IsActive"]
            assert option["groupId"] == props["PICKLIST_CATEGORY_ID"]
            inactive += not option["active"]
    assert inactive > 0
    non_picklists = [f for e in described.values() for f in e["fields"] if f not in picklist_fields]
    assert not any("options" in f for f in non_picklists)


def test_lookups_are_described_with_their_target(emu, http):
    described = describe(http, emu, "renewal_forecast__gc", "Person", "cs_task", "Company")
    lookups = {
        (entry["objectName"], f["fieldName"]): f["meta"]
        for entry in described.values()
        for f in entry["fields"]
        if f["dataType"] == "LOOKUP"
    }
    targets = {
        key: meta["lookupDetail"]["lookupObjects"][0]["objectName"] for key, meta in lookups.items()
    }
    assert targets[("renewal_forecast__gc", "Company_ID__gc")] == "company"
    assert targets[("renewal_forecast__gc", "CreatedBy")] == "gsuser"
    assert targets[("Person", "CompanyId")] == "company"
    assert targets[("Company", "Csm")] == "gsuser"
    assert targets[("cs_task", "CtaId")] == "call_to_action"
    for (obj_name, field), meta in lookups.items():
        assert meta["hasLookup"] is True
        assert meta["lookupDetail"]["lookupName"] == f"{field}__gr"
        assert meta["lookupDetail"]["fieldName"] == "Gsid"
        assert meta["properties"]["autoSuggestDetails"]["object"] == targets[(obj_name, field)]
    plain = [
        f["meta"] for e in described.values() for f in e["fields"] if f["dataType"] != "LOOKUP"
    ]
    assert all(m["hasLookup"] is False and "lookupDetail" not in m for m in plain)
    # Lookup values are Gsids of the target's records.
    users = {u["Gsid"] for u in emu.tenant.collections["gsuser"]}
    assert {c["Csm"] for c in emu.tenant.collections["Company"]} - {None} <= users
    companies = {c["Gsid"] for c in emu.tenant.collections["Company"]}
    forecasts = all_rows(http, emu, "renewal_forecast__gc", ["Company_ID__gc", "Owner__gc"])
    assert {f["Company_ID__gc"] for f in forecasts} - {None} <= companies
    assert {f["Owner__gc"] for f in forecasts} - {None} <= users


# -- the other objects --------------------------------------------------------------------------


NAME_VARIANTS = (
    ("Company", "company", "COMPANY"),
    ("Company_Person", "company_person"),
    ("GsUser", "gsuser"),
    ("Renewal_Forecast__GC", "renewal_forecast__gc"),
)


def test_object_names_match_case_insensitively(emu, http):
    for variants in NAME_VARIANTS:
        answers = [
            records(query(http, emu.base_url, name, {"select": ["Gsid"], "limit": 30}))
            for name in variants
        ]
        assert all(a == answers[0] for a in answers), variants
        assert len(answers[0]) == 30


def test_query_a_custom_object(emu, http):
    tenant = emu.tenant
    forecasts = tenant.collections["renewal_forecast__gc"]
    commit = next(i.gsid for i in tenant.picklists["Forecast Stage"].items if i.name == "Commit")
    body = {
        "select": ["Gsid", "Name__gc", "Forecast_ARR__gc", "Risk_Factors__gc", "ModifiedDate"],
        "where": {
            "conditions": [
                cond("Forecast_Stage__gc", "EQ", commit, alias="A"),
                cond("Committed__gc", "EQ", "true", alias="B"),
                cond("Forecast_ARR__gc", "GT", "10000", alias="C"),
            ],
            "expression": "A AND (B OR C)",
        },
        "orderBy": {"ModifiedDate": "desc", "Gsid": "asc"},
        "limit": 5000,
    }
    got = records(query(http, emu.base_url, "renewal_forecast__gc", body))
    wanted = [
        f
        for f in forecasts
        if f["Forecast_Stage__gc"] == commit
        and (f["Committed__gc"] or f["Forecast_ARR__gc"] > 10000)
    ]
    wanted.sort(key=lambda f: f["Gsid"])
    wanted.sort(key=lambda f: (f["ModifiedDate"] is not None, f["ModifiedDate"] or 0), reverse=True)
    assert 10 < len(got) < len(forecasts)
    assert [g["Gsid"] for g in got] == [w["Gsid"] for w in wanted]
    assert list(got[0]) == body["select"]
    # Multi-select values are ;-joined item Gsids of da_picklist.
    items = {r["Gsid"] for r in tenant.collections["da_picklist"]}
    multi = [f["Risk_Factors__gc"] for f in forecasts if f["Risk_Factors__gc"]]
    assert any(";" in m for m in multi)
    assert {part for m in multi for part in m.split(";")} <= items
    contains = records(
        query(
            http,
            emu.base_url,
            "renewal_forecast__gc",
            {"select": ["Gsid"], "where": {"conditions": [
                cond("Risk_Factors__gc", "CONTAINS", multi[0].split(";")[0])]}, "limit": 5000},
        )
    )  # fmt: skip
    assert {r["Gsid"] for r in contains} == {
        f["Gsid"] for f in forecasts if multi[0].split(";")[0] in (f["Risk_Factors__gc"] or "")
    }


def test_activity_timeline_replicates_on_last_modified_date(emu, http):
    timeline = emu.tenant.collections["activity_timeline"]
    assert all("ModifiedDate" not in t for t in timeline)
    r = query(http, emu.base_url, "activity_timeline", {"select": ["Gsid", "ModifiedDate"]})
    assert r.status_code == 400
    assert "ModifiedDate" in r.json()["errorDesc"]
    # Keyset pages of 40 over (LastModifiedDate, Gsid), as a tap would read them.
    seen, where = [], {"conditions": [cond("LastModifiedDate", "IS_NOT_NULL")]}
    while True:
        body = {
            "select": ["Gsid", "LastModifiedDate"],
            "where": where,
            "orderBy": {"LastModifiedDate": "asc", "Gsid": "asc"},
            "limit": 40,
        }
        r = query(http, emu.base_url, "activity_timeline", body)
        if r.status_code == 400:
            assert r.json()["errorCode"] == "GSOBJ_1011"
            break
        page = records(r)
        seen += page
        last = page[-1]
        where = {
            "conditions": [
                cond("LastModifiedDate", "EQ", last["LastModifiedDate"], alias="A"),
                cond("Gsid", "GT", last["Gsid"], alias="B"),
                cond("LastModifiedDate", "GT", last["LastModifiedDate"], alias="C"),
            ],
            "expression": "(A AND B) OR C",
        }
    expected = sorted(
        (
            {"Gsid": t["Gsid"], "LastModifiedDate": t["LastModifiedDate"]}
            for t in timeline
            if t["LastModifiedDate"] is not None
        ),
        key=lambda t: (t["LastModifiedDate"], t["Gsid"]),
    )
    assert len(expected) > 400  # eleven pages
    assert seen == expected
    # A group sharing one millisecond on a whole second: "GTE that second" starts with it.
    counts = Counter(t["LastModifiedDate"] for t in expected)
    boundary = next(ms for ms, n in counts.items() if n > 1 and ms % 1000 == 0)
    body = {
        "select": ["Gsid", "LastModifiedDate"],
        "where": {"conditions": [cond("LastModifiedDate", "GTE", fmt(boundary))]},
        "orderBy": {"LastModifiedDate": "asc", "Gsid": "asc"},
        "limit": 5000,
    }
    got = records(query(http, emu.base_url, "activity_timeline", body))
    assert got == [t for t in expected if t["LastModifiedDate"] >= boundary]
    assert got[0]["LastModifiedDate"] == got[1]["LastModifiedDate"] == boundary
    nulls = {t["Gsid"] for t in timeline if t["LastModifiedDate"] is None}
    body = {"select": ["Gsid"], "where": {"conditions": [cond("LastModifiedDate", "IS_NULL")]}}
    assert {r["Gsid"] for r in records(query(http, emu.base_url, "activity_timeline", body))} == (
        nulls
    )


def test_da_picklist_has_no_date_field_at_all(emu, http):
    (entry,) = describe(http, emu, "da_picklist").values()
    types = {f["fieldName"]: f["dataType"] for f in entry["fields"]}
    assert not {"DATE", "DATETIME"} & set(types.values())
    assert {"Gsid", "Name", "Category", "IsActive", "Deleted", "CtaType", "SpType"} <= set(types)
    for field in ("ModifiedDate", "LastModifiedDate", "CreatedDate"):
        r = query(http, emu.base_url, "da_picklist", {"select": ["Gsid", field]})
        assert r.status_code == 400, field
    rows = all_rows(http, emu, "da_picklist", list(types))
    categories = emu.tenant.picklists
    assert len(rows) == sum(len(c.items) for c in categories.values())
    assert {r["Category"] for r in rows} == set(categories)
    assert any(r["Deleted"] for r in rows)
    assert any(not r["IsActive"] for r in rows)
    with pytest.raises(ValueError, match="no modified-date field"):
        emu.tenant.touch("da_picklist", 1)


def test_every_dated_object_has_the_data_traps():
    tenant = CSTenant.generate(seed=9)
    picklist_items = {r["Gsid"] for r in tenant.collections["da_picklist"]}
    every_gsid = [r["Gsid"] for o in tenant.objects for r in tenant.collections[o.name]]
    assert len(every_gsid) == len(set(every_gsid))
    for obj in tenant.objects:
        rows = tenant.collections[obj.name]
        assert rows, obj.name
        assert all(list(r) == list(obj.field_types) for r in rows), obj.name
        for field, dtype in obj.field_types.items():
            values = {r[field] for r in rows} - {None}
            if dtype == "PICKLIST":
                assert values <= picklist_items, (obj.name, field)
            elif dtype == "MULTISELECTDROPDOWNLIST":
                assert {v for m in values for v in m.split(";")} <= picklist_items
        if obj.modified_field is None:
            continue
        modified = [r[obj.modified_field] for r in rows]
        assert None in modified, obj.name
        dated = [m for m in modified if m is not None]
        assert max(dated) < tenant.now_ms
        counts = Counter(dated)
        assert any(n > 1 and ms % 1000 == 0 for ms, n in counts.items()), obj.name
        assert all(r["CreatedDate"] <= r[obj.modified_field] for r in rows if r[obj.modified_field])
    assert {r["Gsid"] for r in tenant.collections["gsuser"]} >= {
        c["Csm"] for c in tenant.collections["Company"] if c["Csm"]
    }
    links = tenant.collections["company_person"]
    assert {c["Person_ID"] for c in links} <= {p["Gsid"] for p in tenant.collections["Person"]}
    closed = {i.gsid for i in tenant.picklists["CTA Status"].items if i.name.startswith("Closed")}
    assert all(
        c["IsClosed"] == (c["StatusId"] in closed) for c in tenant.collections["call_to_action"]
    )
    with pytest.raises(ValueError, match="unknown object"):
        CSTenant.generate(seed=9, sizes={"opportunity": 3})
    assert len(CSTenant.generate(seed=9, companies=5, people=5, sizes={"gsuser": 3}).collections[
        "gsuser"]) == 3  # fmt: skip


# -- delete logs ---------------------------------------------------------------------------------

DELETE_LOG = "record_delete_log"
HIGH_VOLUME = "record_delete_log_high_volume"
LOG_SELECT = ["RecordId", "DeletedOn", "ObjectName"]


def instant(iso):
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def read_log(http, emu, log=DELETE_LOG, *conditions, limit=5000, offset=0):
    body = {
        "select": LOG_SELECT,
        "where": {"conditions": list(conditions)},
        "orderBy": {"DeletedOn": "asc", "RecordId": "asc"},
        "limit": limit,
        "offset": offset,
    }
    r = query(http, emu.base_url, log, body)
    if r.status_code == 400 and r.json().get("errorCode") == "GSOBJ_1011":
        return []
    return records(r)


def test_delete_log_has_iso_dates_over_twenty_days(small):
    emu, http = small
    emu.quirks.data_as_list = True  # the delete log keeps data.records
    r = query(http, emu.base_url, DELETE_LOG, {"select": LOG_SELECT, "limit": 5000})
    body = r.json()
    assert {"localizedErrorDesc", "localizedMessage"} <= set(body)
    entries = body["data"]["records"]
    assert len(entries) == 30
    assert entries == emu.tenant.collections[DELETE_LOG]
    assert all(set(e) == set(LOG_SELECT) for e in entries)
    assert all(ISO_SECONDS.fullmatch(e["DeletedOn"]) for e in entries)
    ages = [emu.tenant.now - instant(e["DeletedOn"]) for e in entries]
    assert max(ages) > timedelta(days=15)  # older than the API's retention
    assert max(ages) <= timedelta(days=20)
    assert min(ages) > timedelta(0)
    names = {e["ObjectName"] for e in entries}
    assert {"Company", "Person", "activity_timeline"} <= names
    assert all(n in emu.tenant.collections for n in names)
    everything = {r["Gsid"] for o in emu.tenant.objects for r in emu.tenant.collections[o.name]}
    assert not {e["RecordId"] for e in entries} & everything  # deleted records are gone
    seconds = Counter(e["DeletedOn"] for e in entries)
    assert max(seconds.values()) > 1  # bulk deletes share a second


def test_delete_log_filters_in_both_formats_and_pages(small):
    emu, http = small
    log = sorted(emu.tenant.collections[DELETE_LOG], key=lambda e: (e["DeletedOn"], e["RecordId"]))
    shared = max(s for s, n in Counter(e["DeletedOn"] for e in log).items() if n > 1)
    at = instant(shared)
    after = [e for e in log if instant(e["DeletedOn"]) >= at]
    assert 1 < len(after) < len(log)
    for value in (
        at.strftime("%Y-%m-%d %H:%M:%S"),  # the documented form
        at.isoformat(),  # 2026-11-05T10:00:00+00:00, what ES sends
        shared,  # ...Z
        at.astimezone(timezone(timedelta(hours=2))).isoformat(),  # same instant, +02:00
        int(at.timestamp() * 1000),
    ):
        assert read_log(http, emu, DELETE_LOG, cond("DeletedOn", "GTE", value)) == after, value
    strictly = read_log(http, emu, DELETE_LOG, cond("DeletedOn", "GT", shared))
    assert strictly == [e for e in log if instant(e["DeletedOn"]) > at]
    before = read_log(
        http, emu, DELETE_LOG, cond("DeletedOn", "LT", at.strftime("%Y-%m-%d %H:%M:%S"))
    )
    assert before == [e for e in log if instant(e["DeletedOn"]) < at]
    exact = read_log(http, emu, DELETE_LOG, cond("DeletedOn", "EQ", shared))
    assert len(exact) == Counter(e["DeletedOn"] for e in log)[shared] > 1
    companies = read_log(
        http, emu, DELETE_LOG, cond("ObjectName", "EQ", "Company"), cond("DeletedOn", "GTE", 0)
    )
    assert companies == [e for e in log if e["ObjectName"] == "Company"]
    assert companies
    one = read_log(http, emu, DELETE_LOG, cond("RecordId", "EQ", log[3]["RecordId"]))
    assert one == [log[3]]
    pages, offset = [], 0
    while page := read_log(http, emu, DELETE_LOG, limit=7, offset=offset):
        pages.append(page)
        offset += 7
    assert [len(p) for p in pages] == [7, 7, 7, 7, 2]
    assert [e for p in pages for e in p] == log
    r = query(
        http,
        emu.base_url,
        DELETE_LOG,
        {"select": LOG_SELECT, "where": {"conditions": [cond("DeletedOn", "GT", "yesterday")]}},
    )
    assert r.status_code == 400
    assert query(http, emu.base_url, DELETE_LOG, {"select": ["Gsid"]}).status_code == 400


def test_tenant_without_the_high_volume_log(small):
    emu, http = small
    assert emu.tenant.high_volume_log is False
    for name in (HIGH_VOLUME, "Record_Delete_Log_High_Volume"):
        r = query(http, emu.base_url, name, {"select": LOG_SELECT})
        assert r.status_code == 400
        assert r.json()["title"] == "OBJECT_NOT_FOUND"
        assert r.json()["result"] is False
        assert "errorCode" not in r.json()
    removed = emu.tenant.delete("activity_timeline", 2)
    logged = read_log(http, emu, DELETE_LOG, cond("ObjectName", "EQ", "activity_timeline"))
    assert {r["Gsid"] for r in removed} <= {e["RecordId"] for e in logged}


def test_tenant_with_the_high_volume_log():
    tenant = CSTenant.generate(seed=4, companies=30, people=30, high_volume_log=True)
    with CSEmulator(tenant, requests_per_minute=None) as emu:
        http = requests.Session()
        http.headers["accesskey"] = emu.access_key
        high = read_log(http, emu, HIGH_VOLUME)
        low = read_log(http, emu, DELETE_LOG)
        assert high
        assert {e["ObjectName"] for e in high} == {"activity_timeline"}
        assert "activity_timeline" not in {e["ObjectName"] for e in low}
        assert len(high) + len(low) == 30
        removed = tenant.delete("activity_timeline", 3)
        tenant.delete("Company", 1)
        now = read_log(http, emu, HIGH_VOLUME, cond("DeletedOn", "EQ", "2026-11-20 12:00:00"))
        assert {e["RecordId"] for e in now} == {r["Gsid"] for r in removed}
        assert len(read_log(http, emu, HIGH_VOLUME)) == len(high) + 3
        assert len(read_log(http, emu, DELETE_LOG)) == len(low) + 1
        http.close()


def test_delete_removes_records_and_logs_them(small):
    emu, http = small
    tenant = emu.tenant
    ctas_before = list(tenant.collections["call_to_action"])
    at = datetime(2026, 11, 20, 9, 30, 15, 750_000, tzinfo=timezone.utc)
    removed = tenant.delete("Call_To_Action", 3, at=at)
    assert len(removed) == 3
    gone = {r["Gsid"] for r in removed}
    assert len(tenant.collections["call_to_action"]) == len(ctas_before) - 3
    assert gone <= {c["Gsid"] for c in ctas_before}
    left = {r["Gsid"] for r in all_rows(http, emu, "call_to_action", ["Gsid"])}
    assert not gone & left
    logged = read_log(http, emu, DELETE_LOG, cond("RecordId", "IN", *gone))
    assert {e["RecordId"] for e in logged} == gone
    assert {(e["DeletedOn"], e["ObjectName"]) for e in logged} == {
        ("2026-11-20T09:30:15Z", "call_to_action")
    }
    (company,) = tenant.delete("company", 1)  # at the tenant clock
    (entry,) = read_log(http, emu, DELETE_LOG, cond("RecordId", "EQ", company["Gsid"]))
    assert entry == {
        "RecordId": company["Gsid"],
        "DeletedOn": "2026-11-20T12:00:00Z",
        "ObjectName": "Company",
    }
    twin = CSTenant.generate(seed=3, companies=40, people=60)
    assert {r["Gsid"] for r in twin.delete("call_to_action", 3, at=at)} == gone  # deterministic
    with pytest.raises(ValueError, match="da_picklist"):
        tenant.delete("da_picklist", 1)
    with pytest.raises(KeyError):
        tenant.delete("opportunity", 1)


def test_advance_lives_through_every_dated_object(small):
    emu, http = small
    tenant = emu.tenant
    old_ms = tenant.now_ms
    sizes = {name: len(rows) for name, rows in tenant.collections.items()}
    changed = tenant.advance(timedelta(hours=6), touch=4, new=2)
    dated = dated_objects(tenant)
    assert set(changed) == set(dated)
    assert "da_picklist" not in changed
    assert "activity_timeline" in changed
    for name, field in dated.items():
        assert len(changed[name]) == 6, name
        assert all(old_ms < r[field] <= tenant.now_ms for r in changed[name]), name
        assert len(tenant.collections[name]) == sizes[name] + 2
    assert len(tenant.collections["da_picklist"]) == sizes["da_picklist"]
    assert len(tenant.collections[DELETE_LOG]) == sizes[DELETE_LOG]  # advance deletes nothing
    for name in ("activity_timeline", "renewal_forecast__gc", "cs_task"):
        field = dated[name]
        body = {
            "select": ["Gsid", field],
            "where": {"conditions": [cond(field, "GT", fmt(old_ms))]},
            "limit": 5000,
        }
        got = {r["Gsid"]: r[field] for r in records(query(http, emu.base_url, name, body))}
        assert got == {r["Gsid"]: r[field] for r in changed[name]}
    picklist_items = {r["Gsid"] for r in tenant.collections["da_picklist"]}
    assert {c["StatusId"] for c in changed["call_to_action"]} <= picklist_items


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
    assert (q.order_ignored, q.drifted_types) == (False, False)  # worlds: off
    valued = (q.refused_fields, q.refused_field_message, q.text_dates, q.refused_objects)
    assert valued == (None, None, None, None)
    assert (q.refused_objects_status, q.page_cap) == (None, None)


# -- worlds: the API as it may really be where the docs are silent (CSQuirks) ---------------------


def test_world_order_ignored(small):
    emu, http = small
    companies = emu.tenant.collections["Company"]
    active = [c for c in companies if c["IsActive"] is True]
    where = {"conditions": [cond("IsActive", "EQ", True)]}

    def gsids(order_by, limit=7):
        got, offset = [], 0
        while True:
            body = {"select": ["Gsid"], "where": where, "orderBy": order_by}
            r = query(http, emu.base_url, "Company", {**body, "limit": limit, "offset": offset})
            if r.status_code == 400:  # no entity: past the last match
                return got
            page = [c["Gsid"] for c in records(r)]
            assert len(page) <= limit
            got, offset = got + page, offset + limit

    by_name = [c["Gsid"] for c in sorted(active, key=lambda c: c["Name"])]
    assert gsids({"Name": "asc"}) == by_name  # the documented world
    emu.quirks.order_ignored = True
    orders = [gsids({"Name": "asc"}), gsids({"Name": "desc", "Gsid": "asc"}), gsids(None)]
    emu.quirks.order_ignored = False
    scrambled_order = [c["Gsid"] for c in sorted(active, key=lambda c: scrambled(c["Gsid"]))]
    assert orders[0] == orders[1] == orders[2] == scrambled_order  # stable, not the asked one
    assert orders[0] not in (by_name, by_name[::-1])
    assert sorted(orders[0]) == sorted(by_name)  # where, limit and offset still apply
    assert len(by_name) > 7


def test_world_drifted_types(small):
    emu, http = small
    for name in ("Company", "Person"):
        fields = list(OBJECT_FIELDS[name])
        documented = records(query(http, emu.base_url, name, {"select": fields, "limit": 5000}))
        assert documented == [{f: r[f] for f in fields} for r in emu.tenant.collections[name]]
    assert emu.drifted == {}
    emu.quirks.drifted_types = True
    for name in CS_DRIFTS:
        fields = list(OBJECT_FIELDS[name])
        stored = emu.tenant.collections[name]
        sent = records(query(http, emu.base_url, name, {"select": fields, "limit": 5000}))
        assert sent == [drift_record(name, r)[0] for r in stored], name
        want = {r["Gsid"]: d for r in stored if (d := drift_record(name, r)[1])}
        assert want, name
        assert emu.drifted[name] == want, name
        assert len(want) < len(stored) / 2, name
    drifts = [d for per_record in emu.drifted["Company"].values() for d in per_record]
    kinds = {d.field_path: (type(d.original), type(d.sent)) for d in drifts}
    assert kinds["Employees"] == (int, str)  # a number as a numeric string
    assert kinds["IsActive"] == (bool, str)  # a boolean as "true" / "false"
    assert kinds["Tier__gc"] == (str, int)  # a string as a number
    assert kinds["CreatedDate"] == (int, str)  # a date as ISO 8601
    meanings = {  # what each drift still means
        "Employees": lambda d: d.sent == str(d.original),
        "IsActive": lambda d: d.sent == str(d.original).lower(),
        "Tier__gc": lambda d: d.sent == TIER_RANKS[d.original],
        "CreatedDate": lambda d: d.sent.endswith("Z") and parse_instant(d.sent) == d.original,
    }
    assert all(meanings[d.field_path](d) for d in drifts if d.field_path in meanings)
    assert not any(d.field_path == "ModifiedDate" for d in drifts)
    # where and orderBy see the stored values; only the selected fields are sent and logged.
    emu.drifted.clear()
    cut = sorted(c["Employees"] for c in emu.tenant.collections["Company"])[20]
    body = {"select": ["Gsid", "Name"], "where": {"conditions": [cond("Employees", "GTE", cut)]}}
    got = records(query(http, emu.base_url, "Company", {**body, "orderBy": {"Employees": "asc"}}))
    big = [c for c in emu.tenant.collections["Company"] if c["Employees"] >= cut]
    big.sort(key=lambda c: c["Employees"])
    assert got == [{"Gsid": c["Gsid"], "Name": c["Name"]} for c in big]
    assert emu.drifted == {}
    emu.quirks.drifted_types = False


def described_fields(http, base_url, name):
    r = http.post(f"{base_url}{DESCRIBE}", json={"objectNames": [name]})
    return [f["fieldName"] for f in r.json()["data"][0]["fields"]]


@pytest.mark.parametrize(
    ("template", "said"),
    [
        (None, "Invalid select field(s): Tier__gc, HealthScore__gc"),
        ("One or more fields in select are not accessible", None),
    ],
)
def test_world_refused_fields(small, template, said):
    emu, http = small
    emu.quirks.refused_fields = "company.Tier__gc,COMPANY.HealthScore__gc,Person.Region__gc"
    emu.quirks.refused_field_message = template
    assert {"Tier__gc", "HealthScore__gc"} <= set(described_fields(http, emu.base_url, "Company"))
    r = query(http, emu.base_url, "Company", {"select": ["Gsid", "Tier__gc", "HealthScore__gc"]})
    assert r.status_code == 400
    body = r.json()
    assert set(body) == ENVELOPE_KEYS
    assert (body["result"], body["errorCode"], body["data"]) == (False, "GSOBJ_1000", None)
    if said:
        assert body["errorDesc"] == said
    else:  # a wording that does not say which field
        assert body["errorDesc"] == template
        assert "Tier__gc" not in body["errorDesc"]
    # Without the refused fields, and on another object, queries are served as ever; the
    # where and orderBy may still name them.
    where = {"conditions": [cond("Tier__gc", "IS_NOT_NULL")]}
    body = {"select": ["Gsid", "Name"], "where": where, "orderBy": {"Tier__gc": "asc"}}
    assert records(query(http, emu.base_url, "Company", body))
    assert records(query(http, emu.base_url, "gsuser", {"select": ["Gsid", "Name"]}))


def test_world_refused_objects(small):
    emu, http = small
    emu.quirks.refused_objects = "Renewal_Forecast__gc, gsuser"
    for status, setting in ((403, None), (404, "404")):
        emu.quirks.refused_objects_status = setting
        for asked in ("renewal_forecast__gc", "GsUser"):
            r = query(http, emu.base_url, asked, {"select": ["Gsid"]})
            assert r.status_code == status
            body = r.json()
            assert set(body) == ENVELOPE_KEYS
            assert (body["result"], body["errorCode"]) == (False, "GSOBJ_1403")
            assert body["errorDesc"] == f"Access denied to object {asked}"
    # Refused whatever the body; still listed and described; the others are served.
    assert query(http, emu.base_url, "gsuser", {"select": ["Nope"]}).status_code == 404
    listed = {
        o["objectName"]
        for o in http.get(f"{emu.base_url}/v1/meta/services/objects/list").json()["data"]
    }
    assert {"renewal_forecast__gc", "gsuser"} <= listed
    assert "Forecast_ARR__gc" in described_fields(http, emu.base_url, "renewal_forecast__gc")
    assert records(query(http, emu.base_url, "Company", {"select": ["Gsid"]}))
    with pytest.raises(ValueError, match="403 or 404"):
        emu.quirks.refused_objects_status = "500"


def test_world_page_cap(small):
    emu, http = small
    emu.quirks.page_cap = "7"
    body = {"select": ["Gsid"], "orderBy": {"Gsid": "asc"}, "limit": 100}
    got, offset = [], 0
    while True:
        r = query(http, emu.base_url, "Company", {**body, "offset": offset})
        if r.status_code == 400:
            break
        page = [c["Gsid"] for c in records(r)]
        assert len(page) == 7 or len(got) + len(page) == 40  # never more, never told
        assert set(r.json()) == ENVELOPE_KEYS
        got, offset = got + page, offset + len(page)
    assert got == sorted(c["Gsid"] for c in emu.tenant.collections["Company"])
    # A keyset after the last record returned gets the rest, and the delete log is capped too.
    after = {"conditions": [cond("Gsid", "GT", got[6])]}
    (first, *_) = records(query(http, emu.base_url, "Company", {**body, "where": after}))
    assert first["Gsid"] == got[7]
    log = {"select": ["RecordId", "DeletedOn", "ObjectName"], "limit": 5000}
    assert len(records(query(http, emu.base_url, "record_delete_log", log))) == 7
    with pytest.raises(ValueError, match="above 0"):
        emu.quirks.page_cap = "none"


TEXT_FORMS = {  # what every answered date looks like, per form
    "offset": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000"),
    "space": re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})?"),
    "utc": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z"),
    "zoned": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?[+-](05:30|08:00)"),
    "day": re.compile(r"\d{4}-\d\d-\d\d"),
}


def shape(text):
    return next(name for name, pattern in TEXT_FORMS.items() if pattern.fullmatch(text))


@pytest.mark.parametrize(
    ("form", "shapes"),
    [
        ("offset", {"offset"}),
        ("space", {"space"}),
        ("date", {"space", "day"}),
        ("mixed", {"offset", "space", "utc", "zoned"}),
    ],
)
def test_world_text_dates(small, form, shapes):
    emu, http = small
    emu.quirks.text_dates = form
    name = "renewal_forecast__gc"
    fields = OBJECT_FIELDS[name]
    dates = [f for f, dtype in fields.items() if dtype in ("DATE", "DATETIME")]
    body = {"select": ["Gsid", *dates], "orderBy": {"ModifiedDate": "desc"}, "limit": 5000}
    sent = records(query(http, emu.base_url, name, body))
    stored = sorted(
        emu.tenant.collections[name],
        key=lambda r: (r["ModifiedDate"] is not None, r["ModifiedDate"] or 0),
        reverse=True,  # stable: ties keep storage order, as the emulator's sort
    )
    assert [r["Gsid"] for r in sent] == [r["Gsid"] for r in stored]  # sorted by the instant
    seen = set()
    for record, original in zip(sent, stored, strict=True):
        for field in dates:
            text, ms = record[field], original[field]
            if ms is None:
                assert text is None
                continue
            seen.add(shape(text))
            if shape(text) == "day":
                assert fields[field] == "DATE"
                assert text == fmt(ms)[:10]
            else:
                assert parse_instant(text) == ms, (field, text)
    assert seen == shapes
    # Each text comes back as a where value of its field and finds its record.
    for record in sent[:8]:
        text = record["ModifiedDate"]
        where = {
            "conditions": [cond("ModifiedDate", "EQ", text), cond("Gsid", "EQ", record["Gsid"])]
        }
        assert (
            len(records(query(http, emu.base_url, name, {"select": ["Gsid"], "where": where}))) == 1
        )
    # The delete log keeps its form; the documented world takes no ISO text for a DATETIME.
    log = records(query(http, emu.base_url, "record_delete_log", {"select": ["DeletedOn"]}))
    assert all(ISO_SECONDS.fullmatch(e["DeletedOn"]) for e in log)
    emu.quirks.text_dates = None
    iso = {"conditions": [cond("ModifiedDate", "GTE", "2026-01-01T00:00:00Z")]}
    assert query(http, emu.base_url, name, {"select": ["Gsid"], "where": iso}).status_code == 400


def test_cli_valued_worlds_are_checked():
    parser = argparse.ArgumentParser()
    add_quirk_option(parser, CSQuirks)
    args = parser.parse_args(["--quirk", "page_cap=7", "--quirk", "text_dates=mixed"])
    quirks = dataclasses.replace(CSQuirks(), **dict(args.quirk))
    assert (quirks.page_cap, quirks.text_dates) == ("7", "mixed")
    args = parser.parse_args(["--quirk", "text_dates=iso"])
    with pytest.raises(ValueError, match="offset, space, date, mixed"):
        dataclasses.replace(CSQuirks(), **dict(args.quirk))


def test_cli_quirk_options_start_a_world():
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.emulator.cs", "--api-key", "cli-key"),
            *("--requests-per-minute", "0", "--companies", "30", "--people", "10"),
            *("--quirk", "order_ignored", "--quirk", "drifted_types", "--quirk", "data_as_list"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip().split("=", 1)[1]
        body = {"select": ["Gsid", "IsActive"], "orderBy": {"Name": "asc"}, "limit": 30}
        r = requests.post(f"{url}{QUERY}/Company", json=body, headers={"accesskey": "cli-key"})
        rows = r.json()["data"]  # data_as_list
        gsids = [c["Gsid"] for c in rows]
        assert gsids == sorted(gsids, key=scrambled)
        assert {type(c["IsActive"]) for c in rows} == {bool, str}  # some drifted
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
