"""Tests of the emulator's admin, monitoring, preference and extended endpoints (``admin.py``),
over a real socket with plain ``requests``."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import requests

from tests.emulator import Emulator, Faults, RequestRecord, Tenant, TenantSize
from tests.emulator.admin import (
    CONTENT_TYPES,
    PREFERENCE_FIELDS,
    PRIORITY_RULES,
    collision_key,
    collision_sort_key,
)
from tests.emulator.tenant import DAY_MS

COLLISIONS = "/v1/admin/monitoring/engagement_collisions"
COLLISION_FIELDS = {
    "engagementId": str,
    "engagementName": str,
    "propertyKey": str,
    "engagementType": str,
    "otherQualifiedEngagementNames": list,
    "views": int,
    "priorityRule": str,
    "triggeredDate": int,
    "viewedByUser": str,
}
WINDOW_MS = 180 * DAY_MS
#: A tenant small enough to make per test (faults, quirks, changes), with a whole history.
LITTLE = TenantSize(
    users=80,
    accounts=10,
    features=30,
    segments=5,
    engagements=40,
    articles=5,
    kc_bots=2,
    history_days=400,
    events_per_day=0.2,
)


@pytest.fixture
def little():
    """A fresh emulator of its own and a session, for tests that change faults, quirks, data."""
    with Emulator(Tenant.generate(seed=3, size=LITTLE), faults=Faults(seed=5)) as emulator:
        session = requests.Session()
        session.headers["X-APTRINSIC-API-KEY"] = emulator.api_key
        yield emulator, session
        session.close()


def host(emulator):
    """``http://127.0.0.1:PORT``: the root beside ``/v1`` and ``/v2``."""
    return emulator.base_url.removesuffix("/v1")


def window(start, end, **params):
    return {"dateRangeStart": start, "dateRangeEnd": end, **params}


def scroll_collisions(http, emulator, params):
    """Every page of a collisions scroll up to the first empty one; returns the pages."""
    url = host(emulator) + COLLISIONS
    first = http.get(url, params=params)
    assert first.status_code == 200, first.text
    pages = [first.json()]
    while pages[-1]["engagementCollisions"]:
        follow = {"scrollId": pages[-1]["scrollId"], "pageNumber": len(pages)}
        if "pageSize" in params:
            follow["pageSize"] = params["pageSize"]
        r = http.get(url, params=follow)
        assert r.status_code == 200, r.text
        pages.append(r.json())
    return pages


def page_all(http, url, page_size, key, **params):
    """Every page of a page-number endpoint until ``isLastPage``; returns (records, pages)."""
    pages = []
    while not pages or not pages[-1]["isLastPage"]:
        r = http.get(url, params={"pageNumber": len(pages), "pageSize": page_size, **params})
        assert r.status_code == 200, r.text
        pages.append(r.json())
        assert pages[-1]["pageNumber"] == len(pages) - 1
    return [rec for p in pages for rec in p[key]], pages


def midnight_groups(collisions):
    """UTC midnights that two or more collisions share, oldest first."""
    counts = Counter(c["triggeredDate"] for c in collisions if c["triggeredDate"] % DAY_MS == 0)
    return sorted(ms for ms, n in counts.items() if n >= 2)


# -- subscription and integrations ------------------------------------------------------------


def test_subscription_is_one_root_object(emu, http):
    r = http.get(f"{emu.base_url}/admin/subscription")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {
        "id",
        "name",
        "iconUrl",
        "timeZone",
        "website",
        "description",
        "products",
    }
    assert isinstance(body["id"], str)
    assert body["id"]
    assert body == emu.admin.subscription
    assert 2 <= len(body["products"]) <= 3
    keys = []
    for product in body["products"]:
        assert set(product) == {"description", "name", "productKeys"}
        assert len(product["productKeys"]) >= 2
        for key in product["productKeys"]:
            assert set(key) == {"channel", "productKey", "url"}
            assert key["productKey"].startswith("AP-")
            keys.append(key["productKey"])
    assert len(keys) == len(set(keys))
    used = {f["propertyKey"] for f in emu.tenant.collections["/feature"]}
    assert used <= set(keys), "every property key the records use belongs to a product"
    assert emu.requests[-1] == RequestRecord("GET", "/admin/subscription", {}, 200)


