"""The CS API's request quota: ``per_minute`` requests in any 60 s window.

The real limit is 100 synchronous calls per minute (and 50,000 per day) in FIXED windows
(docs/api.md, "CS: transport and limits"). The emulator uses a SLIDING window, which is stricter: a
client
that survives it survives fixed windows too (two fixed windows allow a 2x burst across their
boundary; a sliding window never does). The daily limit is not emulated.

Refused requests do not take a slot; they are counted in ``refused``. The answer to a refused
request is a 429 whose ``Retry-After`` is the whole number of seconds until the oldest slot frees
(at least 1); its body (``GS_APIG_429``) is the emulator's invention (see ``errors``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class RateLimiter:
    """Sliding-window request quota; ``per_minute=None`` disables it. Thread-safe."""

    def __init__(
        self, per_minute: int | None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        #: Requests allowed in any 60 s window (None: unlimited); mutable at runtime.
        self.per_minute = per_minute
        #: Requests refused so far.
        self.refused = 0
        self._clock = clock
        self._served: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> int | None:
        """Take a slot: None if the request may proceed, else the seconds to wait (>= 1)."""
        with self._lock:
            now = self._clock()
            while self._served and now - self._served[0] >= WINDOW_SECONDS:
                self._served.popleft()
            limit = self.per_minute
            if limit is not None and len(self._served) >= limit:
                self.refused += 1
                # The slot of the request `limit` back frees first.
                frees_at = self._served[len(self._served) - limit] + WINDOW_SECONDS
                return max(1, math.ceil(frees_at - now))
            self._served.append(now)
            return None

    def reset(self) -> None:
        """Forget served requests and zero ``refused``."""
        with self._lock:
            self._served.clear()
            self.refused = 0
