"""Reading the first page of the next event streams while the current one is emitted.

The SDK syncs streams one after another, so each event stream's first request waits for
the stream before it to finish: on a daily run most event types are one page, and the run
was a row of round trips. When an event stream starts, the first pages of the selected
event streams after it are asked for at once, on daemon threads, at most `max_concurrency`
in flight; each stream then takes its answer instead of sending the request itself.

Only the opening page of a stream's first window is read ahead: it holds no cursor and
changes no state, so it is safe to ask for early. Records and STATE messages are unchanged:
a page read ahead is handed on exactly where the stream would have read it. A request read
ahead that failed is simply sent again by its stream, which retries or fails as it would
have (a rejected key, the request budget).
"""

from __future__ import annotations

import threading
import typing as t
from concurrent.futures import Future

from tap_gainsight.responses import response_body

if t.TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    import requests


class FirstPages:
    """Answers asked for ahead of time, by key, each taken once."""

    def __init__(self, workers: int) -> None:
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._lock = threading.Lock()
        self._asked: set[Hashable] = set()
        self._answers: dict[Hashable, Future[requests.Response]] = {}

    def ask(self, key: Hashable, send: Callable[[], requests.Response]) -> None:
        """Start `send()` on a thread, once per key, at most `workers` at a time."""
        with self._lock:
            if key in self._asked:
                return
            self._asked.add(key)
            answer: Future[requests.Response] = Future()
            self._answers[key] = answer

        def run() -> None:
            with self._slots:
                try:
                    answer.set_result(send())
                except BaseException as error:  # the stream sends it again itself
                    answer.set_exception(error)

        threading.Thread(target=run, name=f"first-page-{key}", daemon=True).start()

    def sizes_waiting(self) -> list[int]:
        """The `totalHits` of the answers arrived and not yet taken (where they say it)."""
        with self._lock:
            arrived = [a for a in self._answers.values() if a.done() and not a.exception()]
        sizes = (response_body(answer.result()).get("totalHits") for answer in arrived)
        return [size for size in sizes if isinstance(size, int)]

    def take(self, key: Hashable) -> requests.Response | None:
        """The answer asked for under `key` (waiting for it), or None if none succeeded."""
        with self._lock:
            answer = self._answers.pop(key, None)
        if answer is None:
            return None
        try:
            return answer.result()
        except Exception:
            return None