def test_integrations(emu, http):
    r = http.get(f"{emu.base_url}/admin/monitoring/integrations")
    assert r.status_code == 200
    body = r.json()
    assert list(body) == ["integrationStatuses"]
    statuses = body["integrationStatuses"]
    assert statuses == emu.admin.integrations
    assert 4 <= len(statuses) <= 8
    assert len({s["integrationSyncName"] for s in statuses}) == len(statuses)
    for s in statuses:
        assert set(s) == {
            "integrationSyncName",
            "currentStatus",
            "lastSuccessfulDate",
            "lastError",
            "numberOfRecordsProcessed",
        }
        assert s["currentStatus"] in ("UP", "DOWN")
        assert isinstance(s["lastSuccessfulDate"], int)
        assert 0 <= s["lastSuccessfulDate"] <= emu.tenant.now_ms
        assert s["lastError"] is None or isinstance(s["lastError"], str)
        assert isinstance(s["numberOfRecordsProcessed"], int)
        if s["currentStatus"] == "UP":
            assert s["lastError"] is None
    never = [s for s in statuses if s["lastSuccessfulDate"] == 0]
    assert len(never) == 1
    assert never[0]["currentStatus"] == "DOWN"
    assert never[0]["lastError"]
    assert {s["currentStatus"] for s in statuses} == {"UP", "DOWN"}


# -- engagement collisions: data --------------------------------------------------------------


def test_collisions_data_traps(emu):
    collisions = emu.admin.collisions
    assert collisions == sorted(collisions, key=collision_sort_key)
    # The documented order, spelt out: triggeredDate, then engagementId, then viewedByUser.
    order = [(c["triggeredDate"], c["engagementId"], c["viewedByUser"]) for c in collisions]
    assert order == sorted(order)
    keys = [collision_key(c) for c in collisions]
    assert len(keys) == len(set(keys)), "(engagementId, triggeredDate, viewedByUser) is unique"
    start, now = emu.admin.history_start_ms, emu.tenant.now_ms
    assert all(start <= c["triggeredDate"] <= now for c in collisions)
    # Spread over the whole history, a few a day.
    assert collisions[0]["triggeredDate"] < start + 5 * DAY_MS
    assert collisions[-1]["triggeredDate"] > now - 5 * DAY_MS
    days = {c["triggeredDate"] // DAY_MS for c in collisions}
    assert len(days) > 0.8 * emu.tenant.size.history_days
    assert len(collisions) < 10 * emu.tenant.size.history_days
    # Ties: one ms shared, on UTC midnights, and on midnight - 1 ms.
    per_ms = Counter(c["triggeredDate"] for c in collisions)
    assert len(midnight_groups(collisions)) >= 5
    assert any(n >= 2 and (ms + 1) % DAY_MS == 0 for ms, n in per_ms.items())
    assert any(n >= 2 and ms % DAY_MS not in (0, DAY_MS - 1) for ms, n in per_ms.items())
    same = Counter((c["engagementId"], c["triggeredDate"]) for c in collisions)
    assert any(n >= 2 for n in same.values()), "one engagement, one ms, several users"
    per_engagement = Counter(c["engagementId"] for c in collisions)
    assert max(per_engagement.values()) >= 3
    # Fields from the tenant.
    engagements = {e["id"]: e for e in emu.tenant.collections["/engagement"]}
    users = {u["identifyId"] for u in emu.tenant.collections["/users"] if u["identifyId"]}
    for c in collisions[:300]:
        e = engagements[c["engagementId"]]
        assert c["engagementName"] == e["name"]
        assert c["engagementType"] == e["type"]
        assert c["propertyKey"] in e["propertyKeys"]
        assert c["viewedByUser"] in users
        assert c["priorityRule"] in PRIORITY_RULES
        assert c["engagementName"] not in c["otherQualifiedEngagementNames"]
        assert c["otherQualifiedEngagementNames"]


def test_collisions_follow_the_clock(little):
    emulator, _ = little
    before = emulator.admin.collisions
    old_now = emulator.tenant.now_ms
    emulator.tenant.advance(timedelta(days=4), touch_users=0, touch_accounts=0, new_users=0)
    after = emulator.admin.collisions
    assert after[: len(before)] == before, "the history does not change"
    new = after[len(before) :]
    assert new
    assert all(old_now < c["triggeredDate"] <= emulator.tenant.now_ms for c in new)


# -- engagement collisions: requests ----------------------------------------------------------


def test_collisions_page_shape_and_half_open_range(emu, http):
    group = midnight_groups(emu.admin.collisions)[-1]
    end = group + 20 * DAY_MS
    r = http.get(host(emu) + COLLISIONS, params=window(group, end, pageSize=1000))
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"engagementCollisions", "scrollId", "totalHits"}
    rows = body["engagementCollisions"]
    assert rows == emu.admin.collisions_in(group, end)
    assert body["totalHits"] == len(rows)
    for row in rows:
        assert list(row) == list(COLLISION_FIELDS)
        for name, kind in COLLISION_FIELDS.items():
            assert isinstance(row[name], kind), name
    # dateRangeStart inclusive: the collisions ON the start ms are in ...
    on_start = [c for c in emu.admin.collisions if c["triggeredDate"] == group]
    assert len(on_start) >= 2
    assert rows[: len(on_start)] == on_start
    # ... dateRangeEnd exclusive: a window ending on that ms leaves them out.
    before = http.get(host(emu) + COLLISIONS, params=window(group - DAY_MS, group)).json()
    assert before["totalHits"] == len(emu.admin.collisions_in(group - DAY_MS, group))
    assert all(c["triggeredDate"] < group for c in before["engagementCollisions"])
    last = emu.requests[-1]
    assert last.path == "/admin/monitoring/engagement_collisions"
    assert last.params == {"dateRangeStart": [str(group - DAY_MS)], "dateRangeEnd": [str(group)]}


