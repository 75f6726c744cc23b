"""A bookmark that stays safe when the API ignores the order it was asked for.

Entities and CS objects are asked for in ascending order of their modified date, so their
bookmark can advance with every record and an interrupted run resumes where it stopped.
That order is documented for CS and inferred for PX users and accounts (docs/api.md): should
records arrive out of it, a bookmark that advanced with them would skip the records still to
come below it. So the first record out of order turns the stream's bookmark back to where the
run started, and from then on the bookmark is the largest value seen, saved only when the
stream completes (a run interrupted half-way re-reads the stream; nothing is skipped).
"""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_gainsight.client import GainsightStream
from tap_gainsight.timestamps import epoch_ms_of, epoch_ms_to_rfc3339

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record


class OrderGuardedStream(GainsightStream):
    """A stream whose bookmark follows its records while they come in the asked order."""

    #: Set once a record arrived out of order this run (see the module docstring).
    order_broken = False
    _bookmark_at_start: t.Any = None
    #: The largest value seen since the order broke, in epoch ms.
    _largest_seen: int | None = None

    def guard_order(self, context: Context | None) -> None:
        """Note where the bookmark stands as the stream starts reading."""
        self.order_broken = False
        self._largest_seen = None
        self._bookmark_at_start = self.get_context_state(context).get("replication_key_value")

    def break_order(self, context: Context | None, where: str, detail: str) -> None:
        """Records came out of the asked order: the bookmark falls back (module docstring)."""
        if self.order_broken:
            return
        self.order_broken = True
        state = self.get_context_state(context)
        if self._bookmark_at_start is None:
            state.pop("replication_key_value", None)
        else:
            state["replication_key_value"] = self._bookmark_at_start
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
        # No public hook decides what the SDK does with each record's value. While in
        # order, the SDK's own rule; once the order broke, only the largest value is kept.
        # `tests/test_sdk_contract.py` fails if the overridden method changes.
        value = latest_record.get(self.replication_key) if self.replication_key else None
        if value is None:
            return  # a record without a date (e.g. never modified) moves no bookmark
        if not self.order_broken:
            super()._increment_stream_state(latest_record, context=context)
            return
        moment = epoch_ms_of(value)
        if moment is not None and (self._largest_seen is None or moment > self._largest_seen):
            self._largest_seen = moment

    def save_largest_seen(self, context: Context | None) -> None:
        """Once the read completes after its order broke: the bookmark is the largest value.

        Capped at the run's start, as the SDK caps an unsorted stream's: a record changed
        while the run read others may not have been read at its new value.
        """
        if not self.order_broken or self._largest_seen is None:
            return
        largest = min(self._largest_seen, self._tap.initialized_at)
        start = epoch_ms_of(self._bookmark_at_start)
        if start is None or largest > start:
            state = self.get_context_state(context)
            state["replication_key"] = self.replication_key
            state["replication_key_value"] = epoch_ms_to_rfc3339(largest)
