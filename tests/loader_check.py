"""Check a tap's output the way an SDK loader does: each RECORD against the SCHEMA in force."""

from __future__ import annotations

import typing as t

from singer_sdk.helpers._compat import datetime_fromisoformat
from singer_sdk.helpers._typing import get_datelike_property_type
from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR

if t.TYPE_CHECKING:
    from tests.sync import SyncResult


def invalid_records(result: SyncResult) -> list[str]:
    """Every RECORD that a validating loader would refuse, as one line each.

    As `singer_sdk.sinks.Sink` does by default: the record is validated against the stream's
    latest SCHEMA (JSON Schema types, formats not checked), and each top-level date-time
    value must parse as one. Streams are those the messages name (a map's alias, where one
    renames the stream); a RECORD of a stream no SCHEMA has named yet is refused, as a
    loader refuses it.
    """
    validators: dict[str, t.Any] = {}
    schemas: dict[str, dict] = {}
    refused: list[str] = []
    for message in result.messages:
        stream = message.get("stream")
        if message["type"] == "SCHEMA":
            schemas[stream] = message["schema"]
            validators[stream] = DEFAULT_JSONSCHEMA_VALIDATOR(message["schema"])
        elif message["type"] == "RECORD" and stream not in schemas:
            refused.append(f"{stream}: a RECORD before any SCHEMA of its stream")
        elif message["type"] == "RECORD":
            record, schema = message["record"], schemas[stream]
            for error in validators[stream].iter_errors(record):
                refused.append(f"{stream}: {error.json_path}: {error.message}")
            for name, value in record.items():
                prop = schema["properties"].get(name)
                if value is None or prop is None:
                    continue
                if get_datelike_property_type(prop) == "date-time":
                    try:
                        datetime_fromisoformat(value)
                    except (TypeError, ValueError) as error:
                        refused.append(f"{stream}: {name}: {value!r} is no date-time ({error})")
    return refused


def records_checked(result: SyncResult) -> int:
    """How many RECORD messages `invalid_records` checked."""
    return sum(1 for message in result.messages if message["type"] == "RECORD")
