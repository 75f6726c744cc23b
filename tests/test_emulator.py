"""Tests of the Gainsight PX API emulator, over a real socket with plain ``requests``."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import typing as t
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from tests.emulator import (
    MAX_PAGE_SIZE,
    RECORDS_KEYS,
    Emulator,
    Faults,
    RequestRecord,
    Tenant,
    TenantSize,
)
from tests.emulator.__main__ import main as emulator_main
from tests.emulator.drift import drift_record, record_key, stream_of
from tests.emulator.endpoints import PxApi
from tests.emulator.quirks import Quirks, scrambled
from tests.emulator.scrolls import ScrollStore
from tests.emulator.tenant import DAY_MS, EVENT_PATHS, Collection, event_sort_key, to_ms

ROOT = Path(__file__).resolve().parent.parent
TINY = TenantSize(
    users=60,
    accounts=10,
    features=5,
    segments=5,
    engagements=5,
    articles=5,
    kc_bots=2,
    history_days=12,
    events_per_day=3,
)


@pytest.fixture
def tiny():
    """A fresh emulator with a tiny tenant, for tests that mutate data or faults."""
    with Emulator(Tenant.generate(seed=3, size=TINY), faults=Faults(seed=5)) as emulator:
        session = requests.Session()
        session.headers["X-APTRINSIC-API-KEY"] = emulator.api_key
        yield emulator, session
        session.close()


def scroll_all(http, url, params):
    """Every page of a scroll until an empty page; returns (records, pages)."""
    pages = [http.get(url, params=params).json()]
    key = next(k for k in pages[0] if isinstance(pages[0][k], list))
    while pages[-1][key]:
        pages.append(http.get(url, params={**params, "scrollId": pages[-1]["scrollId"]}).json())
    return [r for p in pages for r in p[key]], pages


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- auth, routing, page sizes ------------------------------------------------------------------


def test_auth_required(emu):
    for headers in ({}, {"X-APTRINSIC-API-KEY": "wrong"}):
        r = requests.get(f"{emu.base_url}/users", headers=headers)
        assert r.status_code == 401
        assert r.json()["externalapierror"]["status"] == "UNAUTHORIZED"
    assert emu.requests[-1] == RequestRecord("GET", "/users", {}, 401)


def test_unknown_path_and_method(emu, http):
    r = http.get(f"{emu.base_url}/nope")
    assert r.status_code == 404
    assert r.json()["externalapierror"]["status"] == "NOT_FOUND"
    assert http.post(f"{emu.base_url}/users", json={}).status_code == 405


def test_page_size_over_max_is_400(emu, http):
    for path in ("/users", "/events/custom", "/feature", "/engagement"):
        maximum = MAX_PAGE_SIZE[path]
        r = http.get(f"{emu.base_url}{path}", params={"pageSize": maximum + 1})
        assert r.status_code == 400, path
        assert str(maximum) in r.json()["externalapierror"]["message"]
        assert http.get(f"{emu.base_url}{path}", params={"pageSize": maximum}).status_code == 200
    assert http.get(f"{emu.base_url}/users", params={"pageSize": 0}).status_code == 400


def test_default_page_size_is_25(emu, http):
    body = http.get(f"{emu.base_url}/accounts").json()
    assert len(body["accounts"]) == 25
    assert body["totalHits"] == len(emu.tenant.collections["/accounts"])


# -- scroll ---------------------------------------------------------------------------------------


def test_scroll_users_every_user_once_constant_scroll_id(emu, http):
    users, pages = scroll_all(http, f"{emu.base_url}/users", {"pageSize": 1000})
    ids = [u["aptrinsicId"] for u in users]
    assert len(ids) == len(set(ids))
    assert set(ids) == {u["aptrinsicId"] for u in emu.tenant.collections["/users"]}
    assert [len(p["users"]) for p in pages] == [1000, 200, 0]
    assert len({p["scrollId"] for p in pages}) == 1  # the same id on every page
    assert pages[-1]["scrollId"]  # still set on the (empty) page after the last
    assert all(p["totalHits"] == 1200 for p in pages)


def test_scroll_id_rotates_when_quirk_off(emu, http):
    emu.quirks.constant_scroll_id = False
    try:
        first = http.get(f"{emu.base_url}/users", params={"pageSize": 500}).json()
        second = http.get(f"{emu.base_url}/users", params={"scrollId": first["scrollId"]}).json()
        assert second["scrollId"] != first["scrollId"]
        assert len(second["users"]) == 500  # the page size sticks to the scroll
        stale = http.get(f"{emu.base_url}/users", params={"scrollId": first["scrollId"]})
        assert stale.status_code == 400
    finally:
        emu.quirks.constant_scroll_id = True


def test_unknown_scroll_id_is_400(emu, http):
    r = http.get(f"{emu.base_url}/users", params={"scrollId": "nope"})
    assert r.status_code == 400
    assert "scrollId" in r.json()["externalapierror"]["message"]


def test_miscased_scroll_param_restarts_the_scroll(emu, http):
    first = http.get(f"{emu.base_url}/accounts", params={"pageSize": 3}).json()
    again = http.get(
        f"{emu.base_url}/accounts", params={"pageSize": 3, "scrollID": first["scrollId"]}
    ).json()
    assert again["accounts"] == first["accounts"]


# -- filter and sort ------------------------------------------------------------------------------


def _users(http, emu, **params):
    users, _ = scroll_all(http, f"{emu.base_url}/users", {"pageSize": 1000, **params})
    return {u["aptrinsicId"] for u in users}


def test_filter_and_or(emu, http):
    users = emu.tenant.collections["/users"]
    got = _users(http, emu, filter="type==LEAD;numberOfVisits>100")
    want = {u["aptrinsicId"] for u in users if u["type"] == "LEAD" and u["numberOfVisits"] > 100}
    assert got == want
    assert want
    got = _users(http, emu, filter=["type==LEAD", "location.city==Paris"])
    want = {
        u["aptrinsicId"] for u in users if u["type"] == "LEAD" or u["location"]["city"] == "Paris"
    }
    assert got == want


def test_filter_ops_and_wildcard(emu, http):
    users = emu.tenant.collections["/users"]
    got = _users(http, emu, filter="identifyId~u-001*")
    assert got == {u["aptrinsicId"] for u in users if u["identifyId"].startswith("u-001")}
    assert 90 <= len(got) <= 100  # anonymous visitors have an empty identifyId
    got = _users(http, emu, filter="identifyId!~u-0*;type!=VISITOR")
    assert got == {
        u["aptrinsicId"]
        for u in users
        if not u["identifyId"].startswith("u-0") and u["type"] != "VISITOR"
    }
    got = _users(http, emu, filter="customAttributes.betaTester==true;score<=50")
    assert got == {
        u["aptrinsicId"]
        for u in users
        if (u["customAttributes"] or {}).get("betaTester") is True and u["score"] <= 50
    }
    assert got


def test_filter_iso_and_ms_values_agree(emu, http):
    cut = emu.tenant.now_ms - 200 * DAY_MS
    by_ms = _users(http, emu, filter=f"createDate>={cut}")
    assert by_ms == _users(http, emu, filter=f"createDate>={iso(cut)}")
    assert by_ms == _users(http, emu, filter=f"createDate>={iso(cut)[:-1]}.000Z")
    want = {u["aptrinsicId"] for u in emu.tenant.collections["/users"] if u["createDate"] >= cut}
    assert by_ms == want


def test_malformed_filter_is_400(emu, http):
    for bad in ("type", "==x", "type==", "a b==c"):
        r = http.get(f"{emu.base_url}/users", params={"filter": bad})
        assert r.status_code == 400, bad
        assert r.json()["externalapierror"]["status"] == "BAD_REQUEST"


def test_sort_asc_desc_with_pk_ties(emu, http):
    users = emu.tenant.collections["/users"]
    for sort, reverse in (("lastModifiedDate", False), ("-lastModifiedDate", True)):
        got, _ = scroll_all(http, f"{emu.base_url}/users", {"pageSize": 1000, "sort": sort})
        ranked = sorted(users, key=lambda u: u["aptrinsicId"])
        ranked.sort(key=lambda u: u["lastModifiedDate"], reverse=reverse)
        assert [u["aptrinsicId"] for u in got] == [u["aptrinsicId"] for u in ranked]


def test_shared_last_modified_dates_exist(emu):
    for path in ("/users", "/accounts"):
        stamps = [r["lastModifiedDate"] for r in emu.tenant.collections[path]]
        assert len(set(stamps)) < len(stamps), path


# -- page-number endpoints ------------------------------------------------------------------------


def test_attributes_are_a_json_array(emu, http):
    for kind in ("user", "account"):
        body = http.get(f"{emu.base_url}/admin/model/{kind}/attributes").json()
        assert isinstance(body, list)
        assert {"NUMBER", "BOOLEAN", "STRING", "DATE_TIME"} <= {a["type"] for a in body}
    names = {a["apiName"] for a in body}
    for account in emu.tenant.collections["/accounts"]:
        assert set(account["customAttributes"] or {}) <= names


# -- events ---------------------------------------------------------------------------------------


def test_events_without_range_return_the_last_day(emu, http):
    now = emu.tenant.now_ms
    events, pages = scroll_all(http, f"{emu.base_url}/events/session", {"pageSize": 1000})
    want = [e for e in emu.tenant.collections["/events/session"] if e["date"] >= now - DAY_MS]
    assert {e["eventId"] for e in events} == {e["eventId"] for e in want}
    assert want
    assert pages[0]["totalHits"] == len(want)
    assert len(events) < len(emu.tenant.collections["/events/session"])


def test_event_range_limit_190_days(emu, http):
    end = emu.tenant.now_ms
    url = f"{emu.base_url}/events/custom"
    ok = http.get(url, params={"filter": f"date>={end - 190 * DAY_MS};date<{end}"})
    assert ok.status_code == 200
    too_long = http.get(url, params={"filter": f"date>={end - 191 * DAY_MS};date<{end}"})
    assert too_long.status_code == 400
    assert "190 days" in too_long.json()["externalapierror"]["message"]
    open_ended = http.get(url, params={"filter": f"date>={iso(end - 191 * DAY_MS)}"})
    assert open_ended.status_code == 400


def test_event_window_is_exact_half_open(emu, http):
    path = "/events/pageView"
    events = emu.tenant.collections[path]
    # A same-ms group sitting exactly on a UTC midnight: the window starts there.
    start = next(
        e["date"]
        for e in events
        if e["date"] % DAY_MS == 0 and sum(x["date"] == e["date"] for x in events) >= 2
    )
    end = start + 5 * DAY_MS
    want = {e["eventId"] for e in events if start <= e["date"] < end}
    got, _ = scroll_all(
        http,
        f"{emu.base_url}{path}",
        {"pageSize": 7, "sort": "date", "filter": f"date>={start};date<{iso(end)}"},
    )
    assert {e["eventId"] for e in got} == want
    assert [e["date"] for e in got] == sorted(e["date"] for e in got)
    assert sum(e["date"] == start for e in got) >= 2


def test_event_data_traps(emu):
    tenant = emu.tenant
    for path in EVENT_PATHS:
        dates = [e["date"] for e in tenant.collections[path]]
        assert max(dates) <= tenant.now_ms
        midnight = [d for d in dates if d % DAY_MS == 0]
        before = [d for d in dates if d % DAY_MS == DAY_MS - 1]
        assert any(midnight.count(d) >= 2 for d in midnight), path
        assert any(before.count(d) >= 2 for d in before), path
        for day in tenant.quiet_days:
            assert not [d for d in dates if day <= d < day + DAY_MS], path
        assert len({e["eventId"] for e in tenant.collections[path]}) == len(dates)
    users = tenant.collections["/users"]
    assert any(u["firstVisitDate"] == 0 for u in users)
    assert any(u["customAttributes"] is None for u in users)


def test_advance_adds_events_after_old_now(tiny):
    emu, http = tiny
    tenant = emu.tenant
    old = tenant.now_ms
    n_users = len(tenant.collections["/users"])
    tenant.advance(timedelta(days=2), touch_users=4, new_users=2)
    assert tenant.now_ms == old + 2 * DAY_MS
    got, _ = scroll_all(
        http, f"{emu.base_url}/events/custom", {"pageSize": 1000, "filter": f"date>{old}"}
    )
    assert got
    assert all(old < e["date"] <= tenant.now_ms for e in got)
    users = tenant.collections["/users"]
    assert len(users) == n_users + 2
    assert sum(u["lastModifiedDate"] > old for u in users) >= 6
    touched = tenant.touch("/accounts", 2)
    assert all(a["lastModifiedDate"] == tenant.now_ms for a in touched)


def test_determinism():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    a = Tenant.generate(seed=11, size=TINY, now=now)
    b = Tenant.generate(seed=11, size=TINY, now=now)
    assert a.collections == b.collections
    a.advance(timedelta(hours=30))
    b.advance(timedelta(hours=30))
    assert a.collections == b.collections
    c = Tenant.generate(seed=12, size=TINY, now=now)
    assert c.collections["/users"] != a.collections["/users"]


# -- faults ---------------------------------------------------------------------------------------


def test_fault_error_rate(tiny):
    emu, http = tiny
    emu.faults.error_rate = 1.0
    statuses = {http.get(f"{emu.base_url}/users").status_code for _ in range(6)}
    assert statuses <= {500, 502, 503}
    assert emu.faults.injected["error"] == 6


def test_fault_reset(tiny):
    emu, http = tiny
    emu.faults.reset_rate = 1.0
    with pytest.raises(requests.ConnectionError):
        http.get(f"{emu.base_url}/users")
    assert emu.requests[-1].status == 0


def test_fault_truncate(tiny):
    emu, http = tiny
    emu.faults.truncate_rate = 1.0
    r = http.get(f"{emu.base_url}/users")
    assert r.status_code == 200
    assert int(r.headers["Content-Length"]) == len(r.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


def test_fault_truncate_consumes_the_cursor_unless_quirk_off(tiny):
    emu, http = tiny
    url = f"{emu.base_url}/users"
    first = http.get(url, params={"pageSize": 10}).json()
    sid = first["scrollId"]
    for consumes, expected_first_id in ((True, 20), (False, 10)):
        emu.quirks.truncated_page_consumes_cursor = consumes
        emu.faults.truncate_rate = 1.0
        http.get(url, params={"scrollId": sid})  # cut in half
        emu.faults.truncate_rate = 0.0
        page = http.get(url, params={"scrollId": sid}).json()["users"]
        all_ids = [u["aptrinsicId"] for u in scroll_all(http, url, {"pageSize": 60})[0]]
        assert page[0]["aptrinsicId"] == all_ids[expected_first_id]
        sid = http.get(url, params={"pageSize": 10}).json()["scrollId"]


def test_fault_html(tiny):
    emu, http = tiny
    emu.faults.html_rate = 1.0
    r = http.get(f"{emu.base_url}/users")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")


def test_fault_rate_limit(tiny):
    emu, http = tiny
    emu.faults.rate_limit_per_second = 3
    responses = [http.get(f"{emu.base_url}/segment") for _ in range(6)]
    limited = [r for r in responses if r.status_code == 429]
    assert len(limited) == 3
    assert limited[0].headers["Retry-After"] == "1"
    time.sleep(1.05)
    assert http.get(f"{emu.base_url}/segment").status_code == 200


def test_fault_duplicate_blocking(tiny):
    emu, http = tiny
    emu.faults.block_duplicates_ms = 150
    url = f"{emu.base_url}/users"
    first = http.get(url, params={"pageSize": 5})
    assert first.status_code == 200
    blocked = http.get(url, params={"pageSize": 5})
    assert blocked.status_code == 429
    assert blocked.json()["externalapierror"]["message"] == (
        "Duplicate request blocked. Please wait before retrying"
    )
    # A continuation with the same scrollId is not a duplicate: the cursor has moved.
    sid = first.json()["scrollId"]
    assert http.get(url, params={"scrollId": sid}).status_code == 200
    assert http.get(url, params={"scrollId": sid}).status_code == 200
    time.sleep(0.2)
    assert http.get(url, params={"pageSize": 5}).status_code == 200
    assert emu.faults.injected["duplicate"] == 1


def test_fault_expire_scrolls(tiny):
    emu, http = tiny
    url = f"{emu.base_url}/accounts"
    sid = http.get(url, params={"pageSize": 2}).json()["scrollId"]
    emu.faults.expire_scrolls = True
    r = http.get(url, params={"scrollId": sid})
    assert r.status_code == 400
    assert "invalid scrollid" in r.json()["externalapierror"]["message"].lower()
    assert emu.faults.expire_scrolls is False
    assert http.get(url, params={"scrollId": sid}).status_code == 400  # gone for good
    assert http.get(url, params={"pageSize": 2}).status_code == 200


def test_fault_latency(tiny):
    emu, http = tiny
    emu.faults.latency_ms = 150
    started = time.monotonic()
    http.get(f"{emu.base_url}/segment")
    assert time.monotonic() - started >= 0.15


# -- process entry point --------------------------------------------------------------------------


def test_main_prints_url_and_exits_0_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--size", "small", "--api-key", "k"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("EMULATOR_URL=http://127.0.0.1:")
        url = line.split("=", 1)[1]
        r = requests.get(f"{url}/segment", headers={"X-APTRINSIC-API-KEY": "k"})
        assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert proc.stdout.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()


# -- the event date index (index.py) -------------------------------------------------------------


def _hits(api, path, params):
    snapshot = api.search(path, {k: v if isinstance(v, list) else [v] for k, v in params.items()})
    return list(snapshot.records[snapshot.start : snapshot.stop])


def _apis(tenant):
    """(an API answering through the date index, one always taking the general path)."""
    indexed = PxApi(tenant, Quirks(), ScrollStore())
    general = PxApi(tenant, Quirks(), ScrollStore())
    general.search_index = lambda *args: None
    return indexed, general


def _same_hits(indexed, general, path, params):
    got, want = _hits(indexed, path, params), _hits(general, path, params)
    assert len(got) == len(want), params
    # The same records (not copies), in the same order.
    assert all(a is b for a, b in zip(got, want, strict=True)), params
    return got


def _index_queries(events):
    dates = [e["date"] for e in events]
    shared = next(d for d in dates if dates.count(d) >= 2)
    lo, hi = dates[len(dates) // 3], dates[len(dates) // 2]
    window = f"date>={lo};date<{hi}"
    return [
        {"filter": window, "sort": "date"},
        {"filter": f"date>{lo};date<={hi}", "sort": "date"},
        {"filter": f"date>={iso(lo)};date<{iso(hi)}", "sort": "+date"},
        {"filter": f"date=={shared}", "sort": "date"},
        {"filter": f"date>={shared};date<={shared}"},
        {"filter": f"date>={hi};date<{lo}", "sort": "date"},  # empty
        {"filter": f"{window};identifyId~u-00*", "sort": "date"},
        {"filter": f"{window};date!={shared};userType!=LEAD", "sort": "date"},
        {"filter": window},  # eventId order
        {"filter": window, "sort": "-date"},
        {"filter": window, "sort": "identifyId,-date"},
        {"filter": [window, f"date>={shared};date<={shared}"], "sort": "date"},  # OR
        {"sort": "date"},  # the last day
        {},
    ]


def test_event_index_gives_the_general_paths_hits(emu):
    indexed, general = _apis(emu.tenant)
    for path in ("/events/pageView", "/events/email", "/survey/responses"):
        events = emu.tenant.collections[path]
        assert events == sorted(events, key=event_sort_key)
        sizes = [len(_same_hits(indexed, general, path, q)) for q in _index_queries(events)]
        assert sizes[0] > 100
        assert sizes[3] >= 2
        assert sizes[5] == 0
    assert indexed.indexes.get("/events/pageView") is not None


def test_event_index_follows_changes_to_the_collection():
    tenant = Tenant.generate(seed=3, size=TINY)
    indexed, general = _apis(tenant)
    path = "/events/custom"
    events = tenant.collections[path]

    def check():
        for query in _index_queries(events):
            _same_hits(indexed, general, path, query)

    check()
    old_index = indexed.indexes.get(path)
    tenant.advance(timedelta(days=1))
    assert events == sorted(events, key=event_sort_key)
    check()
    assert indexed.indexes.get(path) is not old_index
    # Changes made by hand, in place: an old event appended (out of order), removals...
    events.append({**events[5], "eventId": "0-appended"})
    check()
    assert indexed.indexes.get(path).reordered
    del events[:3]
    events[10] = {**events[10], "date": events[0]["date"]}
    check()
    events.pop()
    check()
    # ... a plain list instead of the collection (no index: the general path) ...
    tenant.collections[path] = list(events)
    assert indexed.indexes.get(path) is None
    check()
    tenant.collections[path].clear()
    assert _hits(indexed, path, {"sort": "date"}) == []
    # ... and a record without a date.
    tenant.collections[path] = Collection([*events[:4], {"eventId": "no-date"}])
    assert indexed.indexes.get(path) is None
    check()


def test_collection_counts_every_change():
    records = Collection([{"n": i} for i in range(10)])
    changes = [
        lambda c: c.append({}),
        lambda c: c.extend([{}]),
        lambda c: c.insert(0, {}),
        lambda c: c.pop(),
        lambda c: c.remove(c[0]),
        lambda c: c.sort(key=lambda r: r.get("n", 0)),
        lambda c: c.reverse(),
        lambda c: c.__setitem__(0, {}),
        lambda c: c.__delitem__(0),
        lambda c: c.__iadd__([{}]),
        lambda c: c.__imul__(1),
        lambda c: c.clear(),
    ]
    for change in changes:
        before = records.version
        change(records)
        assert records.version > before


def test_indexed_scroll_pages_are_the_json_of_their_body(emu, http):
    path = "/events/session"
    events = emu.tenant.collections[path]
    window = f"date>={events[0]['date']};date<{events[0]['date'] + 150 * DAY_MS}"
    params = {"filter": [window], "sort": ["date"], "pageSize": ["300"]}
    response = emu._api.handle(path, params)
    assert response.records_json is not None
    assert len(response.body["sessionInitializedEvents"]) == 300
    expected = json.dumps(response.body, ensure_ascii=False, separators=(",", ":")).encode()
    assert response.encode() == expected
    # Over HTTP: every page, including the encoded-on-first-use ones, is valid and complete.
    got, _ = scroll_all(http, f"{emu.base_url}{path}", {"filter": window, "sort": "date"})
    assert got == [e for e in events if e["date"] < events[0]["date"] + 150 * DAY_MS]


@contextlib.contextmanager
def emulator_process(*options: str) -> t.Iterator[tuple[str, requests.Session]]:
    """`python -m tests.emulator` with a small tenant and key "k": its URL and a session.

    On leaving, the process is stopped with SIGTERM and must exit cleanly.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--size", "small", "--api-key", "k", *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().split("=", 1)[1]
        session = requests.Session()
        session.headers["X-APTRINSIC-API-KEY"] = "k"
        yield url, session
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert proc.stdout.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()


