"""The PX emulator's valued worlds (``quirks.py``), where a fault of the emulator itself would
go unseen by a test of the tap: a refusal too wide, a cap that lies in ``totalHits``, an edge
the index and the general path take differently, a limit or an expiry that never fires."""

from __future__ import annotations

import argparse

import pytest
import requests

from tests.emulator import Emulator, Tenant
from tests.emulator.endpoints import PxApi
from tests.emulator.quirks import Quirks, quirk_setting
from tests.emulator.scrolls import ScrollStore
from tests.emulator.tenant import DAY_MS
from tests.test_emulator import TINY
from tests.test_emulator_admin import LITTLE

COLLISIONS = "/admin/monitoring/engagement_collisions"


@pytest.fixture
def served():
    """A fresh emulator with a little tenant and a session carrying its key."""
    with Emulator(Tenant.generate(seed=3, size=LITTLE)) as emulator:
        session = requests.Session()
        session.headers["X-APTRINSIC-API-KEY"] = emulator.api_key
        yield emulator, session
        session.close()


def error_of(response: requests.Response) -> tuple[int, str, str]:
    """(HTTP status, envelope status name, message) of an ``externalapierror`` answer."""
    error = response.json()["externalapierror"]
    return response.status_code, error["status"], error["message"]


def test_a_refused_prefix_names_whole_segments(served):
    emulator, http = served
    emulator.quirks.refused_paths = "/admin, /kcbot/,/acc,/survey"
    refused = (
        "/admin/model/user/attributes",
        "/admin/subscription",
        "/admin/monitoring/integrations",
        "/kcbot",
        "/survey/responses",
    )
    for path in refused:
        status, name, _ = error_of(http.get(f"{emulator.base_url}{path}"))
        assert (status, name) == (403, "FORBIDDEN"), path
    for path in ("/accounts", "/articles", "/users", "/feature"):
        assert http.get(f"{emulator.base_url}{path}").status_code == 200, path
    emulator.quirks.refused_status = "404"
    status, name, message = error_of(http.get(f"{emulator.base_url}/kcbot"))
    assert (status, name) == (404, "NOT_FOUND")
    assert "/v1/kcbot" in message
    emulator.quirks.refused_paths = None
    assert http.get(f"{emulator.base_url}/kcbot").status_code == 200


def test_a_capped_page_keeps_total_hits_and_is_last_page_true(served):
    emulator, http = served
    emulator.quirks.page_cap = "7"
    users = emulator.tenant.collections["/users"]
    url = f"{emulator.base_url}/users"
    first = http.get(url, params={"pageSize": 100, "sort": "aptrinsicId"}).json()
    assert len(first["users"]) == 7
    assert first["totalHits"] == len(users)
    seen = [u["aptrinsicId"] for u in first["users"]]
    while True:
        page = http.get(url, params={"pageSize": 100, "scrollId": first["scrollId"]}).json()
        if not page["users"]:
            break
        assert len(page["users"]) <= 7
        seen += [u["aptrinsicId"] for u in page["users"]]
    assert seen == sorted(u["aptrinsicId"] for u in users)

    features = sorted(emulator.tenant.collections["/feature"], key=lambda r: r["id"])
    last = (len(features) - 1) // 7
    for number in (0, 1, last, last + 1):
        params = {"pageSize": 200, "pageNumber": number}
        body = http.get(f"{emulator.base_url}/feature", params=params).json()
        assert body["features"] == features[number * 7 : (number + 1) * 7]
        assert body["isLastPage"] is (number >= last)
    emulator.quirks.omit_is_last_page = True
    body = http.get(f"{emulator.base_url}/feature", params={"pageNumber": last}).json()
    assert "isLastPage" not in body
    assert body["pageNumber"] == last

    end = emulator.tenant.now_ms
    range_ = {"dateRangeStart": end - 100 * DAY_MS, "dateRangeEnd": end, "pageSize": 50}
    body = http.get(f"{emulator.base_url}{COLLISIONS}", params=range_).json()
    assert len(body["engagementCollisions"]) == 7
    assert body["totalHits"] == len(emulator.admin.collisions_in(end - 100 * DAY_MS, end))


