"""PX event streams over a real socket: windows, state, shared milliseconds, resume."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from tap_gainsight.px.events import PX_EVENT_ENDPOINTS, EventStream
from tap_gainsight.settings import EDGE_MARGIN_MS
from tap_gainsight.tap import TapGainsight
from tap_gainsight.timestamps import epoch_ms_to_rfc3339, parse_setting_datetime, to_epoch_ms
from tests.conftest import API_KEY, SEED, px_config
from tests.emulator import Emulator, Tenant, TenantSize
from tests.sync import SyncResult, run_sync

EVENT_STREAMS = [endpoint.name for endpoint in PX_EVENT_ENDPOINTS]
DAY_MS = 86_400_000
VALUE = "replication_key_value"


def midnight_before(moment: dt.datetime, days: int) -> dt.datetime:
    day = (moment - dt.timedelta(days=days)).date()
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def whole_history_config(emulator, **overrides) -> dict:
    """Every event the tenant holds, read in windows whose edges fall on UTC midnights."""
    start = midnight_before(emulator.tenant.now, 402)
    return px_config(emulator, start_date=start.isoformat(), **overrides)


def held_ids(emulator, path: str, since_ms: int = 0) -> set[str]:
    return {e["eventId"] for e in emulator.tenant.collections[path] if e["date"] >= since_ms}


def shared_millisecond_groups(events: list[dict]) -> dict[int, int]:
    counts = Counter(e["date"] for e in events)
    return {ms: n for ms, n in counts.items() if n > 1}


def test_400_days_every_event_of_every_type_exactly_once(shared_emulator) -> None:
    tenant = shared_emulator.tenant
    oldest = min(e["date"] for ep in PX_EVENT_ENDPOINTS for e in tenant.collections[ep.path])
    assert tenant.now_ms - oldest > 399 * DAY_MS, "the tenant should hold 400 days of events"

    result = run_sync(whole_history_config(shared_emulator), streams=EVENT_STREAMS)

    for endpoint in PX_EVENT_ENDPOINTS:
        sent = [r["eventId"] for r in result.records[endpoint.name]]
        assert len(sent) == len(set(sent)), f"{endpoint.name} sent an event twice"
        assert set(sent) == held_ids(shared_emulator, endpoint.path), endpoint.name
        dates = [r["date"] for r in result.records[endpoint.name]]
        assert dates == sorted(dates)
        newest = max(e["date"] for e in tenant.collections[endpoint.path])
        assert result.bookmark(endpoint.name) == epoch_ms_to_rfc3339(newest)


def test_window_edges_split_shared_milliseconds_without_loss(shared_emulator) -> None:
    """Events sharing a millisecond exactly on a window edge land in one window, all of them."""
    events = shared_emulator.tenant.collections["/events/custom"]
    on_edges = {ms: n for ms, n in shared_millisecond_groups(events).items() if ms % DAY_MS == 0}
    assert on_edges, "the tenant should hold same-millisecond events on UTC midnights"

    result = run_sync(
        whole_history_config(shared_emulator, event_window_days=1), streams=["custom_events"]
    )
    sent = Counter(
        to_epoch_ms(parse_setting_datetime(r["date"])) for r in result.records["custom_events"]
    )
    for ms, count in on_edges.items():
        assert sent[ms] == count, f"{count} events share {ms}, {sent[ms]} were sent"


def test_quiet_days_do_not_end_the_stream(shared_emulator) -> None:
    events = shared_emulator.tenant.collections["/events/identify"]
    event_days = {e["date"] // DAY_MS for e in events}
    first_day, last_day = min(event_days), max(event_days)
    quiet = [d for d in range(first_day, last_day) if d not in event_days]
    assert quiet, "the tenant should have days without events"

    start = dt.datetime.fromtimestamp(quiet[0] * DAY_MS / 1000, tz=dt.timezone.utc)
    config = px_config(shared_emulator, start_date=start.isoformat(), event_window_days=1)
    result = run_sync(config, streams=["identify_events"])
    assert {r["eventId"] for r in result.records["identify_events"]} == held_ids(
        shared_emulator, "/events/identify", since_ms=quiet[0] * DAY_MS
    )


def test_every_state_written_inside_a_window_out_of_order_says_its_start(
    emulator, monkeypatch
) -> None:
    """While a window read out of date order is emitted, no record moves the bookmark."""
    monkeypatch.setattr(EventStream, "STATE_MSG_FREQUENCY", 10)
    emulator.quirks.event_sort_ignored = True
    start = midnight_before(emulator.tenant.now, 30)
    config = px_config(emulator, start_date=start.isoformat(), page_size=20, event_window_days=10)
    result = run_sync(config, streams=["page_view_events"])

    assert len(result.records["page_view_events"]) > 10 * 3, "a STATE is due every ten events"
    saved = [
        to_epoch_ms(parse_setting_datetime(state["bookmarks"]["page_view_events"][VALUE]))
        for state in result.states
        if state["bookmarks"].get("page_view_events", {}).get(VALUE)
    ]
    offsets = [(b - to_epoch_ms(start)) / (10 * DAY_MS) for b in saved[:-1]]
    assert len(offsets) >= 3
    assert all(offset.is_integer() for offset in offsets), "each a window's edge"
    assert saved[-1] >= emulator.tenant.now_ms, "read whole: the last window's end"


def test_second_run_reads_only_new_events_plus_the_lookback(emulator) -> None:
    config = whole_history_config(emulator, lookback_minutes=90)
    first = run_sync(config, streams=EVENT_STREAMS)
    emulator.tenant.advance(dt.timedelta(days=3))
    emulator.reset_log()
    second = run_sync(config, state=first.final_state, streams=EVENT_STREAMS)

    for endpoint in PX_EVENT_ENDPOINTS:
        bookmark = to_epoch_ms(parse_setting_datetime(first.bookmark(endpoint.name)))
        resend_from = bookmark - 90 * 60_000
        sent = [r["eventId"] for r in second.records[endpoint.name]]
        assert len(sent) == len(set(sent))
        assert set(sent) == held_ids(emulator, endpoint.path, since_ms=resend_from)
        together = {r["eventId"] for r in first.records[endpoint.name]} | set(sent)
        assert together == held_ids(emulator, endpoint.path), f"{endpoint.name} lost events"
    assert all(r.status == 200 for r in emulator.requests)


def test_resume_inside_a_shared_millisecond_loses_none_of_it(shared_emulator) -> None:
    """A bookmark on a millisecond several events share re-sends all of them (at-least-once)."""
    events = shared_emulator.tenant.collections["/events/pageView"]
    group_ms = max(shared_millisecond_groups(events))
    state = {
        "bookmarks": {
            "page_view_events": {
                "replication_key": "date",
                "replication_key_value": epoch_ms_to_rfc3339(group_ms),
            }
        }
    }
    config = whole_history_config(shared_emulator, lookback_minutes=0)
    result = run_sync(config, state=state, streams=["page_view_events"])
    assert {r["eventId"] for r in result.records["page_view_events"]} == held_ids(
        shared_emulator, "/events/pageView", since_ms=group_ms
    )


@pytest.fixture
def busy_emulator():
    """A tenant with enough page views for several STATE messages before the kill."""
    size = TenantSize(users=300, accounts=30, history_days=400, events_per_day=20)
    with Emulator(Tenant.generate(seed=SEED, size=size), api_key=API_KEY) as emulator:
        yield emulator


@pytest.mark.parametrize("kill_after", [0.15, 0.5, 0.9])
def test_sync_killed_mid_way_resumes_from_its_last_state(
    busy_emulator, tmp_path, kill_after
) -> None:
    emulator = busy_emulator
    config = whole_history_config(emulator, lookback_minutes=0)
    streams = ["page_view_events"]
    total = len(emulator.tenant.collections["/events/pageView"])
    assert total > 3 * EventStream.STATE_MSG_FREQUENCY

    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    from tests.sync import catalog_for

    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog_for(config, streams)))
    command = [sys.executable, "-m", "tap_gainsight", "--config", str(config_file)]
    command += ["--catalog", str(catalog_file)]

    tap = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert tap.stdout is not None
    lines, records = [], 0
    for line in tap.stdout:
        lines.append(line)
        records += line.startswith('{"type":"RECORD"') or '"type": "RECORD"' in line
        if records == int(total * kill_after):
            os.kill(tap.pid, signal.SIGKILL)
            break
    lines += tap.stdout.readlines()  # what reached the pipe before the kill was emitted
    if lines and not lines[-1].endswith("\n"):
        lines.pop()  # killed inside a write: its last line is cut short, as a target sees it
    tap.wait(timeout=30)
    assert tap.returncode == -signal.SIGKILL

    killed = SyncResult.from_lines(lines)
    assert killed.states, "the killed run should have emitted a resumable STATE"
    resumed = run_sync(config, state=killed.final_state, streams=streams)

    before = [r["eventId"] for r in killed.records["page_view_events"]]
    after = [r["eventId"] for r in resumed.records["page_view_events"]]
    assert set(before) | set(after) == held_ids(emulator, "/events/pageView")
    resent = len(set(before) & set(after))
    assert resent <= EventStream.STATE_MSG_FREQUENCY + 10, f"{resent} events sent twice"


def test_concurrent_windows_emit_exactly_what_a_serial_read_emits(emulator) -> None:
    emulator.faults.latency_ms = 20  # so that reading ahead has a wait to hide
    start = emulator.tenant.now - dt.timedelta(days=60)
    config = px_config(emulator, start_date=start.isoformat(), event_window_days=2, page_size=5)
    streams = ["custom_events", "page_view_events"]

    serial = run_sync({**config, "max_concurrency": 1}, streams=streams)
    serial_requests, serial_in_flight = len(emulator.requests), emulator.most_in_flight
    emulator.reset_log()
    concurrent = run_sync({**config, "max_concurrency": 4}, streams=streams)

    assert serial_in_flight == 1
    assert 2 <= emulator.most_in_flight <= 4, "windows were not read at once, or too many were"
    assert len(emulator.requests) == serial_requests, "reading ahead must not add requests"
    for stream in streams:
        assert concurrent.records[stream] == serial.records[stream], f"{stream}: order differs"
        assert len(serial.records[stream]) > 200
    assert concurrent.states == serial.states, "every STATE, in place, as a serial read"


def test_every_request_is_timed_in_the_sdk_metrics(emulator, caplog) -> None:
    start = emulator.tenant.now - dt.timedelta(days=30)
    # log_metrics: the METRIC lines at INFO (without it they are DEBUG lines).
    config = px_config(emulator, start_date=start.isoformat(), page_size=20, log_metrics=True)
    with caplog.at_level(logging.INFO, logger="singer_sdk.metrics"):
        run_sync(config, streams=["custom_events"])
    points = [
        json.loads(record.getMessage().removeprefix("METRIC: "))
        for record in caplog.records
        if "http_request_duration" in record.getMessage()
    ]
    timed = [point for point in points if point["tags"]["stream"] == "custom_events"]
    sent = [r for r in emulator.requests if r.path == "/events/custom"]
    assert len(sent) > 3
    assert len(timed) == len(sent)
    assert {point["tags"]["endpoint"] for point in timed} == {"/events/custom"}
    assert all(point["tags"]["status"] == "succeeded" for point in timed)


def stream_of(config: dict, state: dict | None = None) -> EventStream:
    # No catalog, so no schemas are read: nothing is requested (there is no emulator here).
    tap = TapGainsight(config=config, state=state, parse_env_config=False, setup_mapper=False)
    stream = tap.streams["custom_events"]
    assert isinstance(stream, EventStream)
    return stream


def test_first_run_without_start_date_reads_the_last_190_days() -> None:
    stream = stream_of({"api_key": "k"})
    windows = stream.windows
    assert windows[-1].end == stream.sync_end
    assert windows[0].start == stream.sync_end - dt.timedelta(
        days=190, milliseconds=-2 * EDGE_MARGIN_MS
    )
    assert len(windows) == 1  # 190 days: one window of the default (the largest)


def test_bookmark_less_lookback_wins_over_start_date() -> None:
    state = {
        "bookmarks": {
            "custom_events": {
                "replication_key": "date",
                "replication_key_value": "2026-06-01T12:00:00.000Z",
            }
        }
    }
    config = {"api_key": "k", "start_date": "2025-01-01T00:00:00Z", "lookback_minutes": 30}
    stream = stream_of(config, state)
    assert stream.history_start(None) == dt.datetime(2026, 6, 1, 11, 30, tzinfo=dt.timezone.utc)


def test_end_date_bounds_the_last_window() -> None:
    config = {
        "api_key": "k",
        "start_date": "2025-01-01T00:00:00Z",
        "end_date": "2025-01-10T06:00:00Z",
        "event_window_days": 4,
    }
    windows = stream_of(config).windows
    assert [w.end.isoformat() for w in windows] == [
        "2025-01-05T00:00:00+00:00",
        "2025-01-09T00:00:00+00:00",
        "2025-01-10T06:00:00+00:00",
    ]


@pytest.mark.parametrize("days", [0, 191])
def test_event_window_outside_1_to_190_days_is_a_config_error(days: int) -> None:
    from singer_sdk.exceptions import ConfigValidationError

    with pytest.raises(ConfigValidationError) as failure:
        TapGainsight(config={"api_key": "k", "event_window_days": days}, parse_env_config=False)
    assert any("event_window_days" in error for error in failure.value.errors)


def serial_then_concurrent(emulator, streams: list[str], **settings):
    """150 days of `streams` read serially, then with 4 in flight at 30 ms per request.

    Returns both syncs, the serial one's requests (path and parameters) and the start.
    """
    emulator.faults.latency_ms = 30  # slower than a page is emitted: reading ahead shows
    start = emulator.tenant.now - dt.timedelta(days=150)
    config = px_config(emulator, start_date=start.isoformat(), page_size=20, **settings)
    serial = run_sync({**config, "max_concurrency": 1}, streams=streams)
    serial_requests = sorted_requests(emulator)
    emulator.reset_log()
    concurrent = run_sync({**config, "max_concurrency": 4}, streams=streams)
    return serial, serial_requests, concurrent, start


def sorted_requests(emulator) -> list[tuple[str, bool]]:
    """Every request's path and whether it opened a scroll, sorted."""
    return sorted((r.path, "scrollId" not in r.params) for r in emulator.requests)


