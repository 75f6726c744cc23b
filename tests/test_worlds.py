"""The tap against the API as it may really be (docs/api.md, the inferred facts).

Each world is a switch of the emulator that plays one way the real API may differ from its
documentation. In each, a first and an incremental run both succeed, every row arrives
exactly once, every RECORD is valid against the SCHEMA in force when it was written (as a
validating loader checks it), and the departure is said on a line starting `API departure:`.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tap_gainsight.departures import PREFIX
from tap_gainsight.px.entities import PX_ENTITY_ENDPOINTS
from tap_gainsight.px.events import PX_EVENT_ENDPOINTS
from tap_gainsight.px.history import ScrollStream
from tap_gainsight.tap import TapGainsight
from tap_gainsight.timestamps import epoch_ms_of, epoch_ms_to_rfc3339, parse_setting_datetime
from tests.conftest import cs_config, px_config
from tests.emulator.filters import get_path
from tests.loader_check import invalid_records, records_checked
from tests.sync import SyncResult, run_sync

#: The incremental entity streams: (stream, path, key).
ENTITIES = (("users", "/users", "aptrinsicId"), ("accounts", "/accounts", "id"))
EVENTS = {endpoint.name: endpoint.path for endpoint in PX_EVENT_ENDPOINTS}


def departures(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(PREFIX)]


def assert_loadable(result: SyncResult) -> None:
    assert records_checked(result) > 0
    assert invalid_records(result) == []


def assert_entities_once(emulator, result: SyncResult, before: SyncResult | None = None) -> None:
    """Every entity modified since `before`'s bookmark (all, if None) arrived exactly once."""
    for stream, path, key in ENTITIES:
        if stream not in result.final_state["bookmarks"]:
            continue  # not synced
        held = emulator.tenant.collections[path]
        since_ms = since_of(before, stream) if before else None
        expected = sorted(
            r[key] for r in held if since_ms is None or r["lastModifiedDate"] >= since_ms
        )
        sent = sorted(r[key] for r in result.records[stream])
        assert sent == expected, f"{stream}: {len(sent)} sent, {len(expected)} expected"


def since_of(result: SyncResult, stream: str) -> int:
    return epoch_ms_of(result.bookmark(stream)) or 0


def newest(emulator, path: str) -> str:
    return epoch_ms_to_rfc3339(
        max(r["lastModifiedDate"] for r in emulator.tenant.collections[path])
    )


@pytest.mark.parametrize(
    ("world", "said_in_first", "said_in_second"),
    [
        ("entity_sort_ignored", "records not in the order asked for", "not in the order"),
        ("entity_filter_refused", None, "filter was refused"),
        ("entity_filter_ignored", None, "filter was ignored"),
    ],
)
def test_entities_arrive_once_whatever_the_sort_and_filter(
    emulator, caplog, world, said_in_first, said_in_second
) -> None:
    setattr(emulator.quirks, world, True)
    config = px_config(emulator, page_size=100)
    streams = [stream for stream, _, _ in ENTITIES]

    first = run_sync(config, streams=streams)
    assert_entities_once(emulator, first)
    assert_loadable(first)
    for stream, path, _ in ENTITIES:
        assert first.bookmark(stream) == newest(emulator, path), stream
    said = departures(caplog)
    if said_in_first:
        assert any("/users" in line and said_in_first in line for line in said), said
    else:
        assert said == []

    emulator.tenant.advance(dt.timedelta(days=2))
    caplog.clear()
    second = run_sync(config, state=first.final_state, streams=streams)
    assert_entities_once(emulator, second, first)
    assert 0 < len(second.records["users"]) < len(first.records["users"]) / 5
    assert_loadable(second)
    for stream, path, _ in ENTITIES:
        assert second.bookmark(stream) == newest(emulator, path), stream
    lines = departures(caplog)
    for path in ("/users", "/accounts"):
        assert [line for line in lines if f" {path}: " in line and said_in_second in line], lines
    assert any("departure" in line and "this run" in line for line in lines), "the summary"


