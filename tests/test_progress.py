"""What a person watching the logs sees: plan, progress, a summary per stream, a total."""

from __future__ import annotations

import datetime as dt
import re

from tap_gainsight.timestamps import parse_setting_datetime, to_epoch_ms
from tests.conftest import px_config
from tests.sync import run_sync


def messages(caplog, pattern: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if re.search(pattern, r.getMessage())]


def test_plan_progress_and_summaries(shared_emulator, caplog, monkeypatch) -> None:
    monkeypatch.setattr("tap_gainsight.progress.REPORT_EVERY_SECONDS", 0.0)
    start = shared_emulator.tenant.now - dt.timedelta(days=400)
    config = px_config(
        shared_emulator, start_date=start.isoformat(), page_size=100, event_window_days=7
    )
    result = run_sync(config, streams=["page_view_events", "features"])

    (plan,) = messages(caplog, r"^Reading events dated")
    windows = int(re.search(r"in (\d+) windows of at most 7 days", plan).group(1))
    assert windows >= 58, "400 days and more in 7-day windows"

    progress = messages(
        caplog, rf"^Progress: page_view_events: window \d+ of {windows}, [\d,]+ records so far"
    )
    assert progress, "progress lines name the window and the records so far"
    # Before the last window: the current window's count, from its first page's totalHits.
    in_window = re.compile(
        r"; this window: [\d,]+ of [\d,]+ events?, about [\d.]+ (s|min|h) left\.$"
    )
    assert any(in_window.search(line) for line in progress), progress[:3]

    summaries = messages(caplog, r"^Done: ")
    assert len(summaries) == 2
    for stream in ("page_view_events", "features"):
        records = len(result.records[stream])
        assert any(f"Done: {stream}: {records:,} records" in line for line in summaries), stream

    (total,) = messages(caplog, r"^Sync complete: ")
    everything = len(result.records["page_view_events"]) + len(result.records["features"])
    assert total.startswith(f"Sync complete: {everything:,} records")


def test_the_closing_table_says_what_each_stream_read_again(emulator, caplog) -> None:
    """An operator planning a schedule sees, per stream, the lookback's and full tables' share."""
    start = emulator.tenant.now - dt.timedelta(days=10)
    config = px_config(emulator, start_date=start.isoformat())
    streams = ["page_view_events", "segments"]
    first = run_sync(config, streams=streams)
    emulator.tenant.advance(dt.timedelta(days=1))
    caplog.clear()
    second = run_sync(config, state=first.final_state, streams=streams)

    bookmark = to_epoch_ms(parse_setting_datetime(first.bookmark("page_view_events")))
    again = [
        e for e in second.records["page_view_events"]
        if to_epoch_ms(parse_setting_datetime(e["date"])) <= bookmark
    ]  # fmt: skip
    assert again, "the lookback reads some events again"
    (header,) = messages(caplog, r"^Streams synced \(records, requests, seconds, read again\):$")
    (events,) = messages(caplog, r"^  page_view_events ")
    assert events.split()[1] == f"{len(second.records['page_view_events']):,}"
    assert events.endswith(f"  {len(again):,} read again (at or before the bookmark)")
    (segments,) = messages(caplog, r"^  segments ")
    assert segments.endswith("full table: every record each run")
    assert header
