"""Reading the event streams' windows ahead of their turn.

The SDK syncs streams one after another, so each event stream's first request waited for
the stream before it to finish: on a daily run most event types are a page or a few, and
the run was a row of round trips. When the first event stream starts, the opening page of
every selected event stream's first window is asked for at once, on daemon threads: the
openings say how big each window is, so the run's slice allowance goes to the biggest
(`slice_allowance.py`). Where the API is slow enough for waiting to matter, the rest of each
window is then read on as well, in slices or as one scroll, its pages waiting compressed
within the run's bound (`waiting_pages.py`), and with its requests queued behind those of
the windows emitted before it (`request_slots.py`). Each stream takes what was read
instead of sending those requests itself.

Only a stream's first window is read ahead; reading it changes no state, so it is safe to
do early. Records and STATE messages are unchanged: pages read ahead are handed on exactly
where the stream would have read them. An opening that failed is simply read again by its
stream, which retries or fails as it would have (a rejected key, the request budget); a
page that failed after its window's opening fails the stream where that page would have
been emitted, as it would have failed the stream reading it itself.
"""

from __future__ import annotations

import threading
import typing as t
from concurrent.futures import Future

if t.TYPE_CHECKING:
    from collections.abc import Callable, Hashable

T = t.TypeVar("T")


class ReadAhead(t.Generic[T]):
    """Answers asked for ahead of time, by key, each taken once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._asked: set[Hashable] = set()
        self._answers: dict[Hashable, Future[T]] = {}

    def asked(self, key: Hashable) -> bool:
        """Tell whether `key` was asked for already."""
        with self._lock:
            return key in self._asked

    def ask(self, key: Hashable, send: Callable[[], T]) -> None:
        """Start `send()` on a thread of its own, once per key.

        Its requests are bounded by the tap's request slots, not by threads.
        """
        with self._lock:
            if key in self._asked:
                return
            self._asked.add(key)
            answer: Future[T] = Future()
            self._answers[key] = answer

        def run() -> None:
            try:
                answer.set_result(send())
            except BaseException as error:  # the stream sends it again itself
                answer.set_exception(error)

        threading.Thread(target=run, name=f"read-ahead-{key}", daemon=True).start()

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
