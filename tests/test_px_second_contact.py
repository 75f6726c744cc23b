"""The tap in the PX worlds a first contact with a real tenant may reveal (``quirks.py``).

A path refused for want of a product or a right, pages capped below what was asked, range
edges taken otherwise, a shorter range limit, a cursor that expires with a message naming no
scroll, an empty page in another form. In each, a first and an incremental run both succeed,
every row the tenant holds for the streams read (events: those in the range read) arrives
exactly once, every RECORD is valid against its SCHEMA, and the departure is said on a line
starting `API departure:` that names the path.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import typing as t
from collections import Counter
from dataclasses import dataclass

import pytest

from tap_gainsight.departures import PREFIX
from tap_gainsight.px.events import PX_EVENT_ENDPOINTS
from tap_gainsight.px.history import Window
from tap_gainsight.settings import DEFAULT_LOOKBACK_MINUTES
from tap_gainsight.tap import TapGainsight
from tap_gainsight.timestamps import epoch_ms_of, parse_setting_datetime
from tests.conftest import px_config
from tests.emulator import Emulator
from tests.emulator.tenant import DAY_MS, to_ms
from tests.sync import SyncResult, run_sync
from tests.test_worlds import assert_loadable, departures

EVENTS = {endpoint.name: endpoint.path for endpoint in PX_EVENT_ENDPOINTS}
#: The collections of the page-number streams (each keyed by `id`, read whole each run).
PAGED = {
    "features": "/feature",
    "segments": "/segment",
    "engagements": "/engagement",
    "articles": "/articles",
    "kc_bots": "/kcbot",
}
#: The attribute models: bare lists keyed by `id`, read whole each run.
MODELS = {
    "user_attributes": "/admin/model/user/attributes",
    "account_attributes": "/admin/model/account/attributes",
}
#: The incremental entity streams: path and key.
ENTITIES = {"users": ("/users", "aptrinsicId"), "accounts": ("/accounts", "id")}
COLLISIONS = "/admin/monitoring/engagement_collisions"
#: The path each PX stream reads (the richer one where there are two).
STREAM_PATHS = {
    **{stream: path for stream, (path, _) in ENTITIES.items()},
    **PAGED,
    **MODELS,
    "features": "/v2/feature_ext",
    "engagements": "/engagement/extended",
    **EVENTS,
    "engagement_collisions": COLLISIONS,
    "subscription": "/admin/subscription",
    "integrations": "/admin/monitoring/integrations",
}
LOOKBACK_MS = DEFAULT_LOOKBACK_MINUTES * 60_000


@dataclass
class Run:
    """One sync: what it wrote, every line it logged and its `API departure:` lines."""

    result: SyncResult
    lines: list[str]
    departures: list[str]

    @property
    def closing(self) -> list[str]:
        """The sync's own closing lines: after the last stream's `Done:` summary, without
        the departures listed again."""
        done = [i for i, line in enumerate(self.lines) if line.startswith("Done:")]
        after = self.lines[done[-1] + 1 :] if done else self.lines
        return [line for line in after if not line.startswith(PREFIX)]

    def said(self, path: str, *words: str) -> bool:
        """Whether a departure line names `path` and says every one of `words`."""
        return any(
            re.search(rf"{re.escape(path)}\b", line) and all(w in line for w in words)
            for line in self.departures
        )


def sync(caplog, config: dict, *, state: dict | None = None, streams=None) -> Run:
    """Run the tap; a SystemExit fails the test with the error line it logged."""
    caplog.clear()
    try:
        result = run_sync(config, state=state, streams=streams)
    except SystemExit as stop:
        errors = [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
        pytest.fail(f"SystemExit({stop.code}): {errors[-1] if errors else 'no error logged'}")
    return Run(result, [r.getMessage() for r in caplog.records], departures(caplog))


def start_ms(config: dict) -> int:
    return to_ms(parse_setting_datetime(config["start_date"]))


def end_ms(config: dict) -> float:
    end = config.get("end_date")
    return to_ms(parse_setting_datetime(end)) if end else math.inf


def read_from(config: dict, stream: str, before: Run | None) -> int:
    """Where a run reads an event stream from: `start_date`, or the last run's bookmark less
    the lookback (never before `start_date`)."""
    floor = start_ms(config)
    if before is None:
        return floor
    bookmark = before.result.final_state.get("bookmarks", {}).get(stream, {})
    value = epoch_ms_of(bookmark.get("replication_key_value"))
    return floor if value is None else max(value - LOOKBACK_MS, floor)


def collision_of(record: dict) -> tuple:
    return (
        record["engagementId"],
        record["propertyKey"],
        record["viewedByUser"],
        epoch_ms_of(record["triggeredDate"]),
    )


def held(emulator: Emulator, stream: str, config: dict, before: Run | None) -> list:
    """The keys of every row the tenant holds that a run of `stream` must send."""
    collections = emulator.tenant.collections
    if stream in ENTITIES:
        path, key = ENTITIES[stream]
        since = None
        if before is not None:
            bookmark = before.result.final_state["bookmarks"].get(stream, {})
            since = epoch_ms_of(bookmark.get("replication_key_value"))
        return [
            r[key] for r in collections[path] if since is None or r["lastModifiedDate"] >= since
        ]
    if stream in PAGED or stream in MODELS:
        return [r["id"] for r in collections[{**PAGED, **MODELS}[stream]]]
    lower, upper = read_from(config, stream, before), end_ms(config)
    if stream in EVENTS:
        return [e["eventId"] for e in collections[EVENTS[stream]] if lower <= e["date"] < upper]
    if stream == "engagement_collisions":
        return [
            collision_of(c)
            for c in emulator.admin.collisions
            if lower <= c["triggeredDate"] < upper
        ]
    if stream == "subscription":
        return [emulator.admin.subscription["id"]]
    if stream == "integrations":
        return [i["integrationSyncName"] for i in emulator.admin.integrations]
    raise AssertionError(f"no rows known for {stream}")


def sent(result: SyncResult, stream: str) -> list:
    """The keys of the rows a run sent for `stream`."""
    records = result.records.get(stream, [])
    if stream in ENTITIES:
        return [r[ENTITIES[stream][1]] for r in records]
    if stream in EVENTS:
        return [r["eventId"] for r in records]
    if stream == "engagement_collisions":
        return [collision_of(r) for r in records]
    if stream == "integrations":
        return [r["integrationSyncName"] for r in records]
    return [r["id"] for r in records]


def assert_whole(
    emulator: Emulator, run: Run, streams: t.Iterable[str], config: dict, before: Run | None
) -> None:
    """Every row of `streams` the tenant holds (in the range read) arrived exactly once."""
    for stream in streams:
        want, got = (
            Counter(held(emulator, stream, config, before)),
            Counter(sent(run.result, stream)),
        )
        missing, repeated = want - got, got - want
        said = (
            f"{stream}: {sum(missing.values()):,} rows missing, "
            f"{sum(repeated.values()):,} extra or repeated, of {sum(want.values()):,}"
        )
        if missing or repeated:
            pytest.fail(said)


def first_and_incremental(
    emulator: Emulator,
    caplog,
    config: dict,
    streams: list[str],
    *,
    whole: list[str] | None = None,
    second_config: t.Callable[[], dict] | None = None,
    between: t.Callable[[Run], None] | None = None,
) -> tuple[Run, Run]:
    """A first run of `streams`, two days of the tenant's life, and an incremental run from
    its state; in both, the `whole` streams (default: all) whole, and every record loadable.
    `second_config` gives the second run's config (default: the first's); `between` acts on
    the tenant before it (after the two days)."""
    whole = streams if whole is None else whole
    first = sync(caplog, config, streams=streams)
    assert_whole(emulator, first, whole, config, None)
    assert_loadable(first.result)
    emulator.tenant.advance(dt.timedelta(days=2))
    config_after = second_config() if second_config else config
    if between is not None:
        between(first)
    second = sync(caplog, config_after, state=first.result.final_state, streams=streams)
    assert_whole(emulator, second, whole, config_after, first)
    assert second.result.records, "the incremental run reads something"
    return first, second


def days_ago(emulator: Emulator, days: int) -> str:
    return (emulator.tenant.now - dt.timedelta(days=days)).isoformat()


# -- refused paths ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "status"),
    [("/articles,/kcbot", None), ("/survey,/admin", None), ("/articles", "404")],
)
def test_a_refused_path_skips_its_streams_and_reads_the_rest(emulator, caplog, paths, status):
    """A tenant without a product, or a key without admin rights, still gets every stream it
    may read; the ones refused are named as skipped when the sync ends."""
    emulator.quirks.refused_paths = paths
    emulator.quirks.refused_status = status
    refused = sorted(s for s, path in STREAM_PATHS.items() if emulator.quirks.refusal_status(path))
    assert refused
    read = sorted(set(STREAM_PATHS) - set(refused))
    config = px_config(emulator, start_date=days_ago(emulator, 30), page_size=500)

    runs = first_and_incremental(emulator, caplog, config, sorted(STREAM_PATHS), whole=read)
    for run in runs:
        assert {s: len(run.result.records.get(s, [])) for s in refused} == dict.fromkeys(refused, 0)
        for stream in refused:
            assert run.said(STREAM_PATHS[stream], "refused"), (stream, run.departures)
        closing = " ".join(run.closing)
        assert "skipped" in closing, run.closing
        for stream in refused:
            assert re.search(rf"\b{stream}\b", closing), (stream, run.closing)
        assert_loadable(run.result)
    if "/admin" in paths:
        first = runs[0]
        for stream in ENTITIES:
            schema = next(
                m["schema"]
                for m in first.result.messages
                if m["type"] == "SCHEMA" and m["stream"] == stream
            )
            assert not schema["properties"]["customAttributes"].get("properties"), stream
        unread = [line for line in first.lines if "attribute model" in line.lower()]
        assert any(re.search(r"could not|cannot|can't", line.lower()) for line in unread), unread


# -- pages capped below what was asked -------------------------------------------------------

CAPPED_STREAMS = [
    "users",
    "accounts",
    "features",
    "segments",
    "page_view_events",
    "survey_responses",
    "engagement_collisions",
]


@pytest.mark.parametrize(
    ("cap", "silent"),
    [("7", None), ("150", None), ("7", "omit_total_hits"), ("150", "omit_is_last_page")],
)
def test_pages_shorter_than_asked_lose_nothing(emulator, caplog, cap, silent):
    """A page shorter than asked is not the last one when the API says more remain, or
    cannot say; where `totalHits` or `isLastPage` showed more remained, the cap is said."""
    emulator.quirks.page_cap = cap
    if silent:
        setattr(emulator.quirks, silent, True)
    config = px_config(emulator, start_date=days_ago(emulator, 100), page_size=200)
    # 100 days is one window of every event stream: its scroll holds all the stream's rows.
    shown_to_remain = [
        stream
        for stream in CAPPED_STREAMS
        if len(held(emulator, stream, config, None)) > int(cap)
        and not (
            emulator.quirks.omit_is_last_page
            if stream in PAGED
            else emulator.quirks.omit_total_hits
        )
    ]

    first, _ = first_and_incremental(emulator, caplog, config, CAPPED_STREAMS)
    assert shown_to_remain
    for stream in shown_to_remain:
        assert first.said(STREAM_PATHS[stream], "shorter"), (stream, first.departures)


# -- the edges of a date range ---------------------------------------------------------------


def edges_of(windows: tuple[Window, ...]) -> list[int]:
    """The milliseconds where a run's windows meet, start and end included."""
    return [to_ms(w.start) for w in windows] + [to_ms(windows[-1].end)]


