"""How long to wait before trying a failed request again."""

from __future__ import annotations

import email.utils
import random
import time
import typing as t

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