def test_main_size_options():
    options = ("--users", "40", "--accounts", "4", "--history-days", "5", "--events-per-day", "2")
    with emulator_process(*options) as (url, session):
        for path, total in (("/users", 40), ("/accounts", 4)):
            assert session.get(f"{url}{path}").json()["totalHits"] == total
        assert session.get(f"{url}/feature", params={"pageSize": 200}).json()["isLastPage"] is False


# -- worlds: the API as it may really be where the docs are silent (quirks.py) --------------------

ENTITIES = (("/users", "aptrinsicId"), ("/accounts", "id"))


def _keys(http, url, pk, **params):
    records, _ = scroll_all(http, url, params)
    return [r[pk] for r in records]


def _by_modified(records, pk, reverse=False):
    ranked = sorted(records, key=lambda r: r[pk])
    ranked.sort(key=lambda r: r["lastModifiedDate"], reverse=reverse)
    return [r[pk] for r in ranked]


def _recent_window(emu, days=10):
    return f"date>={emu.tenant.now_ms - days * DAY_MS}"


def test_worlds_default_to_the_documented_world():
    q = Quirks()
    flags = (q.entity_sort_ignored, q.entity_filter_refused, q.entity_filter_ignored)
    assert flags == (False, False, False)
    assert (q.renamed_records_key, q.drifted_types) == (None, False)