def test_collisions_range_over_180_days_is_400(emu, http):
    url = host(emu) + COLLISIONS
    end = emu.tenant.now_ms
    assert http.get(url, params=window(end - WINDOW_MS, end)).status_code == 200
    for start, stop in ((end - WINDOW_MS - 1, end), (0, end)):
        r = http.get(url, params=window(start, stop))
        assert r.status_code == 400
        error = r.json()["externalapierror"]
        assert error["status"] == "BAD_REQUEST"
        assert error["message"] == "Exceeded date range180days"
        assert set(error) == {"status", "message", "debugMessage", "subErrors"}
    assert emu.requests[-1].status == 400


def test_collisions_parameters_are_checked(emu, http):
    url = host(emu) + COLLISIONS
    end = emu.tenant.now_ms
    bad = [
        {"dateRangeEnd": end},
        {"dateRangeStart": end - DAY_MS},
        {},
        window("yesterday", end),
        window(end, end - DAY_MS),
        window(end - DAY_MS, end, pageSize=1001),
        window(end - DAY_MS, end, pageSize=0),
    ]
    for params in bad:
        r = http.get(url, params=params)
        assert r.status_code == 400, params
        assert r.json()["externalapierror"]["status"] == "BAD_REQUEST"
    assert "dateRangeStart" in http.get(url, params=bad[0]).json()["externalapierror"]["message"]
    assert http.get(url, params=window(end - DAY_MS, end, pageSize=1000)).status_code == 200
    empty = http.get(url, params=window(end, end)).json()
    assert empty["engagementCollisions"] == []
    assert empty["totalHits"] == 0


def test_collisions_default_page_size_is_25(emu, http):
    end = emu.tenant.now_ms
    body = http.get(host(emu) + COLLISIONS, params=window(end - 90 * DAY_MS, end)).json()
    assert body["totalHits"] > 25
    assert len(body["engagementCollisions"]) == 25


