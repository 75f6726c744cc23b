"""Quiet by default: at INFO the plan, progress, summaries and the total, nothing else.

The SDK's METRIC lines and internals ("Skipping parse of env var
settings...", "Pagination stopped after 0 pages") are DEBUG lines; `log_metrics` brings the
METRIC lines back at INFO.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tap_gainsight.progress import Total, plural, through_windows, time_left
from tests.conftest import cs_config, px_config
from tests.sync import run_cli, run_sync

STREAMS = ["subscription", "features", "page_view_events", "users"]
#: What a person reads at INFO: the version, each stream's plan, progress and summary, the
#: total. Anything else at INFO (or above, but for API departures) is noise or news.
INFO_LINES = re.compile(
    r"tap-gainsight v[\d.]+, Meltano SDK v"
    r"|Beginning sync of '\w+' in (incremental|full_table) mode$"
    r"|Starting incremental sync of '\w+' with bookmark value: "
    r"|Reading events dated \S+ to \S+ in (1 window|[\d,]+ windows) of at most (1 day|\d+ days)\.$"
    r"|Reading \w+ records modified .*, then those never modified\.$"
    r"|Reading every \w+ record \(no modified date: full table\)\.$"
    r"|Reading the deletions of \w+ "
    r"|/v1/data/objects/query/\w+: the tenant has no such log; nothing to read\.$"
    r"|Progress: \w+: "
    r"|Done: \w+: (1 record|[\d,]+ records), (1 request|[\d,]+ requests) in "
    r"|Streams synced \(records, requests, seconds, read again\):$"
    r"|\w+ +[\d,]+ +[\d,]+ +[\d,.]+ s  "
    r"(full table: every record each run|[\d,]+ read again \(at or before the bookmark\))$"
    r"|Sync complete: [\d,]+ records?, [\d,]+ requests? in "
)
INTERNALS = ("METRIC", "Skipping parse of env var", "Pagination")


def log_lines(stderr: str) -> list[tuple[str, str, str]]:
    """(level, logger, message) of each line of the SDK's console format."""
    lines = []
    for line in stderr.splitlines():
        parts = [part.strip() for part in line.split("|", 3)]
        if len(parts) == 4:
            lines.append((parts[1], parts[2], parts[3]))
    return lines


def config(emulator) -> dict:
    start = emulator.tenant.now - dt.timedelta(days=30)
    return px_config(emulator, start_date=start.isoformat())


def test_an_info_log_is_the_plan_progress_summaries_and_total(shared_emulator, tmp_path) -> None:
    result = run_cli(config(shared_emulator), tmp_path, streams=STREAMS)
    assert result.returncode == 0, result.stderr
    lines = log_lines(result.stderr)
    assert lines, result.stderr
    assert not [line for line in result.stderr.splitlines() if "METRIC" in line]
    for level, logger, message in lines:
        assert level in {"INFO", "WARNING"}, (level, message)
        assert not message.startswith(INTERNALS), message
        if level == "INFO":
            assert INFO_LINES.match(message), f"not for a person at INFO: {logger}: {message}"
        else:
            assert message.startswith("API departure:"), message
    messages = [message for _, _, message in lines]
    # One record, one request: singular.
    assert any(re.match(r"Done: \w+: 1 record, 1 request in ", m) for m in messages), messages
    assert len([m for m in messages if m.startswith("Done: ")]) == len(STREAMS)
    table = [m for m in messages if re.match(r"\w+ +[\d,]+ +[\d,]+ +[\d,.]+ s  ", m)]
    assert sorted(m.split()[0] for m in table) == sorted(STREAMS), "one table line a stream"
    assert messages[-1].startswith(("Sync complete: ", "API departure: ")), messages[-1]


def test_a_cs_sync_logs_its_plan_and_summaries_only(cs_emulator, tmp_path) -> None:
    result = run_cli(cs_config(cs_emulator), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "METRIC" not in result.stderr
    for level, logger, message in log_lines(result.stderr):
        assert level == "INFO", (level, message)
        assert INFO_LINES.match(message), f"not for a person at INFO: {logger}: {message}"


def test_log_metrics_brings_the_metric_lines_back(shared_emulator, tmp_path) -> None:
    result = run_cli(
        {**config(shared_emulator), "log_metrics": True}, tmp_path, streams=["features"]
    )
    assert result.returncode == 0, result.stderr
    metrics = [(lv, m) for lv, _, m in log_lines(result.stderr) if m.startswith("METRIC: ")]
    assert metrics
    assert {level for level, _ in metrics} == {"INFO"}


def test_debug_shows_the_metrics_and_internals_as_debug_lines(shared_emulator, tmp_path) -> None:
    result = run_cli(
        config(shared_emulator),
        tmp_path,
        streams=["features"],
        env={"TAP_GAINSIGHT_LOGLEVEL": "DEBUG"},
    )
    assert result.returncode == 0, result.stderr
    lines = log_lines(result.stderr)
    for internal in INTERNALS[:2]:
        found = [level for level, _, message in lines if message.startswith(internal)]
        assert found, internal
        assert set(found) == {"DEBUG"}, internal


def test_event_progress_gives_the_total_and_time_left(shared_emulator, caplog, monkeypatch):
    monkeypatch.setattr("tap_gainsight.progress.REPORT_EVERY_SECONDS", 0.0)
    start = shared_emulator.tenant.now - dt.timedelta(days=180)
    result = run_sync(
        px_config(
            shared_emulator,
            start_date=start.isoformat(),
            end_date=shared_emulator.tenant.now.isoformat(),
            page_size=100,
        ),
        streams=["page_view_events"],
    )
    events = len(result.records["page_view_events"])
    assert events > 256, "enough events for a progress line"
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Progress:")]
    assert progress
    # One window: its first page's totalHits is the stream's total.
    line = re.compile(
        rf"Progress: page_view_events: window 1 of 1, ([\d,]+) of {events:,} records \((\d+) %\), "
        r"[\d,]+ records/s, about [\d.]+ (s|min|h) left\.$"
    )
    for message in progress:
        assert line.match(message), message


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [(0, "record", "0 records"), (1, "request", "1 request"), (2, "request", "2 requests"),
     (1_000, "window", "1,000 windows"), (1, "day", "1 day")],
)  # fmt: skip
def test_plural(count, word, expected) -> None:
    assert plural(count, word) == expected


def test_time_left_and_totals_through_windows() -> None:
    assert time_left(0.2) == "about 1 s"
    assert time_left(42) == "about 42 s"
    assert time_left(600) == "about 10 min"
    assert time_left(5_400) == "about 1.5 h"
    # Window 2 of 3, the first held 1,000: the current window's own count.
    assert through_windows(1_500, 1, 3, {0: 1_000, 1: 2_000}) == Total(500, 2_000, True)
    # The last window: the stream's total.
    assert through_windows(3_500, 2, 3, {0: 1_000, 1: 2_000, 2: 800}) == Total(3_500, 3_800)
    # A window whose answer gave no totalHits: no total.
    assert through_windows(1_500, 1, 2, {0: None, 1: 2_000}) is None
