"""How many requests beyond a plain serial read the run may spend on slicing windows.

A sliced window costs more requests than the same window read as one scroll: each slice
ends on a page of its own, mostly partial. A serial read of every event type in the
widest windows is the yardstick, and the run may exceed it by at most one request per
selected event type. Those requests form one allowance, spent by the windows that gain
most: the biggest, whichever stream they belong to. The openings of the first windows are
read at once (`read_ahead.py`), so a window deciding on its slices waits, briefly, until
every opening asked for has said how big it is, and leaves enough for the bigger ones.
"""

from __future__ import annotations

import threading
import time
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Hashable

#: Seconds a window waits for the other openings asked for before deciding without them.
OPENINGS_WAIT_SECONDS = 2.0


class SliceAllowance:
    """Extra requests left for the run's slices, shared by every event stream (thread-safe).

    A window's rank orders the windows: a bigger rank is served first.
    """

    def __init__(self, requests: int) -> None:
        self._left = max(0, requests)
        self._changed = threading.Condition()
        self._expected: set[Hashable] = set()
        self._deciding: dict[Hashable, tuple[tuple[int, ...], int]] = {}

    @property
    def left(self) -> int:
        """Extra requests not yet spent."""
        return self._left

    def expect(self, key: Hashable) -> None:
        """Note that the opening of window `key` is being read: others wait for its size."""
        with self._changed:
            self._expected.add(key)

    def withdraw(self, key: Hashable) -> None:
        """Window `key` asks for no slices (or its opening failed): nobody waits for it."""
        with self._changed:
            self._expected.discard(key)
            self._changed.notify_all()

    def grant(
        self,
        key: Hashable,
        rank: tuple[int, ...],
        wanted: int,
        wait_seconds: float = OPENINGS_WAIT_SECONDS,
    ) -> int:
        """Slices window `key` may be cut into, at most `wanted`, and spend what they may cost.

        Cutting the rest of a window into `k` slices costs at most `k` more requests: `k - 1`
        slice ends on a partial page, and one page more if the events that share the first
        page's last millisecond, read again by the first slice, fill a page. So `k` is at
        most the allowance left less what the bigger windows waiting to decide want; 1 (no
        slicing) costs nothing. Waits up to `wait_seconds` for the openings expected.
        """
        with self._changed:
            self._expected.discard(key)
            self._deciding[key] = (rank, wanted)
            self._changed.notify_all()
            deadline = time.monotonic() + wait_seconds
            while self._expected and (remaining := deadline - time.monotonic()) > 0:
                self._changed.wait(remaining)
            del self._deciding[key]
            reserved = sum(w for r, w in self._deciding.values() if r > rank and w > 1)
            granted = max(1, min(wanted, self._left - reserved))
            if granted > 1:
                self._left -= granted
            self._changed.notify_all()
            return granted