def test_world_entity_sort_ignored(tiny):
    emu, http = tiny
    for path, pk in ENTITIES:
        url, records = f"{emu.base_url}{path}", emu.tenant.collections[path]
        by_modified = _by_modified(records, pk)
        assert _keys(http, url, pk, pageSize=7, sort="lastModifiedDate") == by_modified
        emu.quirks.entity_sort_ignored = True
        asked = [{"sort": "lastModifiedDate"}, {"sort": "-lastModifiedDate"}, {}]
        orders = [_keys(http, url, pk, pageSize=7, **sort) for sort in asked]
        emu.quirks.entity_sort_ignored = False
        # One stable order over every page, whatever is asked: by a hash of the key.
        assert orders[0] == orders[1] == orders[2]
        assert orders[0] == [r[pk] for r in sorted(records, key=lambda r: scrambled(r[pk]))]
        assert orders[0] not in (by_modified, by_modified[::-1])
        assert sorted(orders[0]) == sorted(by_modified)
    emu.quirks.entity_sort_ignored = True
    events, _ = scroll_all(
        http,
        f"{emu.base_url}/events/custom",
        {"pageSize": 7, "sort": "-date", "filter": _recent_window(emu)},
    )
    dates = [e["date"] for e in events]
    assert len(dates) > 7
    assert dates == sorted(dates, reverse=True)  # other endpoints still sort