def test_collisions_paging_splits_a_tie_across_pages(emu, http):
    group = midnight_groups(emu.admin.collisions)[3]
    start, end = group - 2 * DAY_MS, group + 40 * DAY_MS
    expected = emu.admin.collisions_in(start, end)
    # A page size that ends the first page inside the group of the midnight.
    first_of_group = next(i for i, c in enumerate(expected) if c["triggeredDate"] == group)
    size = first_of_group + 1
    pages = scroll_collisions(http, emu, window(start, end, pageSize=size))
    got = [c for p in pages for c in p["engagementCollisions"]]
    assert got == expected
    assert len({collision_key(c) for c in got}) == len(got)
    assert pages[0]["engagementCollisions"][-1]["triggeredDate"] == group
    assert pages[1]["engagementCollisions"][0]["triggeredDate"] == group
    tie = [(c["engagementId"], c["viewedByUser"]) for c in got if c["triggeredDate"] == group]
    assert len(tie) >= 2
    assert tie == sorted(tie), "ties come in a stable order: engagementId, viewedByUser"
    assert all(len(p["engagementCollisions"]) == size for p in pages[:-2])
    assert pages[-1]["engagementCollisions"] == []
    assert {p["totalHits"] for p in pages} == {len(expected)}
    # As on the event scrolls: one constant scrollId, still set on the last (empty) page.
    assert len({p["scrollId"] for p in pages}) == 1
    assert pages[-1]["scrollId"]


def test_collisions_exactly_once_across_180_day_windows(emu, http):
    """A client walking consecutive [a, a + 180 d) windows reads every collision once, even
    with a group of collisions sharing the millisecond of a window edge."""
    collisions = emu.admin.collisions
    start, now = emu.admin.history_start_ms, emu.tenant.now_ms
    edge = next(ms for ms in midnight_groups(collisions) if ms - WINDOW_MS >= start)
    first = edge - WINDOW_MS * -(-(edge - start) // WINDOW_MS)  # an edge falls on ``edge``
    assert first <= start
    seen, by_window = [], {}
    a = first
    while a <= now:
        b = a + WINDOW_MS
        pages = scroll_collisions(http, emu, window(a, b, pageSize=97))
        rows = [c for p in pages for c in p["engagementCollisions"]]
        assert all(a <= c["triggeredDate"] < b for c in rows)
        by_window[a] = rows
        seen += rows
        a = b
    assert edge in by_window, "one window starts on the tie group"
    assert len(seen) == len(collisions)
    assert Counter(map(collision_key, seen)) == Counter(map(collision_key, collisions))
    on_edge = [c for c in collisions if c["triggeredDate"] == edge]
    assert by_window[edge][: len(on_edge)] == on_edge
    assert all(c["triggeredDate"] < edge for c in by_window[edge - WINDOW_MS])


def test_collisions_property_key(emu, http):
    end = emu.tenant.now_ms
    start = end - 120 * DAY_MS
    every = emu.admin.collisions_in(start, end)
    key = Counter(c["propertyKey"] for c in every).most_common()[-1][0]
    pages = scroll_collisions(http, emu, window(start, end, propertyKey=key, pageSize=1000))
    got = [c for p in pages for c in p["engagementCollisions"]]
    assert got == emu.admin.collisions_in(start, end, key)
    assert 0 < len(got) < len(every)
    assert {c["propertyKey"] for c in got} == {key}


def test_collisions_page_number_is_ignored(emu, http):
    url = host(emu) + COLLISIONS
    end = emu.tenant.now_ms
    params = window(end - 60 * DAY_MS, end, pageSize=10)
    plain = http.get(url, params=params).json()
    numbered = http.get(url, params={**params, "pageNumber": 4}).json()
    assert numbered["engagementCollisions"] == plain["engagementCollisions"]
    expected = emu.admin.collisions_in(end - 60 * DAY_MS, end)
    nxt = http.get(url, params={"scrollId": plain["scrollId"], "pageNumber": 9}).json()
    assert nxt["engagementCollisions"] == expected[10:20]


def test_collisions_scroll_ids_belong_to_their_path(emu, http):
    url = host(emu) + COLLISIONS
    end = emu.tenant.now_ms
    users = http.get(f"{emu.base_url}/users", params={"pageSize": 5}).json()
    r = http.get(url, params={"scrollId": users["scrollId"]})
    assert r.status_code == 400
    assert "scrollId" in r.json()["externalapierror"]["message"]
    mine = http.get(url, params=window(end - DAY_MS * 30, end, pageSize=5)).json()["scrollId"]
    assert http.get(f"{emu.base_url}/events/custom", params={"scrollId": mine}).status_code == 400
    assert http.get(url, params={"scrollId": "DXF1ZXJ5nope"}).status_code == 400


def test_collisions_quirks(little):
    emulator, http = little
    url = host(emulator) + COLLISIONS
    end = emulator.tenant.now_ms
    params = window(end - 100 * DAY_MS, end, pageSize=5)
    emulator.quirks.omit_total_hits = True
    body = http.get(url, params=params).json()
    assert "totalHits" not in body
    assert len(body["engagementCollisions"]) == 5
    emulator.quirks.omit_total_hits = False
    emulator.quirks.constant_scroll_id = False
    first = http.get(url, params=params).json()
    second = http.get(url, params={"scrollId": first["scrollId"]}).json()
    assert second["scrollId"] != first["scrollId"]
    assert http.get(url, params={"scrollId": first["scrollId"]}).status_code == 400
    expected = emulator.admin.collisions_in(end - 100 * DAY_MS, end)
    assert second["engagementCollisions"] == expected[5:10]


@pytest.mark.parametrize("consumes", [True, False])
def test_collisions_truncated_page_and_the_cursor(little, consumes):
    emulator, http = little
    emulator.quirks.truncated_page_consumes_cursor = consumes
    url = host(emulator) + COLLISIONS
    end = emulator.tenant.now_ms
    expected = emulator.admin.collisions_in(end - 100 * DAY_MS, end)
    first = http.get(url, params=window(end - 100 * DAY_MS, end, pageSize=4)).json()
    emulator.faults.truncate_rate = 1.0
    cut = http.get(url, params={"scrollId": first["scrollId"]})
    emulator.faults.truncate_rate = 0.0
    assert cut.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)
    retry = http.get(url, params={"scrollId": first["scrollId"]}).json()
    lost = expected[8:12] if consumes else expected[4:8]
    assert retry["engagementCollisions"] == lost
    assert emulator.faults.injected["truncate"] == 1


