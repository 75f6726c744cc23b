"""Reading the start of the next event streams while the current one is emitted.

The SDK syncs streams one after another, so each event stream's first request waits for
the stream before it to finish: on a daily run most event types are a page or a few, and
the run was a row of round trips. When an event stream starts, the opening of each
selected event stream after it is read at once, on daemon threads, at most
`max_concurrency` requests in flight: the first page of its first window, and the whole
window if that is small and the allowance of pages read ahead (`EXTRA_PAGES_AHEAD`) has
room. Each stream then takes what was read instead of sending those requests itself.

Only a stream's first window is read ahead; reading it changes no state, so it is safe to
do early. Records and STATE messages are unchanged: pages read ahead are handed on exactly
where the stream would have read them. A read ahead that failed is simply done again by
its stream, which retries or fails as it would have (a rejected key, the request budget):
nothing of it has been handed on.
"""

from __future__ import annotations

import threading
import typing as t
from concurrent.futures import Future

if t.TYPE_CHECKING:
    from collections.abc import Callable, Hashable

T = t.TypeVar("T")

#: Pages beyond the first pages that may wait, read ahead, over all later streams (1,000
#: events each, about 2 MB decoded).
EXTRA_PAGES_AHEAD = 24


class FirstPages(t.Generic[T]):
    """Answers asked for ahead of time, by key, each taken once."""

    def __init__(self, workers: int, extra_pages: int = EXTRA_PAGES_AHEAD) -> None:
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._lock = threading.Lock()
        self._asked: set[Hashable] = set()
        self._answers: dict[Hashable, Future[T]] = {}
        self._extra_pages_left = extra_pages
        self._reserved: dict[Hashable, int] = {}

    def ask(self, key: Hashable, send: Callable[[], T]) -> None:
        """Start `send()` on a thread, once per key, at most `workers` at a time."""
        with self._lock:
            if key in self._asked:
                return
            self._asked.add(key)
            answer: Future[T] = Future()
            self._answers[key] = answer

        def run() -> None:
            with self._slots:
                try:
                    answer.set_result(send())
                except BaseException as error:  # the stream sends it again itself
                    answer.set_exception(error)

        threading.Thread(target=run, name=f"first-page-{key}", daemon=True).start()

    def sizes_waiting(self) -> list[int]:
        """The `total_hits` of the answers arrived and not yet taken (where they say it)."""
        with self._lock:
            arrived = [a for a in self._answers.values() if a.done() and not a.exception()]
        sizes = (getattr(answer.result(), "total_hits", None) for answer in arrived)
        return [size for size in sizes if isinstance(size, int)]

    def reserve(self, key: Hashable, pages: int) -> bool:
        """Claim room for `pages` more pages read ahead under `key`, if the allowance has it.

        The room is given back when the answer is taken.
        """
        with self._lock:
            if pages > self._extra_pages_left:
                return False
            self._extra_pages_left -= pages
            self._reserved[key] = self._reserved.get(key, 0) + pages
            return True

    def take(self, key: Hashable) -> T | None:
        """The answer asked for under `key` (waiting for it), or None if none succeeded."""
        with self._lock:
            answer = self._answers.pop(key, None)
        if answer is None:
            return None
        try:
            return answer.result()
        except Exception:
            return None
        finally:
            with self._lock:
                self._extra_pages_left += self._reserved.pop(key, 0)