def _event_hits(api: PxApi, path: str, filters: list[str]) -> list[str]:
    snapshot = api.search(path, {"filter": filters, "sort": ["date"]})
    return [e["eventId"] for e in snapshot.records[snapshot.start : snapshot.stop]]


@pytest.mark.parametrize(
    ("mode", "lower_kept", "upper_kept"),
    [(None, True, False), ("exclusive_start", False, False), ("inclusive_end", True, True),
     ("both", False, True)],
)  # fmt: skip
def test_range_edges_move_what_an_edge_returns(mode, lower_kept, upper_kept):
    tenant = Tenant.generate(seed=3, size=TINY)
    path = "/events/pageView"
    events = tenant.collections[path]
    dates = [e["date"] for e in events]
    lo = next(d for d in dates if dates.count(d) >= 2)
    hi = next(d for d in dates if dates.count(d) >= 2 and d > lo + DAY_MS)
    quirks = Quirks(range_edges=mode)
    indexed, general = PxApi(tenant, quirks, ScrollStore()), PxApi(tenant, quirks, ScrollStore())
    general.search_index = lambda *args: None
    window = f"date>={lo};date<{hi}"
    got = _event_hits(indexed, path, [window])
    assert got == _event_hits(general, path, [window])
    assert got == _event_hits(indexed, path, [window, window]), "an OR takes the general path"
    expected = [
        e["eventId"]
        for e in events
        if (lo < e["date"] or (lower_kept and e["date"] == lo))
        and (e["date"] < hi or (upper_kept and e["date"] == hi))
    ]
    assert got == expected
    assert _event_hits(indexed, path, [f"date>{lo};date<={hi}"]) == [
        e["eventId"] for e in events if lo < e["date"] <= hi
    ], "the operators that already say the edge are as sent"


@pytest.mark.parametrize("mode", ["exclusive_start", "inclusive_end", "both"])
def test_range_edges_move_the_collisions_edges(served, mode):
    emulator, http = served
    collisions = emulator.admin.collisions
    dates = [c["triggeredDate"] for c in collisions]
    lo = next(d for d in dates if dates.count(d) >= 2)
    hi = next(d for d in dates if dates.count(d) >= 2 and d > lo + DAY_MS)
    emulator.quirks.range_edges = mode
    params = {"dateRangeStart": lo, "dateRangeEnd": hi, "pageSize": 1000}
    body = http.get(f"{emulator.base_url}{COLLISIONS}", params=params).json()
    start_excluded, end_included = mode != "inclusive_end", mode != "exclusive_start"
    assert body["engagementCollisions"] == [
        c
        for c in collisions
        if (lo < c["triggeredDate"] or (not start_excluded and c["triggeredDate"] == lo))
        and (c["triggeredDate"] < hi or (end_included and c["triggeredDate"] == hi))
    ]
    assert body["engagementCollisions"] == emulator.admin.collisions_in(
        lo, hi, start_excluded=start_excluded, end_included=end_included
    )


@pytest.mark.parametrize(
    ("template", "said"),
    [
        (None, "Exceeded date range30days"),
        ("Date range cannot exceed {days} days", "Date range cannot exceed 30 days"),
        ("Invalid date range", "Invalid date range"),
    ],
)
def test_a_range_limit_refuses_longer_ranges_in_its_words(served, template, said):
    emulator, http = served
    emulator.quirks.max_range_days = "30"
    emulator.quirks.range_message = template
    end = emulator.tenant.now_ms

    def asking(path: str, start: int) -> dict[str, object]:
        if path == COLLISIONS:
            return {"dateRangeStart": start, "dateRangeEnd": end}
        return {"filter": f"date>={start};date<{end}"}

    for path in ("/events/pageView", "/survey/responses", COLLISIONS):
        url = f"{emulator.base_url}{path}"
        assert http.get(url, params=asking(path, end - 30 * DAY_MS)).status_code == 200, path
        too_long = http.get(url, params=asking(path, end - 30 * DAY_MS - 1))
        assert error_of(too_long) == (400, "BAD_REQUEST", said), path
    emulator.quirks.max_range_days = "400"
    over = {"filter": f"date>={end - 191 * DAY_MS};date<{end}"}
    status, _, message = error_of(http.get(f"{emulator.base_url}/events/pageView", params=over))
    assert (status, "190 days" in message) == (400, True), "the documented limit still holds"