def test_collisions_expired_scroll_and_duplicates(little):
    emulator, http = little
    url = host(emulator) + COLLISIONS
    end = emulator.tenant.now_ms
    params = window(end - 100 * DAY_MS, end, pageSize=4)
    first = http.get(url, params=params).json()
    emulator.faults.expire_scrolls = True
    r = http.get(url, params={"scrollId": first["scrollId"]})
    assert r.status_code == 400
    assert emulator.faults.injected["expired_scroll"] == 1
    assert http.get(url, params={"scrollId": first["scrollId"]}).status_code == 400, "gone"
    emulator.faults.block_duplicates_ms = 60_000
    other = {**params, "pageSize": 3}  # ``params`` was answered above: a duplicate already
    fresh = http.get(url, params=other)
    assert fresh.status_code == 200
    assert http.get(url, params=other).status_code == 429
    # A continuation is not a duplicate of the one before it: the cursor moved.
    follow = {"scrollId": fresh.json()["scrollId"]}
    assert http.get(url, params=follow).status_code == 200
    assert http.get(url, params=follow).status_code == 200
    assert emulator.faults.injected["duplicate"] == 1


# -- user preferences -------------------------------------------------------------------------


def test_user_preferences(emu, http):
    users = [u["identifyId"] for u in emu.tenant.collections["/users"] if u["identifyId"]]
    values = Counter()
    for identify_id in users[::7]:
        r = http.get(f"{emu.base_url}/user/preferences/{identify_id}")
        assert r.status_code == 200, identify_id
        body = r.json()
        assert list(body) == list(PREFERENCE_FIELDS)
        assert "identifyId" not in body
        assert body == emu.admin.preferences(identify_id)
        values.update(body.values())
    assert set(values) == {True, False, None}
    assert emu.requests[-1] == RequestRecord("GET", f"/user/preferences/{users[::7][-1]}", {}, 200)
    distinct = {tuple(emu.admin.preferences(u).values()) for u in users}
    assert len(distinct) > 10, "preferences differ from user to user"
    assert emu.admin.preferences(users[0]) == emu.admin.preferences(users[0])


def test_user_preferences_unknown_is_404(emu, http):
    for identify_id in ("no-such-user", "u-99999", "%20"):
        r = http.get(f"{emu.base_url}/user/preferences/{identify_id}")
        assert r.status_code == 404
        error = r.json()["externalapierror"]
        assert error["status"] == "NOT_FOUND"
        assert "was not found" in error["message"]
    assert emu.admin.preferences("no-such-user") is None
    assert emu.admin.preferences("") is None
    assert http.get(f"{emu.base_url}/user/preferences/").status_code == 404
    assert http.get(f"{emu.base_url}/user/preferences/u-00001/extra").status_code == 404


