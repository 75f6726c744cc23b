"""How long to wait before trying a failed request again."""

from __future__ import annotations

import email.utils
import math
import random
import threading
import time
import typing as t
from urllib.parse import urlsplit

from tap_gainsight.errors import connect_failure, silence, unreachable

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator

    import requests

#: First wait; every retry waits at least this long, so no request is re-sent at once (the
#: API blocks an identical request repeated too quickly).
INITIAL_WAIT_SECONDS = 1.0
#: Longest single wait when the server does not say.
MAX_WAIT_SECONDS = 60.0
#: The least time worth a retry: with less left of `retry_max_wait_seconds`, retrying stops.
MIN_TRY_SECONDS = 1.0


def retry_after_seconds(exception: BaseException | None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), if any.

    A value that is neither (`soon`, `inf`) counts as no header: the usual wait applies.
    """
    response: requests.Response | None = getattr(exception, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def retry_waits(
    time_left: Callable[[], float | None] | None = None,
) -> Generator[float, BaseException | None, None]:
    """Waits for `backoff.on_exception`: the `Retry-After` of the exception sent, else doubling.

    Half of each doubled wait is random, so that parallel clients do not retry in step. The
    retrying stops when a wait would leave less than `MIN_TRY_SECONDS` of `time_left()`.
    """
    exception = yield 0.0
    ceiling = INITIAL_WAIT_SECONDS
    while True:
        asked = retry_after_seconds(exception)
        if asked is not None:
            wait = max(asked, INITIAL_WAIT_SECONDS)
        else:
            wait = ceiling / 2 + random.uniform(0, ceiling / 2)
            wait = max(wait, INITIAL_WAIT_SECONDS)
            ceiling = min(ceiling * 2, MAX_WAIT_SECONDS)
        left = time_left() if time_left is not None else None
        if left is not None and left - wait < MIN_TRY_SECONDS:
            return
        exception = yield wait


class FirstContact:
    """Which hosts have answered in this run: one never reached is not retried for long.

    Before a host answers once, no connection or a silent read timeout is a wrong setting or
    a network down, which waiting does not mend: `tries` tries, none after `within` seconds,
    then the run stops in one line. Once it has answered, they are an outage, retried as usual.
    """

    #: Tries of a host that has never answered, over the whole run.
    TRIES = 2

    def __init__(self, tries: int = TRIES) -> None:
        self.tries = tries
        self._answered: set[str] = set()
        self._failures: dict[str, int] = {}
        self._first_try: dict[str, float] = {}
        self._lock = threading.Lock()

    def answered(self, url: str | None) -> None:
        """Note that the host of `url` answered (any HTTP status)."""
        host = urlsplit(url or "").netloc
        if host not in self._answered:
            with self._lock:
                self._answered.add(host)

    def failed(
        self,
        url: str | None,
        error: BaseException,
        settings: str,
        *,
        began: float | None = None,
        within: float | None = None,
    ) -> None:
        """Count a failed try of `url` (begun at `began`, monotonic); stop if it is time.

        Raises:
            HostUnreachable: If the host never answered and this is its `tries`-th failure
                without an answer, or `within` seconds have passed since its first try.
        """
        if connect_failure(error) is None and silence(error) is None:
            if getattr(error, "response", None) is not None:
                self.answered(url)
            return
        host = urlsplit(url or "").netloc
        now = time.monotonic()
        with self._lock:
            if host in self._answered:
                return
            self._failures[host] = failures = self._failures.get(host, 0) + 1
            first = min(self._first_try.get(host, now), now if began is None else began)
            self._first_try[host] = first
        if failures >= self.tries or (within is not None and now - first >= within):
            raise unreachable(error, failures, settings) from None
