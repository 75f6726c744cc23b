"""One request budget for the whole process: a per-second pace and a per-run ceiling."""

from __future__ import annotations

import threading

from pyrate_limiter import Duration, Limiter, Rate

from tap_gainsight.errors import RequestBudgetExhausted


class RequestLimiter:
    """Paces every request the tap sends, across all streams (and threads).

    The PX limit (about 200 requests/s and 1,000,000/day) belongs to the subscription and is
    shared with the customer's other integrations, so the tap keeps well under it of its own
    accord instead of waiting to be answered 429.
    """

    def __init__(self, per_second: int, per_run: int) -> None:
        self._pace = Limiter(Rate(per_second, Duration.SECOND))
        self._per_run = per_run
        self._sent = 0
        self._lock = threading.Lock()

    @property
    def requests_sent(self) -> int:
        """Requests let through so far."""
        return self._sent

    def acquire(self) -> None:
        """Wait until one more request may be sent.

        Raises:
            RequestBudgetExhausted: If the run's request budget is spent.
        """
        with self._lock:
            if self._sent >= self._per_run:
                msg = (
                    f"max_requests_per_day ({self._per_run:,}) reached: the sync stopped with "
                    "its state saved; the next run resumes from it."
                )
                raise RequestBudgetExhausted(msg)
            self._sent += 1
        self._pace.try_acquire("px", blocking=True)