def test_user_preferences_percent_decoded(little):
    emulator, http = little
    users = emulator.tenant.collections["/users"]
    index = next(i for i, u in enumerate(users) if u["identifyId"])
    users[index] = {**users[index], "identifyId": "ana@example.com/1"}
    r = http.get(f"{emulator.base_url}/user/preferences/ana%40example.com%2F1")
    assert r.status_code == 200
    assert r.json() == emulator.admin.preferences("ana@example.com/1")


# -- /v2/feature_ext --------------------------------------------------------------------------


def test_feature_ext_is_v1_feature_plus_mapped_elements(emu, http):
    url = f"{host(emu)}/v2/feature_ext"
    records, pages = page_all(http, url, 200, "features")
    assert len(pages) >= 2
    features = sorted(emu.tenant.collections["/feature"], key=lambda f: f["id"])
    assert records == [emu.admin.feature_ext(f) for f in features]
    plain, _ = page_all(http, f"{emu.base_url}/feature", 200, "features")
    for extended, feature in zip(records, plain, strict=True):
        assert list(extended) == [*(k for k in feature if k != "featureLabels"),
                                  "mappedElements", "featureLabels"]  # fmt: skip
        assert {k: v for k, v in extended.items() if k != "mappedElements"} == feature
        assert extended["mappedElements"] == emu.admin.mapped_elements(feature["id"])
    elements = [m for r in records for m in r["mappedElements"]]
    assert any(not r["mappedElements"] for r in records)
    assert any(len(r["mappedElements"]) >= 2 for r in records)
    for m in elements:
        assert list(m) == ["id", "name", "eventType", "state", "type"]
        assert m["eventType"] in ("CLICK", "LINK", "FORM", "PAGE_VIEW", "CUSTOM_EVENT", "SCREEN")
        assert m["state"] in ("ENABLED", "DISABLED", "DELETED")
        assert m["type"] in ("EVENT", "TAG", "URL", "CUSTOM_EVENT", "TEXT_ELEMENT", "SCREEN")
        assert m["id"]
        assert m["name"]
    assert len({m["eventType"] for m in elements}) >= 4
    logged = {r.path for r in emu.requests[-(len(pages) + 2) :]}
    assert logged == {"/v2/feature_ext", "/feature"}


def test_feature_ext_paging_rules(emu, http):
    url = f"{host(emu)}/v2/feature_ext"
    default = http.get(url).json()
    assert len(default["features"]) == 25
    assert default["pageNumber"] == 0
    assert default["isLastPage"] is False
    assert http.get(url, params={"pageSize": 201}).status_code == 400
    assert "200" in http.get(url, params={"pageSize": 201}).json()["externalapierror"]["message"]
    past = http.get(url, params={"pageSize": 200, "pageNumber": 50}).json()
    assert past["features"] == []
    assert past["isLastPage"] is True
    last = emu.requests[-1]
    assert last.path == "/v2/feature_ext"
    assert last.params == {"pageSize": ["200"], "pageNumber": ["50"]}


def test_v2_routing(emu, http):
    root = host(emu)
    for path in ("/v1/v2/feature_ext", "/v2/feature", "/v2/nope", "/v1/feature_ext", "/v2/"):
        r = http.get(root + path)
        assert r.status_code == 404, path
        assert r.json()["externalapierror"]["status"] == "NOT_FOUND"
    assert emu.requests[-4].path == "/v2/feature"
    assert emu.requests[-5].path == "/v1/v2/feature_ext"
    assert emu.requests[-2].path == "/feature_ext"
    assert requests.get(f"{root}/v2/feature_ext").status_code == 401
    assert emu.requests[-1] == RequestRecord("GET", "/v2/feature_ext", {}, 401)
    assert http.post(f"{root}/v2/feature_ext", json={}).status_code == 405


# -- /v1/engagement/extended ------------------------------------------------------------------


