"""Server-side scroll cursors (docs/api.md, "PX: scroll pagination"), Elasticsearch-style.

A scroll's first request keeps its hits as a point-in-time ``Snapshot`` (a range of a list
nobody changes: a search's hits or the date index); each continuation returns the next page,
whatever ``filter``/``sort`` it repeats, and past the end empty pages with the ``scrollId``
still set. An unknown id is a 400. Only the ``MAX_OPEN_SCROLLS`` most recently used live, and
in the ``Quirks.scroll_expiry`` world a cursor dies after its pages.
"""

from __future__ import annotations

import base64
import random
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .index import SortedEvents

MAX_OPEN_SCROLLS = 20_000

Record = dict[str, Any]


class Snapshot(NamedTuple):
    """The hits of a scroll: ``records[start:stop]``; ``records`` is never changed afterwards."""

    records: Sequence[Record]
    start: int
    stop: int
    index: SortedEvents | None = None
    """Set when ``records`` is ``index.records``: pages can use ``index.encoded_range``."""

    @classmethod
    def of(cls, hits: Sequence[Record]) -> Snapshot:
        """All of ``hits``."""
        return cls(hits, 0, len(hits))


@dataclass
class ScrollCursor:
    """One open scroll: the snapshot and how far the client has read it."""

    scroll_id: str
    path: str
    snapshot: Snapshot
    page_size: int
    position: int = 0
    #: Pages served so far, the first (the opening request's) included.
    pages_served: int = 0

    @property
    def total_hits(self) -> int:
        """``totalHits``: the size of the snapshot."""
        return self.snapshot.stop - self.snapshot.start


class ScrollStore:
    """Open scrolls by id; thread-safe; ids drawn from a seeded RNG (deterministic)."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(f"scroll-ids-{seed}")
        self._lock = threading.Lock()
        self._open: OrderedDict[str, ScrollCursor] = OrderedDict()

    def _new_id(self) -> str:
        # Looks like an Elasticsearch scroll id: "DXF1ZXJ5QW5kRmV0Y2gB" is "\rqueryAndFetch\x01".
        raw = self._rng.getrandbits(256).to_bytes(32, "big")
        return "DXF1ZXJ5QW5kRmV0Y2gB" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def open(self, path: str, snapshot: Snapshot, page_size: int) -> ScrollCursor:
        """Start a scroll over a filtered, sorted snapshot."""
        with self._lock:
            cursor = ScrollCursor(self._new_id(), path, snapshot, page_size)
            self._open[cursor.scroll_id] = cursor
            while len(self._open) > MAX_OPEN_SCROLLS:
                self._open.popitem(last=False)
            return cursor

    def get(self, scroll_id: str) -> ScrollCursor | None:
        """The open cursor named ``scroll_id`` (None if unknown or expired)."""
        with self._lock:
            cursor = self._open.get(scroll_id)
            if cursor is not None:
                self._open.move_to_end(scroll_id)
            return cursor

    def position(self, scroll_id: str) -> int | None:
        """Where the cursor named ``scroll_id`` stands (for duplicate detection)."""
        with self._lock:
            cursor = self._open.get(scroll_id)
            return None if cursor is None else cursor.position

    def expire(self, scroll_id: str) -> None:
        """Forget a scroll (the ``expire_scrolls`` fault)."""
        with self._lock:
            self._open.pop(scroll_id, None)

    def next_page(self, cursor: ScrollCursor, page_size: int) -> tuple[int, int]:
        """Advance over the next page and return where it is: ``snapshot.records[start:stop]``."""
        with self._lock:
            snapshot = cursor.snapshot
            start = min(snapshot.start + cursor.position, snapshot.stop)
            stop = min(start + page_size, snapshot.stop)
            cursor.position += stop - start
            cursor.pages_served += 1
            return start, stop
