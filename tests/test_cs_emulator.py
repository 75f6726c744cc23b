"""The CS emulator's answers to the API facts of docs/api.md that no test of the tap would notice
drifting: the tap reads on whatever the emulator answers, so these pin the answers themselves."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.emulator import CSEmulator, CSTenant

QUERY = "/v1/data/objects/query"
LIST = "/v1/meta/services/objects/list"
ENVELOPE_KEYS = {"result", "errorCode", "errorDesc", "requestId", "data", "message"}


@pytest.fixture(scope="module")
def emu():
    """A read-only emulator without quota, shared by the module."""
    tenant = CSTenant.generate(seed=3, companies=40, people=150)
    with CSEmulator(tenant, requests_per_minute=None) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def http(emu):
    session = requests.Session()
    session.headers["accesskey"] = emu.access_key
    yield session
    session.close()


def query(http, emu, obj, body):
    return http.post(f"{emu.base_url}{QUERY}/{obj}", json=body)


@pytest.mark.parametrize("headers", [{}, {"accesskey": "wrong"}])
def test_a_bad_access_key_is_401_in_the_cs_envelope(emu, headers):
    """docs/api.md, "CS: transport and limits"."""
    r = requests.post(f"{emu.base_url}{QUERY}/Company", json={"select": ["Gsid"]}, headers=headers)
    assert r.status_code == 401
    body = r.json()
    assert set(body) == ENVELOPE_KEYS
    assert (body["result"], body["errorCode"], body["data"]) == (False, "GS_APIG_2401", None)


def test_an_unknown_object_or_field_is_400_and_names_match_in_any_casing(emu, http):
    """docs/api.md, "CS: query, paging and order"."""
    r = query(http, emu, "Opportunity", {"select": ["Gsid"]})
    assert (r.status_code, r.json()["errorCode"]) == (400, "GSOBJ_1002")
    r = query(http, emu, "Person", {"select": ["Gsid", "Nope"]})
    assert r.status_code == 400
    assert "Nope" in r.json()["errorDesc"]
    assert query(http, emu, "person", {"select": ["Gsid"], "limit": 1}).json()["result"] is True


def test_a_limit_is_at_most_5000_and_defaults_to_100(emu, http):
    """docs/api.md, "CS: query, paging and order"."""
    r = query(http, emu, "Person", {"select": ["Gsid"], "limit": 5001})
    assert (r.status_code, r.json()["errorCode"]) == (400, "GSOBJ_1015")
    assert query(http, emu, "Person", {"select": ["Gsid"], "limit": 5000}).ok
    assert len(query(http, emu, "Person", {"select": ["Gsid"]}).json()["data"]["records"]) == 100


def test_nothing_matching_is_400_no_entity_matches(emu, http):
    """docs/api.md, "CS: query, paging and order": an empty answer is an error."""
    where = {"conditions": [{"name": "Name", "operator": "EQ", "value": ["No Such Co"]}]}
    r = query(http, emu, "Company", {"select": ["Gsid"], "where": where})
    assert r.status_code == 400
    assert r.json()["errorCode"] == "GSOBJ_1011"
    assert (r.json()["result"], r.json()["data"]) == (False, None)


def test_the_sixth_request_in_a_minute_is_429_with_retry_after():
    """docs/api.md, "CS: transport and limits"."""
    tenant = CSTenant.generate(seed=3, companies=10, people=10)
    with CSEmulator(tenant, requests_per_minute=5) as emu:
        url, headers = f"{emu.base_url}{QUERY}/Company", {"accesskey": emu.access_key}
        for _ in range(5):
            assert requests.post(url, json={"select": ["Gsid"]}, headers=headers).ok
        r = requests.post(url, json={"select": ["Gsid"]}, headers=headers)
        assert r.status_code == 429
        assert 55 <= int(r.headers["Retry-After"]) <= 60
        assert r.json()["errorCode"] == "GS_APIG_429"


def test_the_objects_list_is_lower_case_typed_and_lacks_person(emu, http):
    """docs/api.md, "CS: objects list and describe"."""
    body = http.get(f"{emu.base_url}{LIST}?po=company&em=false").json()
    entries = {e["objectName"]: e for e in body["data"]}
    assert all(name == name.lower() for name in entries)
    assert "company" in entries
    assert "person" not in entries
    assert {e["objectType"] for e in entries.values()} == {"STANDARD", "CUSTOM", "SYSTEM"}
    assert {n for n, e in entries.items() if e["readable"] is False} == {"internal_notes__gc"}


def test_activity_timeline_has_last_modified_date_and_no_modified_date(emu, http):
    """docs/api.md, "CS: objects list and describe"."""
    r = query(http, emu, "activity_timeline", {"select": ["Gsid", "ModifiedDate"]})
    assert r.status_code == 400
    assert "ModifiedDate" in r.json()["errorDesc"]
    assert query(http, emu, "activity_timeline", {"select": ["Gsid", "LastModifiedDate"]}).ok


def test_the_delete_log_dates_are_iso_text_kept_past_15_days(emu, http):
    """docs/api.md, "CS: delete logs"."""
    body = {"select": ["RecordId", "DeletedOn", "ObjectName"], "limit": 5000}
    r = query(http, emu, "record_delete_log", body)
    entries = r.json()["data"]["records"]
    assert entries
    seconds = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
    assert all(seconds.fullmatch(e["DeletedOn"]) for e in entries)
    oldest = datetime.strptime(min(e["DeletedOn"] for e in entries), "%Y-%m-%dT%H:%M:%SZ")
    assert emu.tenant.now - oldest.replace(tzinfo=timezone.utc) > timedelta(days=15)