def test_engagement_extended_is_engagement_plus_custom_events(emu, http):
    url = f"{emu.base_url}/engagement/extended"
    records, pages = page_all(http, url, 500, "engagements")
    assert len(pages) >= 2
    engagements = sorted(emu.tenant.collections["/engagement"], key=lambda e: e["id"])
    assert records == [emu.admin.engagement_extended(e) for e in engagements]
    plain, _ = page_all(http, f"{emu.base_url}/engagement", 500, "engagements")
    for extended, engagement in zip(records, plain, strict=True):
        assert list(extended) == [*engagement, "customEvents"]
        assert {k: v for k, v in extended.items() if k != "customEvents"} == engagement
        assert extended["customEvents"] == emu.admin.custom_events(engagement["id"])
    assert any(not r["customEvents"] for r in records)
    assert any(r["customEvents"] for r in records)
    names = {e["eventName"] for e in emu.tenant.collections["/events/custom"]}
    for event in (e for r in records for e in r["customEvents"]):
        assert list(event) == ["name", "properties"]
        assert event["name"] in names, "the custom events the tenant sends"
        assert all(isinstance(p, str) for p in event["properties"])
    assert any(e["properties"] for r in records for e in r["customEvents"])
    assert {r.path for r in emu.requests[-len(pages) - 1 :]} == {
        "/engagement",
        "/engagement/extended",
    }


def test_engagement_extended_content_types(emu, http):
    url = f"{emu.base_url}/engagement/extended"
    every = sorted(emu.tenant.collections["/engagement"], key=lambda e: e["id"])
    for params in (
        {"contentTypes": ["IN_APP_GUIDE", "IN_APP_DIALOG"]},
        {"contentTypes": "IN_APP_GUIDE,IN_APP_DIALOG"},
    ):
        got, _ = page_all(http, url, 100, "engagements", **params)
        assert got == [
            emu.admin.engagement_extended(e)
            for e in every
            if e["type"] in ("IN_APP_GUIDE", "IN_APP_DIALOG")
        ]
        assert 0 < len(got) < len(every)
    unrecognized, _ = page_all(http, url, 500, "engagements", contentTypes="UNRECOGNIZE")
    assert unrecognized
    assert {e["type"] for e in unrecognized} == {"EMAIL"}
    r = http.get(url, params={"contentTypes": "EMAIL"})
    assert r.status_code == 400
    assert "contentTypes" in r.json()["externalapierror"]["message"]
    assert "EMAIL" not in CONTENT_TYPES
    assert http.get(url, params={"pageSize": 501}).status_code == 400
    assert len(http.get(url).json()["engagements"]) == 25


# -- quirk flags ------------------------------------------------------------------------------


def test_quirk_flags_make_the_extended_endpoints_404(little):
    emulator, http = little
    feature_ext = f"{host(emulator)}/v2/feature_ext"
    extended = f"{emulator.base_url}/engagement/extended"
    assert http.get(feature_ext).status_code == 200
    assert http.get(extended).status_code == 200
    emulator.quirks.no_v2_feature_ext = True
    r = http.get(feature_ext)
    assert r.status_code == 404
    assert r.json()["externalapierror"]["message"] == "No handler found for GET /v2/feature_ext"
    assert http.get(extended).status_code == 200
    assert http.get(f"{emulator.base_url}/feature").status_code == 200
    emulator.quirks.no_engagement_extended = True
    r = http.get(extended, params={"contentTypes": "NOT_A_TYPE"})
    assert r.status_code == 404, "the endpoint is missing, whatever the parameters"
    assert r.json()["externalapierror"]["status"] == "NOT_FOUND"
    assert http.get(f"{emulator.base_url}/engagement").status_code == 200
    assert [(q.path, q.status) for q in emulator.requests[-5:]] == [
        ("/v2/feature_ext", 404),
        ("/engagement/extended", 200),
        ("/feature", 200),
        ("/engagement/extended", 404),
        ("/engagement", 200),
    ]
    emulator.quirks.no_v2_feature_ext = emulator.quirks.no_engagement_extended = False
    assert http.get(feature_ext).status_code == 200
    assert http.get(extended).status_code == 200


# -- the pipeline: auth, faults, log, concurrency ---------------------------------------------

