"""A date index over every event collection: the fast path of event reads (docs/api.md, "PX:
event windows").

Per collection, ``SortedEvents`` keeps a snapshot in the collection's ``(date, eventId)`` order
(which ``Tenant`` keeps) that is never changed (a scroll keeps a range of it), the parallel
dates (a range is two ``bisect`` calls) and each record's JSON, encoded once.
``EventIndexes.get(path)`` rebuilds an index when its collection changed
(``Collection.version``), keeping the JSON of the records it still holds.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from msgspec.json import encode

from .filters import Condition
from .tenant import EVENT_PATHS, Collection, Record, Tenant

_RANGE_OPS = frozenset(("==", "<", "<=", ">", ">="))


class SortedEvents:
    """An immutable (but for the lazily filled ``encoded``) date index of one collection."""

    __slots__ = ("dates", "encoded", "records")

    def __init__(self, records: list[Record], previous: SortedEvents | None) -> None:
        """Index ``records`` (a copy the caller owns), reusing the JSON ``previous`` (an older
        index of the same collection) encoded."""
        self.records = records
        self.dates = [r["date"] for r in records]
        # Both indexes hold their records alive, so an id() names the same record in both.
        known = {}
        if previous is not None:
            known = dict(zip(map(id, previous.records), previous.encoded, strict=True))
        self.encoded: list[bytes | None] = [known.get(id(r)) for r in records]

    def __len__(self) -> int:
        return len(self.records)

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


class EventIndexes:
    """The ``SortedEvents`` of every event collection of a tenant, kept current. Thread-safe."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._lock = threading.Lock()
        # path -> (the list indexed, its version then, the index)
        self._built: dict[str, tuple[list[Record], int, SortedEvents]] = {}

    def get(self, path: str) -> SortedEvents:
        """The current index of ``path``."""
        collection = self.tenant.collections[path]
        assert isinstance(collection, Collection)
        with self._lock, self.tenant.lock:
            built = self._built.get(path)
            if built is not None and built[0] is collection and built[1] == collection.version:
                return built[2]
            index = SortedEvents(list(collection), built[2] if built is not None else None)
            self._built[path] = (collection, collection.version, index)
            return index

    def warm(self, paths: Iterable[str] = EVENT_PATHS) -> int:
        """Build the indexes of ``paths`` and encode all their records; return how many."""
        indexes = [self.get(path) for path in paths]
        for index in indexes:
            index.encoded_range(0, len(index))
        return sum(map(len, indexes))
