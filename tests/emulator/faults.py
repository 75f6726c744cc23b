"""Injected failures: what the network, the gateway and the API's protections do to a client.

All off by default, mutable at runtime and drawn from a seeded RNG; ``injected`` counts each
by name. Applied after authentication, in this order, first match answering: ``latency_ms``,
``rate_limit_per_second`` (429 ``Retry-After: 1``), ``reset_rate`` (connection reset),
``error_rate`` (500/502/503, JSON or HTML), ``html_rate`` (a 200 HTML page),
``block_duplicates_ms`` (429 for a request repeated within N ms, docs/api.md, "PX: errors and
rate limits"), ``expire_scrolls`` (the next continuation is a 400), the API's answer, then
``truncate_rate`` (a 200 body cut in half, connection closed). The gateway's faults (the
second to the fifth) never reach the API, so they do not count for duplicate blocking.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from .serving import Reply

FAULT_NAMES = (
    "latency",
    "rate_limit",
    "reset",
    "error",
    "html",
    "duplicate",
    "expired_scroll",
    "truncate",
)
DUPLICATE_MESSAGE = "Duplicate request blocked. Please wait before retrying"

_PROXY_ERROR_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
#: What a captive portal / corporate proxy / maintenance page returns with a 200.
PROXY_HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>Service temporarily unavailable</title></head>"
    "<body><h1>We'll be right back</h1><p>Gainsight is undergoing scheduled maintenance."
    "</p></body></html>"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
}


class SlidingWindow:
    """At most ``limit`` requests in any ``window`` seconds; refused ones take no slot and are
    counted in ``refused``.

    Stricter than the fixed windows of real quotas (two of them allow a 2x burst across their
    boundary), so a client that survives it survives those too. Thread-safe.
    """

    def __init__(self) -> None:
        self._served: deque[float] = deque()
        self._lock = threading.Lock()
        self.refused = 0

    def wait(self, limit: int | None, window: float) -> int | None:
        """None if a request may proceed (it takes a slot), else the whole seconds until the
        oldest slot frees (at least 1)."""
        with self._lock:
            now = time.monotonic()
            while self._served and now - self._served[0] >= window:
                self._served.popleft()
            if limit is None or len(self._served) < limit:
                self._served.append(now)
                return None
            self.refused += 1
            # The slot of the request `limit` back frees first.
            return max(1, math.ceil(self._served[len(self._served) - limit] + window - now))

    def clear(self) -> None:
        """Forget the served requests and zero ``refused``."""
        with self._lock:
            self._served.clear()
            self.refused = 0


@dataclass
class Faults:
    """Fault switches (all off by default) and counters of injected faults."""

    error_rate: float = 0.0
    """Fraction of requests answered 500/502/503 (JSON or HTML body)."""
    reset_rate: float = 0.0
    """Fraction of requests whose connection is reset without an answer."""
    truncate_rate: float = 0.0
    """Fraction of 200 JSON answers cut in half (honest Content-Length, connection closed)."""
    html_rate: float = 0.0
    """Fraction of requests answered 200 with a proxy's HTML page."""
    rate_limit_per_second: int | None = None
    """At most N requests are served in any 1 s window; the rest get 429 ``Retry-After: 1``.
    Refused requests do not count towards the window."""
    block_duplicates_ms: int | None = None
    """Block an identical request answered less than N ms ago (429, duplicate message)."""
    latency_ms: int = 0
    """Delay added to every request."""
    expire_scrolls: bool = False
    """The next scroll continuation fails with 400 "invalid scrollId"; then resets to False."""
    seed: int = 0
    """Seed of the fault RNG."""
    injected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_NAMES, 0))
    """How many times each fault was injected (keys: ``FAULT_NAMES``)."""

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._window = SlidingWindow()
        self._answered: dict[Hashable, float] = {}
        self._answered_limit = 10_000

    def _count(self, name: str) -> None:
        self.injected[name] = self.injected.get(name, 0) + 1

    # -- decisions, in the order the server asks for them ----------------------------------

    def delay(self) -> None:
        """Step 1: sleep ``latency_ms``."""
        if self.latency_ms > 0:
            with self._lock:
                self._count("latency")
            time.sleep(self.latency_ms / 1000)

    def rate_limited(self) -> bool:
        """Step 2: True if this request exceeds ``rate_limit_per_second`` (sliding 1 s window)."""
        if self._window.wait(self.rate_limit_per_second, 1.0) is None:
            return False
        with self._lock:
            self._count("rate_limit")
        return True

    def roll(self, name: str, rate: float) -> bool:
        """Steps 3-5 and 9: True (and counted) with probability ``rate``."""
        if rate <= 0:
            return False
        with self._lock:
            if self._rng.random() < rate:
                self._count(name)
                return True
            return False

    def gateway_fault(self, reply: Reply, json_error: Callable[[int, str], bytes]) -> bool:
        """Steps 3-5, a gateway's: reset the connection, answer a 5xx (half the time the API's
        JSON error, ``json_error(status, message)``, else a proxy's page) or a 200 HTML page.
        True if one of them answered."""
        if self.roll("reset", self.reset_rate):
            reply.reset()
        elif self.roll("error", self.error_rate):
            with self._lock:
                status = self._rng.choice((500, 502, 503))
                as_json = self._rng.random() < 0.5
            if as_json:
                reply.send(status, json_error(status, "An unexpected error occurred, try again"))
            else:
                page = _PROXY_ERROR_PAGE.format(status=status, reason=_REASONS[status])
                reply.send(status, page.encode(), "text/html")
        elif self.roll("html", self.html_rate):
            reply.send(200, PROXY_HTML_PAGE.encode(), "text/html;charset=UTF-8")
        else:
            return False
        return True

    def answer(self, reply: Reply, status: int, raw: bytes) -> None:
        """Send the API's JSON answer, a 200 cut in half at ``truncate_rate`` (step 9)."""
        if status == 200 and self.roll("truncate", self.truncate_rate):
            reply.send(200, raw[: len(raw) // 2], close=True)
        else:
            reply.send(status, raw)

    def is_duplicate(self, key: Hashable) -> bool:
        """Step 6: True if an identical request was answered < ``block_duplicates_ms`` ago."""
        window = self.block_duplicates_ms
        if window is None:
            return False
        with self._lock:
            last = self._answered.get(key)
            if last is not None and (time.monotonic() - last) * 1000 < window:
                self._count("duplicate")
                return True
            return False

    def mark_answered(self, key: Hashable) -> None:
        """Remember when a request was answered by the API (for step 6)."""
        with self._lock:
            now = time.monotonic()
            self._answered[key] = now
            if len(self._answered) > self._answered_limit:  # forget answers older than any
                horizon = now - max(self.block_duplicates_ms or 0, 60_000) / 1000  # sane window
                self._answered = {k: t for k, t in self._answered.items() if t >= horizon}
                # Next time only once as many again came in: O(1) per request on average.
                self._answered_limit = max(10_000, 2 * len(self._answered))

    def take_expired_scroll(self) -> bool:
        """Step 7: consume ``expire_scrolls`` (True once, then the flag is False again)."""
        with self._lock:
            if not self.expire_scrolls:
                return False
            self.expire_scrolls = False
            self._count("expired_scroll")
            return True