def test_every_event_stream_is_read_at_once_with_a_serial_reads_requests(emulator) -> None:
    streams = [endpoint.name for endpoint in PX_EVENT_ENDPOINTS]
    serial, serial_requests, concurrent, _ = serial_then_concurrent(emulator, streams)

    assert 2 <= emulator.most_in_flight <= 4, "scrolls were not read at once, or too many were"
    for stream in streams:
        assert concurrent.records[stream] == serial.records[stream], f"{stream}: order differs"
    assert concurrent.states == serial.states, "every STATE, in place, as a serial read"
    assert sorted_requests(emulator) == serial_requests, "exactly the requests of a serial read"


def test_a_window_is_one_scroll_whatever_its_size(emulator) -> None:
    streams = ["lead_events", "page_view_events"]
    serial, _, concurrent, start = serial_then_concurrent(emulator, streams)

    assert concurrent.records == serial.records
    assert concurrent.states == serial.states
    for path in ("/events/lead", "/events/pageView"):
        openings = [r for r in emulator.requests if r.path == path and "scrollId" not in r.params]
        starts = [int(r.params["filter"][0].split(";")[0].removeprefix("date>=")) for r in openings]
        # One scroll per 150-day window, its range reaching a millisecond before the start.
        assert starts == [to_epoch_ms(start) - 1], path


