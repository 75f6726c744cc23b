"""A bookmark that stays safe when the API ignores the order it was asked for.

Entities and CS objects are asked for in ascending order of their modified date, so their
bookmark advances with every record (docs/api.md). Should records arrive out of that order,
such a bookmark would skip those still to come below it: so the first record out of order
turns it back to where the run started, and from then on it is the largest value seen, saved
only when the stream completes (an interrupted run re-reads the stream; nothing is skipped).
An event window read out of date order holds its stream's bookmark at the window's start
the same way, until the window is read whole (`px/events.py`).
"""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_gainsight.client import GainsightStream
from tap_gainsight.timestamps import epoch_ms_of, epoch_ms_to_rfc3339

if t.TYPE_CHECKING:
    from singer_sdk import Stream
    from singer_sdk.helpers.types import Context, Record


def write_state(stream: Stream, context: Context | None, entries: dict[str, t.Any]) -> None:
    """Write entries into a stream's state (None removes one): the tap's one hand-written path."""
    state = stream.get_context_state(context)
    for name, value in entries.items():
        if value is None:
            state.pop(name, None)
        else:
            state[name] = value


class OrderGuardedStream(GainsightStream):
    """A stream whose bookmark follows its records while they come in the asked order.

    While the bookmark is held (`set_bookmark`), a record does not move it; the largest
    value among them is kept.
    """

    bookmark_held = False
    _bookmark_at_start: t.Any = None
    #: The largest value seen while the bookmark was held, in epoch ms.
    _largest_seen: int | None = None

    def set_bookmark(self, context: Context | None, value: str | None, *, held: bool) -> None:
        """Set the bookmark to `value` (None: none, the stream is read whole next run).

        Held, it stays there until set again not held; not held, records move it again.
        """
        self.bookmark_held = held
        key = {} if value is None else {"replication_key": self.replication_key}
        write_state(self, context, {**key, "replication_key_value": value})

    def guard_order(self, context: Context | None) -> None:
        """Note where the bookmark stands as the stream starts reading."""
        self.bookmark_held = False
        self._largest_seen = None
        self._bookmark_at_start = self.get_context_state(context).get("replication_key_value")

    def break_order(self, context: Context | None, where: str, detail: str) -> None:
        """Records came out of the asked order: the bookmark falls back (module docstring)."""
        if self.bookmark_held:
            return
        self.set_bookmark(context, self._bookmark_at_start, held=True)
        self.departures.note(
            where,
            f"records not in the order asked for ({detail})",
            "every record is still delivered; the bookmark stays where the run started and "
            "moves to the largest value seen when the stream completes, so an interrupted "
            "run re-reads this stream",
        )

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        # No public hook decides what the SDK does with each record's value (docs/singer-sdk.md);
        # `tests/test_sdk_contract.py` fails if the overridden method changes.
        value = latest_record.get(self.replication_key) if self.replication_key else None
        if value is None:
            return  # a record without a date (e.g. never modified) moves no bookmark
        if not self.bookmark_held:
            super()._increment_stream_state(latest_record, context=context)
            return
        moment = epoch_ms_of(value)
        if moment is not None and (self._largest_seen is None or moment > self._largest_seen):
            self._largest_seen = moment

    def save_largest_seen(self, context: Context | None) -> None:
        """Once a read whose order broke completes: the bookmark is the largest value seen.

        Capped at the run's start, as the SDK caps an unsorted stream's: a record changed
        while the run read others may not have been read at its new value.
        """
        if not self.bookmark_held or self._largest_seen is None:
            return
        largest = min(self._largest_seen, self._tap.initialized_at)
        start = epoch_ms_of(self._bookmark_at_start)
        if start is None or largest > start:
            self.set_bookmark(context, epoch_ms_to_rfc3339(largest), held=False)
