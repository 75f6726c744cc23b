"""The pace of every request the tap sends to one API, across all streams and threads.

The APIs' limits (PX: about 200 requests/s and 1,000,000/day per subscription; CS: 100
calls/min per tenant) are shared with the customer's other integrations, so the tap keeps
under them of its own accord instead of waiting to be answered 429.
"""

from __future__ import annotations

import threading
import time
import typing as t
from collections import deque
from contextvars import ContextVar

from tap_gainsight.errors import RequestBudgetExhausted

if t.TYPE_CHECKING:
    from collections.abc import Callable

#: Set on a thread that reads pages ahead of the ones being emitted: tells whether it still
#: is. Its requests take only the slots that the requests being waited for leave free.
READING_AHEAD: ContextVar[Callable[[], bool] | None] = ContextVar("reading_ahead", default=None)


class RequestLimiter:
    """Requests spaced evenly, `per_window` each `window_ms`, and a ceiling per run (PX).

    A request the sync is waiting for goes first: under a pace, reading ahead must not slow
    down what is being emitted, only fill the slots it leaves (`READING_AHEAD`). Spaced, not
    a window's worth at once: places freed in a burst would go to whoever is waiting then,
    the threads reading ahead, while the request being waited for is still in flight.
    """

    def __init__(
        self, per_window: int, *, window_ms: int = 1000, per_run: int | None = None
    ) -> None:
        self._interval = window_ms / 1000 / per_window
        self._per_run = per_run
        self._sent = 0
        #: When the next request may go (monotonic seconds).
        self._next_at = 0.0
        #: Requests being waited for that are waiting for their slot.
        self._first_waiting = 0
        self._changed = threading.Condition()

    @property
    def requests_sent(self) -> int:
        """Requests let through so far."""
        return self._sent

    def acquire(self) -> None:
        """Wait until one more request may be sent.

        Raises:
            RequestBudgetExhausted: If the run's request budget is spent.
        """
        ahead = READING_AHEAD.get()
        with self._changed:
            if self._per_run is not None and self._sent >= self._per_run:
                msg = (
                    f"max_requests_per_day ({self._per_run:,}) reached: the sync stopped with "
                    "its state saved; the next run resumes from it."
                )
                raise RequestBudgetExhausted(msg)
            self._sent += 1
            while True:
                first = ahead is None or not ahead()
                wait = self._next_at - time.monotonic()
                if first or not self._first_waiting:
                    if wait <= 0:
                        break
                    self._first_waiting += first
                    self._changed.wait(wait)
                    self._first_waiting -= first
                else:  # a request being waited for is due first; look again a slot later
                    self._changed.wait(self._interval)
            self._next_at = max(self._next_at, time.monotonic()) + self._interval
            self._changed.notify_all()

    def answered(self) -> None:
        """Note that this thread's request was answered (a pace of sends ignores it)."""


class QuotaLimiter(RequestLimiter):
    """A quota the API counts as requests arrive: `per_window` in any `window_seconds` (CS).

    A request holds its place from its send until a window after its answer, and it arrived
    in between: whatever the delay on the way, no window of arrivals holds more.
    """

    def __init__(self, per_window: int, window_seconds: float) -> None:
        self._per_window = per_window
        self._window = window_seconds
        self._sent = 0
        self._in_flight = 0
        #: When each answered request's place frees, earliest first.
        self._frees_at: deque[float] = deque()
        self._changed = threading.Condition()
        self._thread = threading.local()

    def acquire(self) -> None:
        """Wait until a place is free: fewer than `per_window` in flight or in their window."""
        self.answered()  # this thread's last request is over, answered or not
        with self._changed:
            while True:
                now = time.monotonic()
                while self._frees_at and self._frees_at[0] <= now:
                    self._frees_at.popleft()
                if self._in_flight + len(self._frees_at) < self._per_window:
                    break
                self._changed.wait(self._frees_at[0] - now if self._frees_at else None)
            self._in_flight += 1
            self._sent += 1
        self._thread.pending = True

    def answered(self) -> None:
        """Start the window of this thread's request in flight, if any: its answer is here."""
        if getattr(self._thread, "pending", False):
            self._thread.pending = False
            with self._changed:
                self._in_flight -= 1
                self._frees_at.append(time.monotonic() + self._window)
                self._changed.notify_all()
