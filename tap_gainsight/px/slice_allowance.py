"""How many requests beyond a plain serial read the run may spend on slicing windows.

A sliced window costs more requests than the same window read as one scroll: each slice
ends on a page of its own, mostly partial. A serial read of every event type in the
widest windows is the yardstick, and the run may exceed it by at most one request per
selected event type. Those requests form one allowance, spent by the windows that gain
most: the big ones, whichever stream they belong to. A window is granted slices only if
enough is left for the bigger windows whose first pages, read ahead, say they are coming.
"""

from __future__ import annotations

import threading


class SliceAllowance:
    """Extra requests left for the run's slices, shared by every event stream (thread-safe)."""

    def __init__(self, requests: int) -> None:
        self._left = max(0, requests)
        self._lock = threading.Lock()

    @property
    def left(self) -> int:
        """Extra requests not yet spent."""
        return self._left

    def grant(self, wanted: int, reserved: int = 0) -> int:
        """Slices a window may be cut into, at most `wanted`, and spend what they may cost.

        Cutting the rest of a window into `k` slices costs at most `k` more requests: `k - 1`
        slice ends on a partial page, and one page more if the events that share the first
        page's last millisecond, read again by the first slice, fill a page. So `k` is at
        most the allowance left less `reserved`, kept for bigger windows known to come
        (their first pages read ahead); 1 (no slicing) costs nothing.
        """
        with self._lock:
            granted = max(1, min(wanted, self._left - reserved))
            if granted > 1:
                self._left -= granted
            return granted