def plant_on_edges(emulator: Emulator, path: str, windows: tuple[Window, ...]) -> None:
    """Groups of three events sharing one millisecond on every edge of `windows`: the first
    millisecond of the first, every edge between two, the last millisecond before the end,
    and, outside, the millisecond before the start and the end itself."""
    edges = edges_of(windows)
    dates = [edges[0] - 1, *edges[:-1], edges[-1] - 1, edges[-1]]
    emulator.tenant.add_events(path, [date for date in dates for _ in range(3)])


def windows_of(config: dict, state: dict | None = None) -> tuple[Window, ...]:
    tap = TapGainsight(config=config, state=state, parse_env_config=False)
    return tap.streams["page_view_events"].windows


def edge_config(emulator):
    """The config of the edge worlds, as the tenant's clock stands when it is called:
    three-day windows from a midnight 60 days back to the tenant's now."""
    midnight = (emulator.tenant.now_ms - 60 * DAY_MS) // DAY_MS * DAY_MS
    start = dt.datetime.fromtimestamp(midnight / 1000, tz=dt.timezone.utc)

    def config_now() -> dict:
        return px_config(
            emulator,
            start_date=start.isoformat(),
            end_date=emulator.tenant.now.isoformat(),
            event_window_days=3,
            page_size=200,
        )

    return config_now