def test_event_window_days_reads_one_stream_at_once(emulator) -> None:
    """Shorter windows are more scrolls: one stream's history read concurrently."""
    streams = ["page_view_events"]
    serial, serial_requests, concurrent, _ = serial_then_concurrent(
        emulator, streams, event_window_days=30
    )

    assert 2 <= emulator.most_in_flight <= 4, "the stream's windows were not read at once"
    assert concurrent.records == serial.records
    assert concurrent.states == serial.states
    assert sorted_requests(emulator) == serial_requests


def test_a_small_window_or_one_without_total_hits_stays_one_scroll(emulator) -> None:
    emulator.faults.latency_ms = 30
    start = emulator.tenant.now - dt.timedelta(days=150)
    config = px_config(emulator, start_date=start.isoformat(), page_size=20, max_concurrency=4)
    run_sync({**config, "page_size": 1000}, streams=["page_view_events"])
    page_views = [r for r in emulator.requests if r.path == "/events/pageView"]
    assert len(page_views) == 1, "one page of 600 events: one request"
    emulator.quirks.omit_total_hits = True
    emulator.reset_log()
    run_sync(config, streams=["page_view_events"])
    assert emulator.most_in_flight == 1


def test_next_streams_first_pages_are_read_ahead_changing_nothing_else(emulator) -> None:
    emulator.faults.latency_ms = 30
    start = emulator.tenant.now - dt.timedelta(days=20)
    config = px_config(emulator, start_date=start.isoformat())
    streams = ["custom_events", "email_events", "lead_events", "session_events"]

    serial = run_sync({**config, "max_concurrency": 1}, streams=streams)
    serial_requests = sorted(r.path for r in emulator.requests)
    emulator.reset_log()
    ahead = run_sync({**config, "max_concurrency": 4}, streams=streams)

    assert all(len(serial.records[s]) < 1000 for s in streams), "one page per stream"
    assert emulator.most_in_flight >= 2, "the next streams' first pages were not read ahead"
    assert emulator.most_in_flight <= 4
    assert sorted(r.path for r in emulator.requests) == serial_requests, "no request added"
    for stream in streams:
        assert ahead.records[stream] == serial.records[stream], stream
    assert ahead.states == serial.states


def test_a_later_streams_window_is_read_while_the_stream_before_it_is(emulator) -> None:
    emulator.faults.latency_ms = 30
    start = emulator.tenant.now - dt.timedelta(days=20)
    config = px_config(emulator, start_date=start.isoformat(), page_size=20)
    streams = ["custom_events", "email_events"]
    serial = run_sync({**config, "max_concurrency": 1}, streams=streams)
    serial_paths = sorted(r.path for r in emulator.requests)
    emulator.reset_log()
    ahead = run_sync({**config, "max_concurrency": 4}, streams=streams)

    paths = [r.path for r in emulator.requests]
    email_pages = paths.count("/events/email")
    assert email_pages >= 2, "email events take several pages"
    last_custom = max(i for i, path in enumerate(paths) if path == "/events/custom")
    assert all(i < last_custom for i, path in enumerate(paths) if path == "/events/email"), (
        "email's pages were read while custom events were still being read"
    )
    assert sorted(paths) == serial_paths, "no request added"
    assert ahead.records == serial.records
    assert ahead.states == serial.states
