"""A date index over every event collection: the fast path of event reads (docs/api.md, "PX:
event windows").

Per collection, ``SortedEvents`` keeps a snapshot sorted by ``(date, eventId)`` that is never
changed (a scroll keeps a range of it), the parallel dates (a range is two ``bisect`` calls)
and each record's JSON, encoded once. ``EventIndexes.get(path)`` rebuilds an index when its
collection changed (``Collection.version``); a plain list, or a record without an int
``date``, gets none and takes the general path.
"""

from __future__ import annotations

import itertools
import operator
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import Any

from msgspec.json import encode

from .filters import Condition, sort_value
from .tenant import EVENT_PATHS, Collection, Record, Tenant

_RANGE_OPS = frozenset(("==", "<", "<=", ">", ">="))
_DATE = operator.itemgetter("date")


def _pk(record: Record) -> tuple[int, Any]:
    """The tie-break of equal dates, as ``sort_records`` does it."""
    return sort_value(record.get("eventId"))


class SortedEvents:
    """An immutable (but for the lazily filled ``encoded``) date index of one collection."""

    __slots__ = ("dates", "encoded", "records", "reordered")

    def __init__(
        self, records: list[Record], dates: list[int], reordered: bool, encoded: list[bytes | None]
    ) -> None:
        self.records = records
        self.dates = dates
        #: True if the collection was not in (date, eventId) order, so that ``records`` is
        #: not in collection order either.
        self.reordered = reordered
        self.encoded = encoded

    def __len__(self) -> int:
        return len(self.records)

    @classmethod
    def build(cls, records: list[Record], previous: SortedEvents | None) -> SortedEvents | None:
        """Index ``records`` (a copy the caller owns); None if they cannot be indexed.

        The order is the one ``sort_records(records, [date], "eventId")`` gives: by date, then
        by primary key, then collection order. Encoded records of ``previous`` (an older index
        of the same collection) are kept.
        """
        try:
            dates = list(map(_DATE, records))
        except (KeyError, TypeError):
            return None
        if not set(map(type, dates)) <= {int}:  # no None, bool, float, str...
            return None
        following = itertools.islice(dates, 1, None)
        in_order = all(map(operator.le, dates, following))
        if in_order:  # and within each run of equal dates, by primary key?
            ties = itertools.compress(
                range(len(dates)), map(operator.eq, dates, itertools.islice(dates, 1, None))
            )
            in_order = all(_pk(records[i]) <= _pk(records[i + 1]) for i in ties)
        if not in_order:  # sorted() is stable: equal keys keep their collection order
            order = sorted(range(len(records)), key=lambda i: (dates[i], _pk(records[i])))
            records = [records[i] for i in order]
            dates = [dates[i] for i in order]
        encoded: list[bytes | None]
        if previous is not None and any(e is not None for e in previous.encoded):
            # Both indexes hold their records alive, so an id() names the same record in both.
            pairs = zip(previous.records, previous.encoded, strict=True)
            known = {id(r): e for r, e in pairs if e is not None}
            encoded = [known.get(id(r)) for r in records]
        else:
            encoded = [None] * len(records)
        return cls(records, dates, not in_order, encoded)

    def bounds(self, conditions: Iterable[Condition]) -> tuple[int, int, list[Condition]]:
        """``(start, stop, rest)``: the records matching the ``date`` range conditions among
        ``conditions`` (ANDed) are ``records[start:stop]``; ``rest`` are the other conditions.
        """
        dates = self.dates
        start, stop = 0, len(dates)
        rest = []
        for c in conditions:
            value = c.number
            if c.field != "date" or c.op not in _RANGE_OPS or type(value) is not int:
                rest.append(c)
                continue
            # The same comparisons as Condition.matches on an int field.
            if c.op in (">=", "=="):
                start = max(start, bisect_left(dates, value))
            elif c.op == ">":
                start = max(start, bisect_right(dates, value))
            if c.op in ("<=", "=="):
                stop = min(stop, bisect_right(dates, value))
            elif c.op == "<":
                stop = min(stop, bisect_left(dates, value))
        return start, max(start, stop), rest

    def encoded_range(self, start: int, stop: int) -> list[bytes]:
        """The JSON of ``records[start:stop]``, encoding the ones not encoded yet."""
        chunk = self.encoded[start:stop]
        if None in chunk:
            records = self.records[start:stop]
            chunk = [e if e is not None else encode(r) for e, r in zip(chunk, records, strict=True)]
            self.encoded[start:stop] = chunk  # (the same length: nothing moves)
        return chunk  # type: ignore[return-value]  # no None left

    def encode_all(self) -> None:
        """Encode every record not encoded yet."""
        self.encoded_range(0, len(self.records))


class EventIndexes:
    """The ``SortedEvents`` of every event collection of a tenant, kept current. Thread-safe."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._lock = threading.Lock()
        # path -> (the list indexed, its version then, the index or None if unindexable)
        self._built: dict[str, tuple[list[Record], int, SortedEvents | None]] = {}

    def get(self, path: str) -> SortedEvents | None:
        """The current index of ``path``, or None: not indexable, use the general path."""
        collection = self.tenant.collections.get(path)
        if not isinstance(collection, Collection):
            return None
        built = self._built.get(path)
        if built is not None and built[0] is collection and built[1] == collection.version:
            return built[2]
        with self._lock, self.tenant.lock:
            built = self._built.get(path)
            if built is not None and built[0] is collection and built[1] == collection.version:
                return built[2]
            version = collection.version  # read before the copy: a change during it is seen
            snapshot = list(collection)
            previous = built[2] if built is not None else None
            index = SortedEvents.build(snapshot, previous)
            self._built[path] = (collection, version, index)
            return index

    def warm(self, paths: Iterable[str] = EVENT_PATHS) -> int:
        """Build the indexes of ``paths`` and encode all their records; return how many."""
        count = 0
        for path in paths:
            index = self.get(path)
            if index is not None:
                index.encode_all()
                count += len(index)
        return count