@pytest.mark.parametrize("mode", ["exclusive_start", "inclusive_end", "both"])
def test_events_on_window_edges_arrive_once_however_the_edges_are_taken(emulator, caplog, mode):
    """Events (and collisions) sharing one millisecond on an edge, between two windows, at
    the first millisecond or the last before the end, arrive once; none from outside."""
    emulator.quirks.range_edges = mode
    config_now = edge_config(emulator)
    config = config_now()
    windows = windows_of(config)
    assert len(windows) > 10
    plant_on_edges(emulator, "/events/pageView", windows)
    inner = edges_of(windows)[1:-1]
    on_inner_edges = Counter(
        c["triggeredDate"] for c in emulator.admin.collisions if c["triggeredDate"] in inner
    )
    assert max(on_inner_edges.values(), default=0) >= 2, "collisions share an edge's ms"

    def plant_for_the_second_run(first: Run) -> None:
        later = windows_of(config_now(), first.result.final_state)
        plant_on_edges(emulator, "/events/pageView", later)

    streams = ["page_view_events", "engagement_collisions"]
    first_and_incremental(
        emulator,
        caplog,
        config,
        streams,
        second_config=config_now,
        between=plant_for_the_second_run,
    )


# -- a shorter range limit -------------------------------------------------------------------


