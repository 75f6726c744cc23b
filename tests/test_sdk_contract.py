"""What the tap relies on in SDK internals: these fail on an upgrade that changes them.

Two SDK-private methods are overridden, where no public hook exists:
- `CSObjectStream._increment_stream_state`, to skip never-modified records;
- `GainsightStream._generate_record_messages`, to skip the per-record selection walk when
  every property is selected (measured: docs/benchmarks.md).
"""

from __future__ import annotations

import copy
import inspect
import logging
from importlib.metadata import version

import pytest
from singer_sdk import Stream

from tap_gainsight.client import GainsightStream
from tap_gainsight.cs.objects import CSObjectStream
from tap_gainsight.tap import TapGainsight
from tests.conftest import px_config
from tests.sync import catalog_for


def test_singer_sdk_is_the_pinned_minor_release() -> None:
    assert version("singer-sdk").startswith("0.54."), "review the overrides below, then re-pin"


def test_increment_stream_state_keeps_its_signature() -> None:
    parameters = inspect.signature(Stream._increment_stream_state).parameters
    assert list(parameters) == ["self", "latest_record", "context"]
    assert parameters["context"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["context"].default is None
    assert "_increment_stream_state" in vars(CSObjectStream)


def test_the_sdk_still_warns_on_a_null_bookmark_value(shared_emulator, caplog) -> None:
    """Why the override exists: without it, one warning per never-modified record."""
    tap = TapGainsight(config=px_config(shared_emulator), parse_env_config=False)
    stream = tap.streams["users"]
    caplog.set_level(logging.WARNING)
    Stream._increment_stream_state(stream, {"lastModifiedDate": None})
    assert "New replication value is null" in caplog.text


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
    assert stream._every_property_selected
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
    assert not stream._every_property_selected
    (message,) = stream._generate_record_messages({"id": "f-1", "name": "Export"})
    assert message.record == {"id": "f-1"}