NEW_PATHS = (
    "/v1/admin/subscription",
    "/v1/admin/monitoring/integrations",
    "/v1/user/preferences/u-00001",
    "/v2/feature_ext",
    "/v1/engagement/extended",
)


def test_new_paths_need_the_api_key(little):
    emulator, _ = little
    for path in NEW_PATHS:
        r = requests.get(host(emulator) + path, headers={"X-APTRINSIC-API-KEY": "wrong"})
        assert r.status_code == 401, path
        assert r.json()["externalapierror"]["status"] == "UNAUTHORIZED"
    r = requests.get(host(emulator) + COLLISIONS, params=window(0, DAY_MS))
    assert r.status_code == 401
    assert {q.status for q in emulator.requests} == {401}
    assert len(emulator.requests) == len(NEW_PATHS) + 1


def test_faults_apply_to_new_paths(little):
    emulator, http = little
    root, faults = host(emulator), emulator.faults
    faults.error_rate = 1.0
    assert all(http.get(root + p).status_code in (500, 502, 503) for p in NEW_PATHS)
    faults.error_rate = 0.0
    faults.html_rate = 1.0
    for path in NEW_PATHS:
        r = http.get(root + path)
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/html")
    faults.html_rate = 0.0
    faults.reset_rate = 1.0
    for path in NEW_PATHS:
        with pytest.raises(requests.ConnectionError):
            requests.get(root + path, headers={"X-APTRINSIC-API-KEY": emulator.api_key})
    faults.reset_rate = 0.0
    assert [q.status for q in emulator.requests[-len(NEW_PATHS) :]] == [0] * len(NEW_PATHS)
    faults.truncate_rate = 1.0
    for path in NEW_PATHS:
        r = http.get(root + path)
        assert r.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.content)
    faults.truncate_rate = 0.0
    faults.rate_limit_per_second = 1
    limited = [http.get(root + p) for p in NEW_PATHS]
    assert any(r.status_code == 429 and r.headers.get("Retry-After") == "1" for r in limited)
    faults.rate_limit_per_second = None
    faults.block_duplicates_ms = 60_000
    once = {"asked": "once"}  # a query not answered yet (unknown params are ignored)
    assert http.get(root + "/v1/admin/subscription", params=once).status_code == 200
    assert http.get(root + "/v1/admin/subscription", params=once).status_code == 429
    faults.block_duplicates_ms = None
    assert faults.injected["error"] == faults.injected["html"] == len(NEW_PATHS)
    assert faults.injected["reset"] == faults.injected["truncate"] == len(NEW_PATHS)


def test_latency_and_most_in_flight_on_new_paths(little):
    emulator, _ = little
    emulator.faults.latency_ms = 300
    emulator.reset_log()
    statuses = {}

    def fetch(path):
        r = requests.get(host(emulator) + path, headers={"X-APTRINSIC-API-KEY": emulator.api_key})
        statuses[path] = r.status_code

    threads = [threading.Thread(target=fetch, args=(p,)) for p in NEW_PATHS]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - began
    assert statuses == dict.fromkeys(NEW_PATHS, 200)
    assert took >= 0.3
    assert took < 0.3 * len(NEW_PATHS), "answered side by side"
    assert emulator.most_in_flight >= 2
    assert emulator.faults.injected["latency"] == len(NEW_PATHS)
    logged = sorted(q.path for q in emulator.requests)
    assert logged == sorted(
        ("/admin/subscription", "/admin/monitoring/integrations", "/user/preferences/u-00001",
         "/v2/feature_ext", "/engagement/extended")
    )  # fmt: skip


# -- determinism ------------------------------------------------------------------------------


def test_same_seed_same_data_other_seed_other_data():
    def data(seed):
        with Emulator(Tenant.generate(seed=seed, size=LITTLE)) as emulator:
            users = [u["identifyId"] for u in emulator.tenant.collections["/users"]]
            features = emulator.tenant.collections["/feature"]
            return (
                emulator.admin.subscription,
                emulator.admin.integrations,
                emulator.admin.collisions,
                [emulator.admin.preferences(u) for u in users],
                [emulator.admin.feature_ext(f) for f in features],
            )

    first, again, other = data(11), data(11), data(12)
    assert first == again
    assert first[0]["id"] != other[0]["id"]
    assert first[2] != other[2]
