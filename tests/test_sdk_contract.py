"""What the tap relies on in SDK internals: these fail on an upgrade that changes them.

Four SDK-private members are overridden, where no public hook exists:
- `OrderGuardedStream._increment_stream_state` (CS objects, users, accounts), to skip
  never-modified records and to keep only the largest value once the API's order broke;
- `GainsightStream._generate_record_messages`, to skip the per-record selection walk when
  every property is selected (measured: docs/benchmarks.md);
- `GainsightStream._sync_records`, to write records without the SDK's per-record message
  objects when nothing they do could change them (`tap_gainsight/record_path.py`; measured
  in docs/benchmarks.md);
- `TapGainsight._env_var_config`, to say a non-integer integer setting from the environment
  in one line rather than a traceback.

One SDK-private helper is called: `get_selected_schema`, for the stream's schema as the
SDK's mapper registers it (`schema_watch.selected_schema`).
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import json
import logging
import re
from importlib.metadata import version

import pytest
from singer_sdk import Stream
from singer_sdk.helpers._classproperty import classproperty
from singer_sdk.plugin_base import PluginBase

from tap_gainsight import record_path
from tap_gainsight.client import GainsightStream
from tap_gainsight.order_guard import OrderGuardedStream
from tap_gainsight.schema_watch import selected_schema
from tap_gainsight.tap import TapGainsight
from tests.conftest import cs_config, px_config
from tests.sync import catalog_for


def test_singer_sdk_is_the_pinned_minor_release() -> None:
    assert version("singer-sdk").startswith("0.54."), "review the overrides below, then re-pin"


def test_increment_stream_state_keeps_its_signature() -> None:
    parameters = inspect.signature(Stream._increment_stream_state).parameters
    assert list(parameters) == ["self", "latest_record", "context"]
    assert parameters["context"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["context"].default is None
    assert "_increment_stream_state" in vars(OrderGuardedStream)


def test_the_sdk_sets_the_bookmark_where_the_order_guard_resets_it(shared_emulator) -> None:
    """`break_order` turns back the value the SDK writes to the stream's state dictionary."""
    tap = TapGainsight(config=px_config(shared_emulator), parse_env_config=False)
    stream = tap.streams["users"]
    value = "2024-01-02T03:04:05.006Z"
    Stream._increment_stream_state(stream, {"lastModifiedDate": value})
    assert stream.get_context_state(None)["replication_key_value"] == value


def test_the_sdk_still_warns_on_a_null_bookmark_value(shared_emulator, caplog) -> None:
    """Why the override exists: without it, one warning per never-modified record."""
    tap = TapGainsight(config=px_config(shared_emulator), parse_env_config=False)
    stream = tap.streams["users"]
    caplog.set_level(logging.WARNING)
    Stream._increment_stream_state(stream, {"lastModifiedDate": None})
    assert "New replication value is null" in caplog.text


def test_env_var_config_is_still_a_class_property_that_raises_value_error(monkeypatch) -> None:
    """What `TapGainsight._env_var_config` calls and catches."""
    assert isinstance(vars(PluginBase)["_env_var_config"], classproperty)
    assert isinstance(vars(TapGainsight)["_env_var_config"], classproperty)
    monkeypatch.setenv("TAP_GAINSIGHT_PAGE_SIZE", "abc")
    with pytest.raises(ValueError, match="invalid literal for int"):
        vars(PluginBase)["_env_var_config"].fget(TapGainsight)


def test_generate_record_messages_keeps_its_signature() -> None:
    parameters = inspect.signature(Stream._generate_record_messages).parameters
    assert list(parameters) == ["self", "record"]
    assert "_generate_record_messages" in vars(GainsightStream)


def messages_without_time(messages) -> list[dict]:
    return [{**m.to_dict(), "time_extracted": None} for m in messages]


@pytest.mark.parametrize("versioned", [False, True])
def test_the_fast_record_path_writes_what_the_sdk_writes(shared_emulator, versioned) -> None:
    config = px_config(shared_emulator, emit_activate_version_messages=versioned)
    tap = TapGainsight(
        config=config, catalog=catalog_for(config, ["features"]), parse_env_config=False
    )
    stream = tap.streams["features"]
    stream._stream_version = 1_700_000_000 if versioned else None
    record = {"id": "f-1", "name": "Export", "nested": {"a": 1}}
    assert stream.every_property_selected
    ours = list(stream._generate_record_messages(copy.deepcopy(record)))
    sdks = list(Stream._generate_record_messages(stream, copy.deepcopy(record)))
    assert messages_without_time(ours) == messages_without_time(sdks)
    assert all(m.time_extracted is not None for m in ours)


def test_a_partly_selected_stream_takes_the_sdks_path(shared_emulator) -> None:
    config = px_config(shared_emulator)
    catalog = catalog_for(config, ["features"])
    (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == "features"]
    entry["metadata"].append(
        {"breadcrumb": ["properties", "name"], "metadata": {"selected": False}}
    )
    tap = TapGainsight(config=config, catalog=catalog, parse_env_config=False)
    stream = tap.streams["features"]
    assert not stream.every_property_selected
    (message,) = stream._generate_record_messages({"id": "f-1", "name": "Export"})
    assert message.record == {"id": "f-1"}


# -- the direct record path (tap_gainsight/record_path.py) -------------------------------------