@pytest.mark.parametrize(
    ("rule", "status", "name"),
    [("3:404:No search context found for id [1234]", 404, "NOT_FOUND"),
     ("2:410:Scroll has expired", 410, "GONE"), ("1:400:Cursor timed out", 400, "BAD_REQUEST")],
)  # fmt: skip
def test_a_cursor_expires_after_its_pages(served, rule, status, name):
    emulator, http = served
    emulator.quirks.scroll_expiry = rule
    pages, _, message = rule.split(":", 2)
    end = emulator.tenant.now_ms
    for path, params in (
        ("/users", {"pageSize": 10}),
        (COLLISIONS, {"dateRangeStart": end - 100 * DAY_MS, "dateRangeEnd": end, "pageSize": 2}),
    ):
        url = f"{emulator.base_url}{path}"
        scroll_id = http.get(url, params=params).json()["scrollId"]
        for _ in range(int(pages) - 1):
            assert http.get(url, params={"scrollId": scroll_id}).status_code == 200, path
        assert error_of(http.get(url, params={"scrollId": scroll_id})) == (status, name, message)
        status_after, _, said = error_of(http.get(url, params={"scrollId": scroll_id}))
        assert (status_after, "unknown or expired" in said) == (400, True), "forgotten"
        assert http.get(url, params=params).status_code == 200, "a new scroll opens"


@pytest.mark.parametrize("form", ["{}", "absent", "null"])
def test_an_empty_page_takes_the_worlds_form(served, form):
    emulator, http = served
    emulator.quirks.empty_body = form
    first = emulator.tenant.collections["/events/pageView"][0]["date"]
    empty_window = {"filter": f"date>={first - 10 * DAY_MS};date<{first}"}
    features = len(emulator.tenant.collections["/feature"])
    empty_page = {"pageSize": 10, "pageNumber": features // 10 + 1}
    expected = {
        "{}": ({}, {}),
        "absent": (("scrollId", "totalHits"), ("pageNumber", "isLastPage")),
        "null": (("results", "scrollId", "totalHits"), ("features", "pageNumber", "isLastPage")),
    }[form]
    scroll = http.get(f"{emulator.base_url}/events/pageView", params=empty_window).json()
    paged = http.get(f"{emulator.base_url}/feature", params=empty_page).json()
    assert (tuple(scroll), tuple(paged)) == tuple(tuple(keys) for keys in expected)
    if form == "null":
        assert (scroll["results"], paged["features"]) == (None, None)
    end = emulator.tenant.now_ms
    none = {"dateRangeStart": end + 1, "dateRangeEnd": end + 2}
    collisions = http.get(f"{emulator.base_url}{COLLISIONS}", params=none).json()
    assert "engagementCollisions" not in collisions or collisions["engagementCollisions"] is None
    full = http.get(f"{emulator.base_url}/feature", params={"pageSize": 10}).json()
    assert len(full["features"]) == 10, "a page with records is unchanged"


def test_valued_worlds_are_checked_at_the_command_line():
    parse = quirk_setting(Quirks)
    assert parse("page_cap=7") == ("page_cap", "7")
    assert parse("scroll_expiry=2:410:Scroll: expired") == (
        "scroll_expiry",
        "2:410:Scroll: expired",
    )
    for bad in (
        "page_cap=0",
        "page_cap=seven",
        "refused_status=200",
        "refused_paths=articles",
        "range_edges=open",
        "max_range_days=-3",
        "scroll_expiry=3:404",
        "empty_body=[]",
    ):
        with pytest.raises(argparse.ArgumentTypeError):
            parse(bad)
