"""The state and catalog a sync is given, checked before anything is read.

A state that is not JSON, or a bookmark that is not a date, would otherwise stop the run with
a traceback, and only when its stream's turn comes: after every stream before it has been
read and written. Every stream's entry is checked at the start instead, whole (top level,
partitions, the delete logs' times), and a bad one is one line naming the stream and value.
"""

from __future__ import annotations

import copy
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


def state_errors(state: t.Any) -> list[str]:
    """Why the state cannot be used, one line per fault; none if it can."""
    if not isinstance(state, dict):
        return [f"The state is {_shown(state)}, not a JSON object. {FIX_STATE}"]
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        return [f'The state\'s "bookmarks" is {_shown(bookmarks)}, not an object. {FIX_STATE}']
    errors: list[str] = []
    for stream, stream_state in bookmarks.items():
        if not isinstance(stream_state, dict):
            errors.append(
                f"The state of stream {stream} is {_shown(stream_state)}, not an object. "
                f"{FIX_STATE}"
            )
            continue
        errors += _date_errors(stream, stream_state)
        partitions = stream_state.get("partitions", [])
        if not isinstance(partitions, list):
            errors.append(
                f"The partitions of stream {stream} in the state are {_shown(partitions)}, "
                f"not a list. {FIX_STATE}"
            )
            continue
        for partition in partitions:
            if not isinstance(partition, dict):
                errors.append(
                    f"A partition of stream {stream} in the state is {_shown(partition)}, not "
                    f"an object. {FIX_STATE}"
                )
                continue
            context = partition.get("context")
            where = (
                " (" + ", ".join(f"{k} {v}" for k, v in context.items()) + ")"
                if isinstance(context, dict) and context
                else ""
            )
            errors += _date_errors(f"{stream}{where}", partition)
    return errors


def _date_errors(stream: str, state: dict[str, t.Any]) -> list[str]:
    errors: list[str] = []
    for key in DATE_KEYS:
        value = state.get(key)
        if value is None:
            continue
        try:
            if not isinstance(value, str):
                raise ValueError  # one message for every kind of non-date
            parse_setting_datetime(value)
        except ValueError:
            what = "bookmark" if key == "replication_key_value" else key
            errors.append(
                f"The state's {what} of stream {stream} is {_shown(value)}, which is not a date "
                f"(e.g. 2024-01-31T00:00:00Z). {FIX_STATE}"
            )
    return errors


def _is_date(value: t.Any) -> bool:
    try:
        parse_setting_datetime(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str)


def _read_json(file: t.IO[str], what: str, fix: str) -> tuple[str, t.Any]:
    """An input file's text and its JSON.

    Raises:
        BadInputError: If it is not JSON; the line says `fix`.
    """
    text = file.read()
    try:
        return text, json.loads(text)
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
    text, state = _read_json(file, "state", FIX_STATE)
    converted = json.dumps(from_classic_layout(copy.deepcopy(state), logger))
    if json.loads(converted) != state:
        text = converted
    errors = state_errors(json.loads(text))
    if errors:
        # One line: the first fault; the others, if any, are counted.
        more = f" ({len(errors) - 1} more like it.)" if len(errors) > 1 else ""
        raise BadInputError(errors[0] + more)
    return io.StringIO(text)


def checked_catalog(file: t.IO[str] | None, logger: logging.Logger) -> t.IO[str] | None:
    """The catalog file, read, as a file again for the SDK; one line if it selects nothing.

    Raises:
        BadInputError: If it is not JSON.
    """
    if file is None:
        return None
    text, catalog = _read_json(
        file,
        "catalog",
        "Write it again with `tap-gainsight --config <config> --discover`, or let Meltano make it.",
    )
    try:
        entries = Catalog.from_dict(catalog).values()
        selected = any(entry.metadata.resolve_selection()[()] for entry in entries)
    except Exception:  # not a catalog this can read: the SDK says why
        return io.StringIO(text)
    if not selected:
        logger.warning(
            "The catalog selects no stream: there is nothing to sync. Mark the streams to "
            "read as selected (with Meltano: `meltano select tap-gainsight <stream>`)."
        )
    return io.StringIO(text)