def test_world_entity_filter_refused(tiny):
    emu, http = tiny
    cut = emu.tenant.now_ms - 300 * DAY_MS
    refused = (
        f"lastModifiedDate>={cut}",
        ["createDate>0", f"lastModifiedDate<{cut}"],
        "lastModifiedDate!=null;createDate>0",
    )
    for path, pk in ENTITIES:
        url = f"{emu.base_url}{path}"
        assert http.get(url, params={"filter": refused[0]}).status_code == 200
        emu.quirks.entity_filter_refused = True
        for value in refused:
            r = http.get(url, params={"filter": value})
            assert r.status_code == 400, value
            error = r.json()["externalapierror"]
            assert error["status"] == "BAD_REQUEST"
            assert error["message"] == "Filtering on lastModifiedDate is not supported"
        # Other filters work, and a scroll opened without one continues as ever.
        params = {"pageSize": 3, "filter": "createDate>0", "sort": "lastModifiedDate"}
        first = http.get(url, params=params)
        assert first.status_code == 200
        more = http.get(url, params={**params, "scrollId": first.json()["scrollId"]})
        assert more.status_code == 200
        key = RECORDS_KEYS[path]
        pages = [r[pk] for r in first.json()[key] + more.json()[key]]
        assert pages == _by_modified(emu.tenant.collections[path], pk)[:6]
        emu.quirks.entity_filter_refused = False