def test_without_its_order_an_entity_bookmark_moves_only_when_the_stream_completes(
    emulator, monkeypatch
) -> None:
    """Every STATE written mid-stream is safe to resume from: a run killed there re-reads."""
    monkeypatch.setattr(ScrollStream, "STATE_MSG_FREQUENCY", 10)
    emulator.quirks.entity_sort_ignored = True
    config = px_config(emulator, page_size=100)
    first = run_sync(config, streams=["users"])
    emulator.tenant.advance(dt.timedelta(days=2), touch_users=400)

    second = run_sync(config, state=first.final_state, streams=["users"])
    bookmarks = [
        state["bookmarks"]["users"].get("replication_key_value") for state in second.states
    ]
    assert len(bookmarks) >= 2
    assert set(bookmarks[:-1]) == {first.bookmark("users")}, "no STATE skips a record"
    assert bookmarks[-1] == newest(emulator, "/users")
    assert_entities_once(emulator, second, first)


def test_a_broken_order_turns_the_bookmark_back_then_keeps_the_largest(shared_emulator) -> None:
    start, later, largest = (
        "2024-01-01T00:00:00.000Z",
        "2024-03-01T00:00:00.000Z",
        "2024-05-01T00:00:00.000Z",
    )
    state = {
        "bookmarks": {
            "users": {"replication_key": "lastModifiedDate", "replication_key_value": start}
        }
    }
    tap = TapGainsight(config=px_config(shared_emulator), state=state, parse_env_config=False)
    users = tap.streams["users"]
    assert isinstance(users, ScrollStream)
    users.guard_order(None)
    users._increment_stream_state({"lastModifiedDate": later})
    assert users.get_context_state(None)["replication_key_value"] == later, "sorted: it moves"

    users.break_order(None, "/users", "test")
    assert users.get_context_state(None)["replication_key_value"] == start
    for value in (largest, later):
        users._increment_stream_state({"lastModifiedDate": value})
    assert users.get_context_state(None)["replication_key_value"] == start
    users.save_largest_seen(None)
    assert users.get_context_state(None)["replication_key_value"] == largest


def test_records_under_another_key_and_no_total_hits_lose_nothing(emulator, caplog) -> None:
    emulator.quirks.renamed_records_key = "items"
    emulator.quirks.omit_total_hits = True
    start = emulator.tenant.now - dt.timedelta(days=10)
    config = px_config(emulator, page_size=10, start_date=start.isoformat())
    streams = ["users", "features", "session_events", "page_view_events"]
    result = run_sync(config, streams=streams)
    assert_loadable(result)
    for stream, path, key in (
        ("users", "/users", "aptrinsicId"),
        ("features", "/feature", "id"),
    ):
        held = sorted(r[key] for r in emulator.tenant.collections[path])
        assert sorted(r[key] for r in result.records[stream]) == held, stream
    since_ms = int(start.timestamp() * 1000)
    for stream in ("session_events", "page_view_events"):
        held = [
            e["eventId"]
            for e in emulator.tenant.collections[EVENTS[stream]]
            if e["date"] >= since_ms
        ]
        sent = [e["eventId"] for e in result.records[stream]]
        assert len(held) > 20, stream
        assert sorted(sent) == sorted(held), stream
    lines = departures(caplog)
    assert any("records under 'items'" in line for line in lines), lines
    assert any("no totalHits" in line for line in lines), lines


def drifted_value_means(sent: object, original: object, delivered: object) -> bool:
    """Whether the delivered value says what the API meant (the original, in another type)."""
    if delivered in (original, sent):
        return True
    if delivered is None and epoch_ms_of(original) == 0:
        return True  # a date of 0 is PX's "never"
    for value in (original, sent):
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            # A date: the same instant (epoch ms, ISO text); a number: the same number.
            left, right = epoch_ms_of(value), epoch_ms_of(delivered)
            if left is not None and left == right:
                return True
            try:
                if float(str(value)) == float(str(delivered)):
                    return True
            except ValueError:
                pass
        if isinstance(value, bool) and delivered == str(value).lower():
            return True
    return False


