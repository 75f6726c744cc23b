"""The PX emulator's answers to the API facts of docs/api.md that no test of the tap would notice
drifting: the tap reads on whatever the emulator answers, so these pin the answers themselves."""

from __future__ import annotations

from datetime import datetime, timezone

import requests

from tests.emulator import MAX_PAGE_SIZE
from tests.emulator.tenant import DAY_MS


def scroll_all(http, url, params):
    """Every page of a scroll until an empty page; returns (records, pages)."""
    pages = [http.get(url, params=params).json()]
    key = next(k for k in pages[0] if isinstance(pages[0][k], list))
    while pages[-1][key]:
        pages.append(http.get(url, params={**params, "scrollId": pages[-1]["scrollId"]}).json())
    return [r for p in pages for r in p[key]], pages


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_missing_or_wrong_key_is_401_in_the_error_envelope(emu):
    """docs/api.md, "PX: hosts and authentication" and "PX: errors and rate limits"."""
    for headers in ({}, {"X-APTRINSIC-API-KEY": "wrong"}):
        r = requests.get(f"{emu.base_url}/users", headers=headers)
        assert r.status_code == 401
        assert r.json()["externalapierror"]["status"] == "UNAUTHORIZED"


def test_a_page_size_over_the_maximum_is_400_naming_it(emu, http):
    """docs/api.md, "PX: scroll pagination": above the maximum is a 400."""
    for path in ("/users", "/events/custom", "/feature", "/engagement"):
        maximum = MAX_PAGE_SIZE[path]
        r = http.get(f"{emu.base_url}{path}", params={"pageSize": maximum + 1})
        assert r.status_code == 400, path
        assert str(maximum) in r.json()["externalapierror"]["message"]
        assert http.get(f"{emu.base_url}{path}", params={"pageSize": maximum}).status_code == 200


def test_a_scroll_keeps_its_id_and_total_hits_past_the_last_page(emu, http):
    """docs/api.md, "PX: scroll pagination": the page after the last is empty, its scrollId set."""
    users, pages = scroll_all(http, f"{emu.base_url}/users", {"pageSize": 1000})
    assert len({u["aptrinsicId"] for u in users}) == len(users) == 1200
    assert [len(p["users"]) for p in pages] == [1000, 200, 0]
    assert len({p["scrollId"] for p in pages}) == 1
    assert pages[-1]["scrollId"]
    assert all(p["totalHits"] == 1200 for p in pages)


def test_a_page_number_list_counts_from_0_and_ends_at_is_last_page(emu, http):
    """docs/api.md, "PX: page-number pagination"."""
    url, pages = f"{emu.base_url}/feature", []
    while not pages or not pages[-1]["isLastPage"]:
        pages.append(http.get(url, params={"pageNumber": len(pages), "pageSize": 200}).json())
        assert pages[-1]["pageNumber"] == len(pages) - 1
    ids = [f["propertyKey"] + f["id"] for p in pages for f in p["features"]]
    assert len(pages) > 1
    assert len(set(ids)) == len(ids) == len(emu.tenant.collections["/feature"])


def test_events_default_to_the_last_day_and_refuse_over_190_days(emu, http):
    """docs/api.md, "PX: event windows"."""
    end = emu.tenant.now_ms
    events, _ = scroll_all(http, f"{emu.base_url}/events/session", {"pageSize": 1000})
    want = [e for e in emu.tenant.collections["/events/session"] if e["date"] >= end - DAY_MS]
    assert want
    assert {e["eventId"] for e in events} == {e["eventId"] for e in want}
    url = f"{emu.base_url}/events/custom"
    assert http.get(url, params={"filter": f"date>={end - 190 * DAY_MS};date<{end}"}).ok
    too_long = http.get(url, params={"filter": f"date>={end - 191 * DAY_MS};date<{end}"})
    assert too_long.status_code == 400
    assert "190 days" in too_long.json()["externalapierror"]["message"]
    assert http.get(url, params={"filter": f"date>={iso(end - 191 * DAY_MS)}"}).status_code == 400


def test_an_event_window_is_half_open(emu, http):
    """docs/api.md, "PX: event windows": ``date>=`` inclusive, ``date<`` exclusive."""
    path = "/events/pageView"
    events = emu.tenant.collections[path]
    start = next(
        e["date"]
        for e in events
        if e["date"] % DAY_MS == 0 and sum(x["date"] == e["date"] for x in events) >= 2
    )
    end = start + 5 * DAY_MS
    got, _ = scroll_all(
        http,
        f"{emu.base_url}{path}",
        {"pageSize": 7, "sort": "date", "filter": f"date>={start};date<{iso(end)}"},
    )
    assert {e["eventId"] for e in got} == {e["eventId"] for e in events if start <= e["date"] < end}
    assert sum(e["date"] == start for e in got) >= 2


def test_engagement_collisions_refuse_over_180_days_in_their_words(emu, http):
    """docs/api.md, "PX: admin and monitoring"."""
    url = emu.base_url.removesuffix("/v1") + "/v1/admin/monitoring/engagement_collisions"
    end = emu.tenant.now_ms
    window = 180 * DAY_MS
    assert http.get(url, params={"dateRangeStart": end - window, "dateRangeEnd": end}).ok
    r = http.get(url, params={"dateRangeStart": end - window - 1, "dateRangeEnd": end})
    assert r.status_code == 400
    error = r.json()["externalapierror"]
    assert (error["status"], error["message"]) == ("BAD_REQUEST", "Exceeded date range180days")