def test_world_entity_filter_ignored(tiny):
    emu, http = tiny
    for path, pk in ENTITIES:
        url, records = f"{emu.base_url}{path}", emu.tenant.collections[path]
        cut = sorted(r["lastModifiedDate"] for r in records)[len(records) // 2]
        wanted = f"lastModifiedDate>={cut}"
        newer = [r for r in records if r["lastModifiedDate"] >= cut]
        got = _keys(http, url, pk, pageSize=7, filter=wanted, sort="lastModifiedDate")
        assert got == _by_modified(newer, pk)
        emu.quirks.entity_filter_ignored = True
        got = _keys(http, url, pk, pageSize=7, filter=wanted, sort="-lastModifiedDate")
        assert got == _by_modified(records, pk, reverse=True)  # the whole table, sorted
        assert http.get(url, params={"filter": "a b==c"}).status_code == 400  # still parsed
        emu.quirks.entity_sort_ignored = True
        got = _keys(http, url, pk, pageSize=7, filter=wanted, sort="lastModifiedDate")
        assert got == [r[pk] for r in sorted(records, key=lambda r: scrambled(r[pk]))]
        emu.quirks.entity_filter_refused = True  # refused wins over ignored
        assert http.get(url, params={"filter": wanted}).status_code == 400
        emu.quirks.entity_filter_refused = emu.quirks.entity_sort_ignored = False
        emu.quirks.entity_filter_ignored = False
    emu.quirks.entity_filter_ignored = True
    window = _recent_window(emu, days=3)
    events, _ = scroll_all(http, f"{emu.base_url}/events/pageView", {"filter": window})
    since = emu.tenant.now_ms - 3 * DAY_MS
    want = {e["eventId"] for e in emu.tenant.collections["/events/pageView"] if e["date"] >= since}
    assert {e["eventId"] for e in events} == want  # events still filter


def test_world_renamed_records_key(tiny):
    emu, http = tiny
    root = emu.base_url.removesuffix("/v1")
    now = emu.tenant.now_ms
    calls = {
        **{path: {"pageSize": 3} for path in ("/users", "/accounts")},
        **{path: {"filter": _recent_window(emu)} for path in EVENT_PATHS},
        **{path: {} for path in ("/feature", "/segment", "/engagement", "/articles", "/kcbot")},
        "/engagement/extended": {},
        "/admin/monitoring/engagement_collisions": {
            "dateRangeStart": now - 170 * DAY_MS,
            "dateRangeEnd": now,
        },
    }

    def bodies():
        out = {p: http.get(f"{emu.base_url}{p}", params=q).json() for p, q in calls.items()}
        out["/v2/feature_ext"] = http.get(f"{root}/v2/feature_ext").json()
        return out

    documented = bodies()
    emu.quirks.renamed_records_key = "items"
    renamed = bodies()
    for path, body in renamed.items():
        records, was = body["items"], dict(documented[path])
        assert records, path
        assert records == was.pop(RECORDS_KEYS[path]), path
        assert set(body) - {"items"} == set(was), path  # the rest of the envelope as ever
    more = http.get(f"{emu.base_url}/users", params={"scrollId": renamed["/users"]["scrollId"]})
    assert len(more.json()["items"]) == 3  # continuations too
    # Bare arrays and root objects keep their shape.
    assert isinstance(http.get(f"{emu.base_url}/admin/model/user/attributes").json(), list)
    assert "integrationStatuses" in http.get(f"{emu.base_url}/admin/monitoring/integrations").json()


@pytest.fixture(scope="module")
def drifted(emu):
    """A second emulator of `emu`'s tenant (read only), in the world of drifted types."""
    with Emulator(emu.tenant, quirks=Quirks(drifted_types=True)) as emulator:
        yield emulator


PAGED = ("/feature", "/engagement", "/articles", "/kcbot", "/engagement/extended")
#: Every PX path the drifted world drifts, read whole (events over their last 180 days).
DRIFTED_READS = (
    "/users",
    "/accounts",
    *EVENT_PATHS,
    *PAGED,
    "/v2/feature_ext",
    "/admin/model/user/attributes",
    "/admin/model/account/attributes",
    "/admin/monitoring/engagement_collisions",
    "/admin/subscription",
    "/admin/monitoring/integrations",
)


def read_all(http, emulator, path):
    """Every record ``path`` serves, in order."""
    now = emulator.tenant.now_ms
    if path.startswith("/v2/"):
        url = f"{emulator.base_url.removesuffix('/v1')}{path}"
    else:
        url = f"{emulator.base_url}{path}"
    if path in PAGED or path.startswith("/v2/"):
        records, number, last = [], 0, False
        while not last:
            body = http.get(url, params={"pageSize": 200, "pageNumber": number}).json()
            records += body[RECORDS_KEYS[path]]
            number, last = number + 1, body["isLastPage"]
        return records
    if path in EVENT_PATHS:
        window = {"filter": f"date>={now - 180 * DAY_MS}", "sort": "date"}
        return scroll_all(http, url, {"pageSize": 1000, **window})[0]
    if path == "/admin/monitoring/engagement_collisions":
        window = {"dateRangeStart": now - 180 * DAY_MS, "dateRangeEnd": now}
        return scroll_all(http, url, {"pageSize": 1000, **window})[0]
    if path in ("/users", "/accounts"):
        return scroll_all(http, url, {"pageSize": 1000})[0]
    body = http.get(url).json()
    if path == "/admin/subscription":
        return [body]
    return body["integrationStatuses"] if isinstance(body, dict) else body


def test_world_drifted_types_sends_the_documented_records_drifted(emu, http, drifted):
    for path in DRIFTED_READS:
        documented, sent = read_all(http, emu, path), read_all(http, drifted, path)
        stream, _ = stream_of(path)
        assert sent == [drift_record(stream, r)[0] for r in documented], path
        assert sent != documented, path
        assert sent == read_all(http, drifted, path), path  # the same on every read
        want = {record_key(stream, r): d for r in documented if (d := drift_record(stream, r)[1])}
        assert drifted.drifted[stream] == want, path
        # A subset: most records of a big stream arrive as documented.
        if len(documented) > 50:
            assert len(documented) / 10 < len(want) < len(documented) / 3, path
    assert emu.drifted == {}  # the documented world drifts nothing


def test_world_drifted_types_cover_every_kind(http, drifted):
    for path in ("/users", "/accounts", "/events/email", "/engagement", "/articles"):
        read_all(http, drifted, path)
    for path in ("/admin/model/user/attributes", "/admin/monitoring/integrations"):
        read_all(http, drifted, path)

    def sent(stream, field):
        found = [
            (d.original, d.sent)
            for drifts in drifted.drifted[stream].values()
            for d in drifts
            if d.field_path == field
        ]
        assert found, (stream, field)
        return found

    def fraction(o, s):
        return isinstance(o, int) and isinstance(s, float) and s == o + 0.5

    def text_of(o, s):
        return isinstance(s, str) and s == str(o)

    def iso_of(o, s):
        return isinstance(s, str) and to_ms(datetime.fromisoformat(s.replace("Z", "+00:00"))) == o

    kinds = [
        ("/users", "numberOfVisits", fraction),
        ("/accounts", "numberOfEmployees", lambda o, s: type(s) is float and s == o),
        ("/users", "score", lambda o, s: isinstance(o, int) and text_of(o, s)),
        ("/accounts", "healthScore", lambda o, s: isinstance(o, float) and text_of(o, s)),
        ("/users", "globalUnsubscribe", lambda o, s: s == str(o).lower()),
        ("/events/email", "attempt", lambda o, s: type(s) is int and str(s) == o),
        ("/engagement", "translationState", lambda o, s: s is (o == "TRANSLATED")),
        ("/admin/monitoring/integrations", "currentStatus", lambda o, s: s is (o == "UP")),
        (
            "/events/email",
            "globalContext",
            lambda o, s: s == [{"key": k, "value": v} for k, v in o.items()],
        ),
        ("/users", "propertyKeys", lambda o, s: s == {str(i): v for i, v in enumerate(o)}),
        ("/users", "signUpDate", lambda o, s: isinstance(o, int) and text_of(o, s)),
        ("/accounts", "renewalDate", iso_of),
        ("/articles", "releaseDate", lambda o, s: type(s) is int and iso(s)[:10] == o),
        ("/users", "location.coordinates.latitude", text_of),
        ("/users", "customAttributes.mrr", lambda o, s: isinstance(o, float) and text_of(o, s)),
        ("/users", "customAttributes.betaTester", lambda o, s: s == str(o).lower()),
        ("/users", "customAttributes.seats", fraction),
        ("/admin/model/user/attributes", "type", lambda o, s: (o, s) == ("NUMBER", "INTEGER")),
    ]
    for stream, field, is_kind in kinds:
        pairs = sent(stream, field)
        assert all(is_kind(o, s) for o, s in pairs), (stream, field, pairs[:3])
    assert ("{}", "[]") in {
        (json.dumps(o), json.dumps(s)) for o, s in sent("/events/email", "globalContext")
    }
    assert any(s == "false" for _, s in sent("/users", "customAttributes.betaTester"))


def test_world_drifted_types_on_every_path_of_a_record(emu, http, drifted):
    users = emu.tenant.collections["/users"]
    moved = next(u for u in users if u["identifyId"] and drift_record("/users", u)[1])
    same = next(u for u in users if u["identifyId"] and not drift_record("/users", u)[1])
    for user in (moved, same):
        single = http.get(f"{drifted.base_url}/users/{user['identifyId']}").json()
        assert single == drift_record("/users", user)[0]
    assert single == same
    assert drifted.drifted["/users"][moved["aptrinsicId"]] == drift_record("/users", moved)[1]
    # Events: the date index's pre-encoded JSON is bypassed only in the drifted world.
    path = "/events/pageView"
    params = {"filter": [_recent_window(emu, days=30)], "sort": ["date"], "pageSize": ["1000"]}
    assert emu._api.handle(path, params).records_json is not None
    page = drifted._api.handle(path, params)
    assert page.records_json is None
    assert json.loads(page.encode())["results"] == page.body["results"]
    assert page.body["results"] == [
        drift_record(path, e)[0] for e in emu._api.handle(path, params).body["results"]
    ]


def test_main_quirk_options_start_a_world():
    options = (
        *("--users", "40", "--accounts", "4", "--history-days", "5"),
        *("--quirk", "renamed_records_key=items", "--quirk", "drifted_types"),
        *("--quirk", "entity_sort_ignored", "--quirk", "constant_scroll_id=false"),
    )
    with emulator_process(*options) as (url, session):
        first = session.get(f"{url}/users", params={"pageSize": 20, "sort": "createDate"}).json()
        users = first["items"]
        assert [u["aptrinsicId"] for u in users] == sorted(
            (u["aptrinsicId"] for u in users), key=scrambled
        )
        assert any(isinstance(u["score"], str) for u in users)  # drifted
        more = session.get(f"{url}/users", params={"scrollId": first["scrollId"]}).json()
        assert more["scrollId"] != first["scrollId"]  # a documented quirk switched off


@pytest.mark.parametrize(
    ("option", "error"),
    [
        ("nope", "unknown quirk"),
        ("renamed_records_key", "needs a value"),
        ("drifted_types=maybe", "true or false"),
    ],
)
def test_main_rejects_a_bad_quirk_option(capsys, option, error):
    with pytest.raises(SystemExit) as exit_:
        emulator_main(["--quirk", option])
    assert exit_.value.code == 2
    assert error in capsys.readouterr().err
