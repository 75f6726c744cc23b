"""A bad state or catalog, an empty selection, a bad setting from the environment: one line."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tap_gainsight.inputs import state_errors
from tap_gainsight.timestamps import to_epoch_ms
from tests.conftest import px_config
from tests.sync import SyncResult, error_lines, one_error_line, run_cli

PARTITIONED = "deleted_records (delete_log record_delete_log)"


def test_a_state_file_that_is_not_json_is_one_line_before_any_request(emulator, tmp_path) -> None:
    state_file = tmp_path / "garbage.json"
    state_file.write_text("this is not a state\n")
    result = run_cli(px_config(emulator), tmp_path, "--state", str(state_file))
    line = one_error_line(result)
    assert line.startswith(f"Sync failed: The state file {state_file} is not JSON (Expecting value")
    assert "meltano state clear" in line
    assert result.stdout == ""
    assert emulator.requests == [], "nothing is asked before the state is read"


def bookmark(stream: str, value: object, key: str = "lastModifiedDate") -> dict:
    return {"bookmarks": {stream: {"replication_key": key, "replication_key_value": value}}}


def partition(state: dict) -> dict:
    context = {"context": {"delete_log": "record_delete_log"}}
    return {"bookmarks": {"deleted_records": {"partitions": [{**context, **state}]}}}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (bookmark("users", "banana"), 'bookmark of stream users is "banana", which is not a date'),
        (
            bookmark("custom_events", "2024-13-45T00:00:00Z", "date"),
            'bookmark of stream custom_events is "2024-13-45T00:00:00Z", which is not a date',
        ),
        (
            bookmark("companies", 1_700_000_000_000, "ModifiedDate"),
            "bookmark of stream companies is 1700000000000, which is not a date",
        ),
        (
            partition({"replication_key_value": "banana"}),
            f'bookmark of stream {PARTITIONED} is "banana", which is not a date',
        ),
        (
            partition({"last_complete_read": "yesterday"}),
            f'last_complete_read of stream {PARTITIONED} is "yesterday", which is not a date',
        ),
        ({"bookmarks": {"users": "banana"}}, 'The state of stream users is "banana", not an'),
        ({"bookmarks": []}, 'The state\'s "bookmarks" is [], not an object'),
        (["banana"], 'The state is ["banana"], not a JSON object'),
    ],
    ids=[
        "px-entity",
        "px-event",
        "cs-object",
        "partition",
        "delete-log-time",
        "stream-entry",
        "bookmarks",
        "whole",
    ],
)
def test_a_bad_bookmark_stops_the_run_before_any_record_in_one_line(
    shared_emulator, tmp_path, state, expected
) -> None:
    before = len(shared_emulator.requests)
    result = run_cli(px_config(shared_emulator), tmp_path, state=state)
    line = one_error_line(result)
    assert line.startswith("Sync failed: The state")
    assert expected in line
    assert "Fix the state, or delete it" in line
    assert "meltano state clear" in line
    assert '"RECORD"' not in result.stdout
    assert len(shared_emulator.requests) == before, "nothing is asked before the state is read"


def test_every_fault_of_the_state_is_found_and_a_good_state_passes() -> None:
    state = {
        "bookmarks": {
            "users": {"replication_key_value": "2024-01-31T00:00:00.123Z"},
            "people": {"replication_key_value": "banana"},
            "deleted_records": {
                "partitions": [
                    {
                        "context": {"delete_log": "record_delete_log"},
                        "replication_key_value": "2024-01-31 10:00:00",
                        "last_complete_read": "2024-02-01T00:00:00Z",
                    },
                    {
                        "context": {"delete_log": "record_delete_log_high_volume"},
                        "last_complete_read": "soon",
                    },
                ]
            },
            "segments": {},
            "custom_events": {"replication_key_value": None, "progress_markers": {"x": "y"}},
        }
    }
    errors = state_errors(state)
    assert len(errors) == 2
    assert "stream people" in errors[0]
    assert "stream deleted_records (delete_log record_delete_log_high_volume)" in errors[1]
    state["bookmarks"].pop("people")
    state["bookmarks"]["deleted_records"]["partitions"].pop()
    assert state_errors(state) == []
    assert state_errors({}) == []


def test_a_catalog_that_selects_nothing_says_so_and_exits_0(shared_emulator, tmp_path) -> None:
    result = run_cli(px_config(shared_emulator), tmp_path, streams=[])
    assert result.returncode == 0
    said = [line for line in result.stderr.splitlines() if "selects no stream" in line]
    assert len(said) == 1
    assert "| WARNING" in said[0]
    assert "meltano select" in said[0]
    assert '"RECORD"' not in result.stdout


def test_a_catalog_that_is_not_json_is_one_line(shared_emulator, tmp_path) -> None:
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text("{")
    result = run_cli(px_config(shared_emulator), tmp_path, "--catalog", str(catalog_file))
    line = one_error_line(result)
    assert line.startswith(f"Sync failed: The catalog file {catalog_file} is not JSON")
    assert "--discover" in line


@pytest.mark.parametrize(
    "args", [(), ("--discover",), ("--test",)], ids=["sync", "discover", "test"]
)
def test_a_non_integer_setting_from_the_environment_is_one_line(
    shared_emulator, tmp_path, args
) -> None:
    config = px_config(shared_emulator)
    env = {"TAP_GAINSIGHT_PAGE_SIZE": "abc"}
    result = run_cli(config, tmp_path, "--config", "ENV", *args, env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line, *rest) = error_lines(result.stderr)
    assert "page_size: TAP_GAINSIGHT_PAGE_SIZE is 'abc', not a whole number" in line
    assert all("Config validation failed" in other for other in rest), rest
    assert result.stdout == ""


def test_settings_from_the_environment_still_apply(shared_emulator, tmp_path) -> None:
    config = px_config(shared_emulator)
    env = {"TAP_GAINSIGHT_PAGE_SIZE": "7"}
    result = run_cli(config, tmp_path, "--config", "ENV", streams=["segments"], env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    pages = [r for r in shared_emulator.requests if r.path == "/segment"]
    assert pages
    assert pages[-1].params["pageSize"] == ["7"]
    assert json.loads(result.stdout.splitlines()[-1])["type"] == "STATE"


def test_a_classic_singer_state_is_read_as_its_bookmark(emulator, tmp_path) -> None:
    """A team moving from a classic tap keeps its place: `{"date": ...}` is the bookmark."""
    since = emulator.tenant.now - dt.timedelta(days=3)
    value = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    state = {
        "currently_syncing": "page_view_events",
        "bookmarks": {"page_view_events": {"date": value}},
    }
    result = run_cli(px_config(emulator), tmp_path, streams=["page_view_events"], state=state)
    assert result.returncode == 0, result.stderr
    (said,) = [line for line in result.stderr.splitlines() if "classic Singer layout" in line]
    assert f"read as date = {value}" in said
    sent = [
        r["eventId"]
        for r in SyncResult.from_lines(result.stdout.splitlines()).records["page_view_events"]
    ]
    lookback = to_epoch_ms(since) - 60 * 60_000
    expected = [
        e["eventId"]
        for e in emulator.tenant.collections["/events/pageView"]
        if e["date"] >= lookback
    ]
    assert sorted(sent) == sorted(expected)
    assert 0 < len(sent) < len(emulator.tenant.collections["/events/pageView"]) / 10


def test_a_foreign_state_entry_is_said_and_its_stream_read_from_its_start(
    emulator, tmp_path
) -> None:
    state = {"bookmarks": {"segments": {"cursor": "abc", "page": 3}}}
    result = run_cli(px_config(emulator), tmp_path, streams=["segments"], state=state)
    assert result.returncode == 0, result.stderr
    (said,) = [line for line in result.stderr.splitlines() if "holds no bookmark" in line]
    assert "segments" in said
    assert '"replication_key_value"' in said