@pytest.mark.parametrize(
    "template", [None, "Date range cannot exceed {days} days", "Invalid date range"]
)
@pytest.mark.parametrize("days", ["90", "30"])
def test_a_shorter_range_limit_is_found_and_every_event_read(emulator, caplog, days, template):
    """A range limit below the documented one, worded with or without its number, shortens
    the windows instead of stopping the sync."""
    emulator.quirks.max_range_days = days
    emulator.quirks.range_message = template
    config = px_config(emulator, start_date=days_ago(emulator, 300), page_size=500)
    streams = ["page_view_events", "survey_responses", "engagement_collisions"]

    first, _ = first_and_incremental(emulator, caplog, config, streams)
    for stream in streams:
        assert first.said(STREAM_PATHS[stream], "days"), (stream, first.departures)


# -- cursors that expire ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "3:404:No search context found for id [1234]",
        "2:410:Scroll has expired",
        "5:400:Cursor timed out",
    ],
)
def test_an_expired_cursor_loses_nothing_whatever_it_answers(emulator, caplog, quick_retries, rule):
    """A cursor that dies after some pages, with a status and message that need not name a
    scroll, is reopened where the records stopped. One scroll per window (`max_concurrency`
    1), so that every scroll is long enough to expire."""
    emulator.quirks.scroll_expiry = rule
    expired_status = int(rule.split(":")[1])
    config = px_config(
        emulator, start_date=days_ago(emulator, 100), page_size=50, max_concurrency=1
    )
    streams = ["users", "page_view_events"]

    first, _ = first_and_incremental(emulator, caplog, config, streams)
    for stream in streams:
        path = STREAM_PATHS[stream]
        assert any(r.path == path and r.status == expired_status for r in emulator.requests), path
        assert first.said(path), (stream, first.departures)


