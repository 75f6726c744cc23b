"""One request budget for the whole process: a per-second pace and a per-run ceiling."""

from __future__ import annotations

import threading

from pyrate_limiter import Limiter, Rate

from tap_gainsight.errors import RequestBudgetExhausted


class RequestLimiter:
    """Paces every request the tap sends to one API, across all streams (and threads).

    The APIs' limits (PX: about 200 requests/s and 1,000,000/day per subscription; CS: 100
    calls/min per tenant) are shared with the customer's other integrations, so the tap keeps
    well under them of its own accord instead of waiting to be answered 429.
    """

    def __init__(
        self, per_window: int, *, window_ms: int = 1000, per_run: int | None = None
    ) -> None:
        self._pace = Limiter(Rate(per_window, window_ms))
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
            if self._per_run is not None and self._sent >= self._per_run:
                msg = (
                    f"max_requests_per_day ({self._per_run:,}) reached: the sync stopped with "
                    "its state saved; the next run resumes from it."
                )
                raise RequestBudgetExhausted(msg)
            self._sent += 1
        self._pace.try_acquire("px", blocking=True)