def test_drifted_types_fit_every_schema_and_keep_their_meaning(emulator, caplog) -> None:
    emulator.quirks.drifted_types = True
    start = emulator.tenant.now - dt.timedelta(days=10)
    config = px_config(emulator, page_size=200, start_date=start.isoformat())

    first = run_sync(config)
    assert_loadable(first)
    assert_entities_once(emulator, first)
    since_ms = int(start.timestamp() * 1000)
    for stream, path in EVENTS.items():
        held = sorted(
            e["eventId"] for e in emulator.tenant.collections[path] if e["date"] >= since_ms
        )
        assert sorted(e["eventId"] for e in first.records[stream]) == held, stream

    # What the API sent drifted reached the records meaning what the tenant holds.
    streams_of = {endpoint.path: endpoint.name for endpoint in PX_ENTITY_ENDPOINTS} | {
        path: name for name, path in EVENTS.items()
    }
    keys = {endpoint.name: endpoint.primary_key for endpoint in PX_ENTITY_ENDPOINTS}
    checked = 0
    for path, drifts_by_key in emulator.drifted.items():
        stream = streams_of.get(path)
        if stream is None:
            continue
        by_key = {r[keys.get(stream, "eventId")]: r for r in first.records[stream]}
        for key, drifts in drifts_by_key.items():
            record = by_key.get(key if not isinstance(key, tuple) else key[0])
            if record is None:
                continue
            for drift in drifts:
                delivered = get_path(record, drift.field_path)
                assert drifted_value_means(drift.sent, drift.original, delivered), (
                    stream,
                    drift,
                    delivered,
                )
                checked += 1
    assert checked > 100, "the drifted world should drift many values"
    lines = departures(caplog)
    assert any("users.score" in line for line in lines), lines
    assert len(lines) > 10

    emulator.tenant.advance(dt.timedelta(days=2))
    second = run_sync(config, state=first.final_state)
    assert_loadable(second)
    assert_entities_once(emulator, second, first)


def test_cs_objects_arrive_once_when_the_order_is_ignored(cs_emulator, caplog) -> None:
    from tests.test_cs_objects import OBJECT_STREAMS, date_field, delete_entries, object_of

    cs_emulator.quirks.order_ignored = True
    config = cs_config(cs_emulator)
    first = run_sync(config)
    assert_loadable(first)
    tenant = cs_emulator.tenant
    for stream in OBJECT_STREAMS:
        held = sorted(r["Gsid"] for r in tenant.records(object_of(stream)))
        assert sorted(r["Gsid"] for r in first.records[stream]) == held, stream
        field = date_field(stream)
        if field:
            newest_ms = max(r[field] for r in tenant.records(object_of(stream)) if r[field])
            assert first.bookmark(stream) == epoch_ms_to_rfc3339(newest_ms), stream
    deletions = [(r["ObjectName"], r["RecordId"]) for r in first.records["deleted_records"]]
    assert sorted(deletions) == sorted(delete_entries(tenant))
    assert any("records not in the order asked for" in line for line in departures(caplog))

    changed = tenant.advance(dt.timedelta(days=3), touch=5, new=2)
    second = run_sync(config, state=first.final_state)
    assert_loadable(second)
    for stream in OBJECT_STREAMS - {"da_picklist"}:
        field = date_field(stream)
        since = parse_setting_datetime(first.bookmark(stream)) - dt.timedelta(hours=24)
        since_ms = int(since.replace(microsecond=0).timestamp() * 1000)
        expected = sorted(
            r["Gsid"]
            for r in tenant.records(object_of(stream))
            if r[field] is None or r[field] >= since_ms
        )
        sent = sorted(r["Gsid"] for r in second.records[stream])
        assert sent == expected, stream
        assert {r["Gsid"] for r in changed[object_of(stream)]} <= set(sent), stream


def test_cs_drifted_types_fit_every_schema(cs_emulator, caplog) -> None:
    from tests.test_cs_objects import OBJECT_STREAMS, object_of

    caplog.set_level(logging.INFO)
    cs_emulator.quirks.drifted_types = True
    result = run_sync(cs_config(cs_emulator))
    assert_loadable(result)
    for stream in OBJECT_STREAMS:
        held = sorted(r["Gsid"] for r in cs_emulator.tenant.records(object_of(stream)))
        assert sorted(r["Gsid"] for r in result.records[stream]) == held, stream
    assert departures(caplog), "the drift is said"


def test_the_documented_world_says_no_departure(emulator, cs_emulator, caplog) -> None:
    """Every departure line is true: none where the API behaves as docs/api.md says."""
    start = emulator.tenant.now - dt.timedelta(days=10)
    config = {**px_config(emulator, start_date=start.isoformat()), **cs_config(cs_emulator)}
    result = run_sync(config)
    assert_loadable(result)
    assert len(result.records) > 30, "every PX and CS stream"
    assert departures(caplog) == []