# -- empty pages in another form -------------------------------------------------------------


@pytest.mark.parametrize("form", ["{}", "absent", "null"])
def test_empty_pages_in_any_form_end_their_scroll_or_list(emulator, caplog, form):
    """Windows before the history and a tenant without bots answer empty pages in the
    world's form; each is an empty page, said where it is not the documented one (a scroll
    page with `totalHits` 0 and no list)."""
    emulator.quirks.empty_body = form
    tenant = emulator.tenant
    tenant.remove("/kcbot", len(tenant.collections["/kcbot"]))
    first_event = min(e["date"] for e in tenant.collections["/events/pageView"])
    before_history = dt.datetime.fromtimestamp(first_event / 1000 - 30 * 86_400, dt.timezone.utc)
    config = px_config(
        emulator, start_date=before_history.isoformat(), event_window_days=5, page_size=200
    )
    streams = ["page_view_events", "engagement_collisions", "kc_bots", "segments"]

    first, _ = first_and_incremental(emulator, caplog, config, streams)
    undocumented = ["kc_bots"] if form == "absent" else ["kc_bots", *streams[:2]]
    for stream in undocumented:
        assert first.said(STREAM_PATHS[stream]), (stream, first.departures)


# -- the documented world --------------------------------------------------------------------


def scroll_requests(total: int, page_size: int, *, total_hits: bool = True) -> int:
    """The requests a scroll of `total` records needs: its pages, one at least, and an empty
    one after a full last page when no `totalHits` says it was the last."""
    pages = max(1, math.ceil(total / page_size))
    return pages + (1 if not total_hits and total and total % page_size == 0 else 0)


def test_the_documented_world_costs_no_more_requests(emulator, caplog):
    """Surviving the other worlds costs nothing where the API is as documented: a scroll
    still takes one request a page, a list one a page, and nothing is said."""
    page_size = 100
    config = px_config(emulator, start_date=days_ago(emulator, 100), page_size=page_size)
    windows = windows_of(config)
    emulator.reset_log()

    run = sync(caplog, config, streams=["users", "page_view_events", "features"])
    assert_whole(emulator, run, ["users", "page_view_events", "features"], config, None)
    requests = Counter(r.path for r in emulator.requests)
    events = [e["date"] for e in emulator.tenant.collections["/events/pageView"]]
    per_window = [sum(to_ms(w.start) <= d < to_ms(w.end) for d in events) for w in windows]
    bound = {
        "/users": scroll_requests(len(emulator.tenant.collections["/users"]), page_size),
        "/events/pageView": sum(scroll_requests(n, page_size) for n in per_window),
        "/v2/feature_ext": max(
            1, math.ceil(len(emulator.tenant.collections["/feature"]) / page_size)
        ),
    }
    made = {path: requests[path] for path in bound}
    assert all(made[path] <= bound[path] for path in bound), (made, bound)
    assert run.departures == []


def test_the_stream_paths_are_the_taps(emulator):
    """The paths this module refuses and counts are those the tap reads."""
    tap = TapGainsight(config=px_config(emulator), parse_env_config=False)
    plain = {name: stream.path for name, stream in tap.streams.items() if name in STREAM_PATHS}
    assert plain == {**STREAM_PATHS, "features": "/feature", "engagements": "/engagement"}
