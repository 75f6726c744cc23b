"""Check a tap's output the way an SDK loader does: each RECORD against the SCHEMA in force."""

from __future__ import annotations

import datetime as dt
import re
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


#: RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z` or `±HH:MM`.
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
#: The keys of a STATE whose values are the date-times a stream resumes from.
BOOKMARK_KEYS = frozenset({"replication_key_value", "last_complete_read"})


def is_rfc3339(value: object) -> bool:
    """Whether a value is an RFC 3339 date-time, in form and in range (no month 13)."""
    if not isinstance(value, str) or RFC3339.fullmatch(value) is None:
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _bookmarks(node: t.Any, where: str) -> t.Iterator[tuple[str, t.Any]]:
    """Every bookmark value under a STATE's `bookmarks`, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in BOOKMARK_KEYS and value is not None:
                yield f"{where}.{key}", value
            else:
                yield from _bookmarks(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _bookmarks(value, f"{where}[{i}]")


def not_rfc3339(result: SyncResult) -> list[str]:
    """Every date-time a loader or the next run would read that is not strict RFC 3339.

    The top-level RECORD values whose property, in the stream's SCHEMA in force, says
    `format: date-time`, and the bookmarks of every STATE. Stricter than
    `datetime.fromisoformat` (and the SDK's check in `invalid_records`), which take a space
    for the `T`, no offset or `+0000`: a warehouse or a target in another language may not.
    """
    schemas: dict[str, dict] = {}
    wrong: list[str] = []
    for message in result.messages:
        stream = message.get("stream")
        if message["type"] == "SCHEMA":
            schemas[stream] = message["schema"]
        elif message["type"] == "RECORD":
            properties = schemas[stream]["properties"]
            for name, value in message["record"].items():
                prop = properties.get(name)
                if value is None or prop is None:
                    continue
                if get_datelike_property_type(prop) == "date-time" and not is_rfc3339(value):
                    wrong.append(f"{stream}: {name}: {value!r}")
        elif message["type"] == "STATE":
            bookmarks = message["value"].get("bookmarks", {})
            for where, value in _bookmarks(bookmarks, "STATE bookmarks"):
                if not is_rfc3339(value):
                    wrong.append(f"{where}: {value!r}")
    return wrong
