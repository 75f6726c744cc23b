"""How long to wait before trying a failed request again."""

from __future__ import annotations

import email.utils
import random
import threading
import time
import typing as t
from urllib.parse import urlsplit

from tap_gainsight.errors import connect_failure, unreachable

if t.TYPE_CHECKING:
    from collections.abc import Generator

    import requests

#: First wait; every retry waits at least this long, so no request is re-sent at once (the
#: API blocks an identical request repeated too quickly).
INITIAL_WAIT_SECONDS = 1.0
#: Longest single wait when the server does not say.
MAX_WAIT_SECONDS = 60.0


def retry_after_seconds(exception: BaseException | None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), if any."""
    response: requests.Response | None = getattr(exception, "response", None)
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        moment = email.utils.parsedate_to_datetime(value) if value else None
        return None if moment is None else max(0.0, moment.timestamp() - time.time())


def retry_waits() -> Generator[float, BaseException | None, None]:
    """Waits for `backoff.on_exception`: the server's `Retry-After`, else jittered doubling.

    The generator is sent each failure's exception, which is where `Retry-After` is read.
    Half of each doubled wait is random so that parallel clients do not retry in step.
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
        exception = yield wait


class FirstContact:
    """Which hosts have answered in this run: one never reached is not retried for long.

    A connection refused, a name that does not resolve or a failed handshake before a host
    has answered once is a wrong setting or a network down, which waiting does not mend: it
    gets `tries` quick tries in all, then the run stops in one line. Once a host has
    answered, the same failures are a passing outage and keep the full retry budget.
    """

    #: Tries of a host that has never answered, over the whole run.
    TRIES = 2

    def __init__(self, tries: int = TRIES) -> None:
        self.tries = tries
        self._answered: set[str] = set()
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()

    def answered(self, url: str | None) -> None:
        """Note that the host of `url` answered (any HTTP status)."""
        host = urlsplit(url or "").netloc
        if host not in self._answered:
            with self._lock:
                self._answered.add(host)

    def failed(self, url: str | None, error: BaseException, settings: str) -> None:
        """Count a failed try of `url`; past `tries` on a host never reached, stop.

        Raises:
            HostUnreachable: If the host has never answered and no connection could be made
                `tries` times; the message names the URL and the `settings` to check.
        """
        if connect_failure(error) is None:
            if getattr(error, "response", None) is not None:
                self.answered(url)
            return
        host = urlsplit(url or "").netloc
        with self._lock:
            if host in self._answered:
                return
            self._failures[host] = failures = self._failures.get(host, 0) + 1
        if failures >= self.tries:
            raise unreachable(error, failures, settings) from None