#: Clock readings: when a record was extracted, the signpost (when the sync began) and a
#: full table's version (when its stream began).
CLOCK_READINGS = re.compile(
    rb',"time_extracted":"[^"]*"|"replication_key_signpost":"[^"]*"|"version":\d+'
    rb'|,"last_complete_read":"[^"]*"'
)


def test_sync_records_keeps_its_signature() -> None:
    parameters = inspect.signature(Stream._sync_records).parameters
    assert list(parameters) == ["self", "context", "write_messages"]
    assert parameters["context"].default is None
    assert parameters["write_messages"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["write_messages"].default is True
    assert "_sync_records" in vars(GainsightStream)


def raw_sync(config: dict, streams: list[str], state: dict | None = None) -> list[bytes]:
    """The tap's stdout lines, with the clock readings taken out."""
    tap = TapGainsight(
        config=config, state=state, catalog=catalog_for(config, streams), parse_env_config=False
    )
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(out):
        tap.sync_all()
    out.flush()
    lines = out.buffer.getvalue().splitlines()
    assert sum(b'"time_extracted":"' in line for line in lines) == sum(
        line.startswith(b'{"type":"RECORD"') for line in lines
    )
    versions = {m.group() for m in re.finditer(rb'"version":\d+', b"".join(lines))}
    assert len(versions) <= 1, "a record's version differs from its ACTIVATE_VERSION"
    return [CLOCK_READINGS.sub(without_clock, line) for line in lines]


def without_clock(reading: re.Match[bytes]) -> bytes:
    return b'"version":0' if reading.group().startswith(b'"version"') else b""


def both_paths(monkeypatch, config: dict, streams: list[str], state=None):
    """The same sync through the direct path and through the SDK's loop."""
    taken: list[str] = []
    direct_sync = record_path.sync_records

    def spy(stream, context):
        taken.append(stream.name)
        return direct_sync(stream, context)

    # STATE messages every 7 records, so that they fall inside pages and windows.
    monkeypatch.setattr(GainsightStream, "STATE_MSG_FREQUENCY", 7)
    monkeypatch.setattr("tap_gainsight.client.sync_records", spy)
    direct = raw_sync(config, streams, state)
    assert set(streams) <= set(taken), "the direct path was not taken"
    taken.clear()
    with monkeypatch.context() as patch:
        patch.setattr("tap_gainsight.client.takes_direct_path", lambda *a, **k: False)
        sdk = raw_sync(config, streams, state)
    assert not taken
    return direct, sdk


def test_the_direct_path_writes_what_the_sdks_loop_writes(shared_emulator, monkeypatch) -> None:
    config = px_config(
        shared_emulator,
        start_date="2026-01-01T00:00:00Z",
        event_window_days=20,
        emit_activate_version_messages=True,
    )
    streams = ["page_view_events", "lead_events", "features", "accounts"]
    direct, sdk = both_paths(monkeypatch, config, streams)
    assert sum(b'"type":"STATE"' in line for line in direct) > 20
    assert sum(b'"type":"ACTIVATE_VERSION","stream":"features"' in line for line in direct) == 1
    assert all(b'"version"' in line for line in direct if b'"stream":"features","record"' in line)
    assert direct == sdk

    state = json.loads(next(line for line in reversed(direct) if b'"STATE"' in line))["value"]
    direct, sdk = both_paths(monkeypatch, config, streams, state)
    assert direct == sdk


def test_the_direct_path_with_children_and_partitions(
    shared_emulator, cs_emulator, monkeypatch
) -> None:
    config = {
        **px_config(shared_emulator, read_user_preferences=True),
        **cs_config(cs_emulator),
    }
    streams = ["users", "user_preferences", "companies", "deleted_records"]
    direct, sdk = both_paths(monkeypatch, config, streams)
    assert any(b'"stream":"user_preferences"' in line for line in direct)
    assert any(b'"stream":"deleted_records"' in line for line in direct)
    assert direct == sdk


def test_a_stream_map_takes_the_sdks_loop(shared_emulator) -> None:
    config = px_config(shared_emulator, stream_maps={"features": {"name": None}})
    tap = TapGainsight(
        config=config, catalog=catalog_for(config, ["features"]), parse_env_config=False
    )
    stream = tap.streams["features"]
    assert not record_path.takes_direct_path(stream, write_messages=True)
    plain = px_config(shared_emulator)
    tap = TapGainsight(
        config=plain, catalog=catalog_for(plain, ["features"]), parse_env_config=False
    )
    assert record_path.takes_direct_path(tap.streams["features"], write_messages=True)
    assert not record_path.takes_direct_path(tap.streams["features"], write_messages=False)


def test_the_schema_watch_starts_from_the_schema_the_sdks_mapper_registers(
    shared_emulator,
) -> None:
    """With no map, the primary map's `raw_schema` is the registered schema, deselections out."""
    config = px_config(shared_emulator)
    catalog = catalog_for(config, ["users"])
    (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == "users"]
    for breadcrumb in (["properties", "email"], ["properties", "location", "properties", "city"]):
        entry["metadata"].append({"breadcrumb": breadcrumb, "metadata": {"selected": False}})
    tap = TapGainsight(config=config, catalog=catalog, parse_env_config=False)
    schema = selected_schema(tap.streams["users"])
    assert "email" not in schema["properties"]
    assert "city" not in schema["properties"]["location"]["properties"]
    assert schema == tap.mapper.stream_maps["users"][0].raw_schema
