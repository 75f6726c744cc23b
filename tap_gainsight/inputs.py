"""The state and catalog a sync is given, checked before anything is read.

A state that is not JSON, or a bookmark that is not a date, would otherwise stop the run with
a traceback, and only when its stream's turn comes: after every stream before it has been
read and written. Every stream's entry is checked at the start instead, whole (top level,
partitions, the delete logs' times), and a bad one is one line naming the stream and value.
"""

from __future__ import annotations

import io
import json
import typing as t

from singer_sdk.singerlib import Catalog

from tap_gainsight.cs.deletes import LAST_COMPLETE_READ
from tap_gainsight.errors import BadInputError
from tap_gainsight.timestamps import parse_setting_datetime

if t.TYPE_CHECKING:
    import logging

#: What to do about a bad state, said in every message about one.
FIX_STATE = (
    "Fix the state, or delete it to read every stream from the start (with Meltano: "
    "`meltano state clear <state_id>`)."
)
#: The keys of a stream's (or a partition's) state that hold a date.
DATE_KEYS = ("replication_key_value", LAST_COMPLETE_READ)
#: The keys an SDK tap's stream state holds (anything else is another tap's layout).
SDK_KEYS = frozenset(
    {
        "replication_key",
        "replication_key_value",
        "replication_key_signpost",
        "starting_replication_value",
        "progress_markers",
        "partitions",
        "context",
        LAST_COMPLETE_READ,
    }
)


def _shown(value: t.Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fault(subject: str, value: t.Any, kind: str) -> str:
    """The line of a part of the state that is not what it must be: `subject` is `value`."""
    return f"{subject} {_shown(value)}, {kind}. {FIX_STATE}"


def state_errors(state: t.Any) -> list[str]:
    """Why the state cannot be used, one line per fault; none if it can."""
    if not isinstance(state, dict):
        return [_fault("The state is", state, "not a JSON object")]
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        return [_fault('The state\'s "bookmarks" is', bookmarks, "not an object")]
    errors: list[str] = []
    for stream, entry in bookmarks.items():
        if not isinstance(entry, dict):
            errors.append(_fault(f"The state of stream {stream} is", entry, "not an object"))
            continue
        errors += _date_errors(stream, entry)
        partitions = entry.get("partitions", [])
        if not isinstance(partitions, list):
            where = f"The partitions of stream {stream} in the state are"
            errors.append(_fault(where, partitions, "not a list"))
            continue
        for partition in partitions:
            if not isinstance(partition, dict):
                where = f"A partition of stream {stream} in the state is"
                errors.append(_fault(where, partition, "not an object"))
                continue
            context = partition.get("context")
            if isinstance(context, dict) and context:
                stream_of = f"{stream} (" + ", ".join(f"{k} {v}" for k, v in context.items()) + ")"
            else:
                stream_of = stream
            errors += _date_errors(stream_of, partition)
    return errors


def _date_errors(stream: str, entry: dict[str, t.Any]) -> list[str]:
    """A line per date of a stream's (or partition's) state that is no date."""
    return [
        _fault(
            f"The state's {'bookmark' if key == 'replication_key_value' else key} of stream "
            f"{stream} is",
            entry[key],
            "which is not a date (e.g. 2024-01-31T00:00:00Z)",
        )
        for key in DATE_KEYS
        if entry.get(key) is not None and not _is_date(entry[key])
    ]


def _is_date(value: t.Any) -> bool:
    try:
        parse_setting_datetime(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str)


def _read_json(file: t.IO[str], what: str, fix: str) -> t.Any:
    """An input file's JSON.

    Raises:
        BadInputError: If it is not JSON; the line says `fix`.
    """
    try:
        return json.loads(file.read())
    except ValueError as error:
        msg = f"The {what} file {file.name} is not JSON ({error}). {fix}"
        raise BadInputError(msg) from None


def from_classic_layout(state: t.Any, logger: logging.Logger) -> t.Any:
    """The state with each stream entry in another tap's layout read as the SDK's, if certain.

    Classic Singer taps keep a stream's bookmark as `{"<replication key>": <value>}` (e.g.
    `{"date": "2026-12-01T00:00:00Z"}`); a team moving from one has such a state. An entry
    with exactly one key, holding a date, is that bookmark: it becomes
    `{"replication_key": key, "replication_key_value": value}`, said once. An entry of
    other keys without the SDK's is said too: that stream is read from its start.
    """
    bookmarks = state.get("bookmarks") if isinstance(state, dict) else None
    if not isinstance(bookmarks, dict):
        return state
    for stream, entry in bookmarks.items():
        if not isinstance(entry, dict) or not entry or entry.keys() & SDK_KEYS:
            continue
        key, value = next(iter(entry.items())) if len(entry) == 1 else (None, None)
        if key is not None and _is_date(value):
            bookmarks[stream] = {"replication_key": key, "replication_key_value": value}
            logger.info(
                "The state's bookmark of stream %s is in the classic Singer layout (%s): read "
                "as %s = %s.",
                stream,
                _shown(entry),
                key,
                value,
            )
        else:
            logger.warning(
                "The state's entry of stream %s holds no bookmark this tap can read (%s): the "
                'stream is read from its start. To resume it, write it as {"replication_key": '
                '"<field>", "replication_key_value": "<date>"}.',
                stream,
                _shown(entry),
            )
    return state


def checked_state(file: t.IO[str] | None, logger: logging.Logger) -> t.IO[str] | None:
    """The state file, read and checked, as a file again for the SDK.

    Raises:
        BadInputError: If it is not JSON, or any stream's entry is unusable.
    """
    if file is None:
        return None
    state = from_classic_layout(_read_json(file, "state", FIX_STATE), logger)
    errors = state_errors(state)
    if errors:
        # One line: the first fault; the others, if any, are counted.
        more = f" ({len(errors) - 1} more like it.)" if len(errors) > 1 else ""
        raise BadInputError(errors[0] + more)
    return io.StringIO(json.dumps(state))


def checked_catalog(file: t.IO[str] | None, logger: logging.Logger) -> t.IO[str] | None:
    """The catalog file, read, as a file again for the SDK; one line if it selects nothing.

    Raises:
        BadInputError: If it is not JSON.
    """
    if file is None:
        return None
    catalog = _read_json(
        file,
        "catalog",
        "Write it again with `tap-gainsight --config <config> --discover`, or let Meltano make it.",
    )
    try:
        entries = Catalog.from_dict(catalog).values()
        selected = any(entry.metadata.resolve_selection()[()] for entry in entries)
    except Exception:  # not a catalog this can read: the SDK says why
        selected = True
    if not selected:
        logger.warning(
            "The catalog selects no stream: there is nothing to sync. Mark the streams to "
            "read as selected (with Meltano: `meltano select tap-gainsight <stream>`)."
        )
    return io.StringIO(json.dumps(catalog))
