"""Requests in flight, at most `max_concurrency`, handed out by priority.

Pages are read on threads for several purposes at once: the stream being emitted, the
slices of its window, and the windows of later streams read ahead of their turn. A plain
semaphore serves whoever asks first, so a read-ahead could delay the very page the tap is
waiting for. Here a free slot goes to the waiting request of the lowest priority value:
the openings of windows first (one request each, and they decide how the run is read),
then pages in the order they will be emitted.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import typing as t
from contextlib import contextmanager

if t.TYPE_CHECKING:
    from collections.abc import Iterator

#: A priority: compared as a tuple, lowest first.
Priority = tuple[int, ...]


class RequestSlots:
    """At most `count` holders at once; a freed slot goes to the lowest waiting priority."""

    def __init__(self, count: int) -> None:
        self._free = max(1, count)
        self._changed = threading.Condition()
        self._waiting: list[tuple[Priority, int]] = []
        self._arrivals = itertools.count()  # equal priorities: first come, first served

    @contextmanager
    def held(self, priority: Priority) -> Iterator[None]:
        """Hold a slot for the duration of the block, waiting for one if need be."""
        entry = (priority, next(self._arrivals))
        with self._changed:
            heapq.heappush(self._waiting, entry)
            while not (self._free and self._waiting[0] == entry):
                self._changed.wait()
            heapq.heappop(self._waiting)
            self._free -= 1
            if self._free:
                self._changed.notify_all()  # the next in line may take the next slot
        try:
            yield
        finally:
            with self._changed:
                self._free += 1
                self._changed.notify_all()


class FastestAnswer:
    """The shortest time the API took to answer an opening page this run (thread-safe).

    This is the API's own latency, as near as the tap can see it: an answer given while
    other requests were in flight may be slower only because the server was busy with
    them, and reading more pages at once would not make it faster.
    """

    def __init__(self) -> None:
        self._seconds: float | None = None
        self._lock = threading.Lock()

    def note(self, seconds: float | None) -> float | None:
        """Count one answer's time in, and return the fastest so far."""
        with self._lock:
            if seconds is not None and (self._seconds is None or seconds < self._seconds):
                self._seconds = seconds
            return self._seconds
