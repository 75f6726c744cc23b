"""What the tap relies on in SDK internals: these fail on an upgrade that changes them.

`CSObjectStream` overrides the SDK-private `Stream._increment_stream_state` (no public hook
exists between a record and its bookmark) to skip never-modified records.
"""

from __future__ import annotations

import inspect
import logging
from importlib.metadata import version

from singer_sdk import Stream

from tap_gainsight.cs.objects import CSObjectStream
from tap_gainsight.tap import TapGainsight
from tests.conftest import px_config


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
