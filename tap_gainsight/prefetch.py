"""Reading several sources at once while handing their items on strictly in order.

An event stream is a row of independent scrolls (one per date window). Reading them one
after the other leaves the tap idle for every round trip; reading the next few on threads
while the current one is emitted hides that wait. The order of emission, and so the state
the SDK derives from it, is exactly that of a serial read.
"""

from __future__ import annotations

import queue
import threading
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator, Sequence

T = t.TypeVar("T")

#: Seconds a blocked worker waits before checking whether the reader has gone.
_POLL_SECONDS = 0.1


class _End:
    """Marks the end of one source's items."""


class _Failure:
    """Carries a source's exception to the reader, in its place among the items."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch_in_order(
    sources: Sequence[Callable[[], Iterable[T]]], *, workers: int, items_ahead: int = 2
) -> Generator[Iterator[T], None, None]:
    """Yield, for each source in turn, an iterator over its items.

    Up to `workers` sources are read at once on threads, each at most `items_ahead` items
    ahead of the reader, so memory stays bounded whatever the volume. A source's exception
    is raised where its next item would have been: everything before it is handed on first.
    Each yielded iterator must be exhausted before the next is asked for. When the reader
    stops early (an exception, or closing this generator) the workers stop too; a request
    already in flight is finished and its answer dropped.
    """
    channels: list[queue.Queue[t.Any]] = [queue.Queue(maxsize=items_ahead) for _ in sources]
    claimed = iter(range(len(sources)))
    claim_lock = threading.Lock()
    reader_gone = threading.Event()

    def put(channel: queue.Queue[t.Any], item: object) -> bool:
        while not reader_gone.is_set():
            try:
                channel.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def work() -> None:
        # Sources are claimed in order, so the one the reader waits on is always claimed.
        while not reader_gone.is_set():
            with claim_lock:
                index = next(claimed, None)
            if index is None:
                return
            channel = channels[index]
            try:
                for item in sources[index]():
                    if not put(channel, item):
                        return
            except BaseException as error:  # handed to the reader, who raises it
                put(channel, _Failure(error))
                return
            put(channel, _End())

    def drain(channel: queue.Queue[t.Any]) -> Iterator[T]:
        while True:
            item = channel.get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item

    threads = [
        threading.Thread(target=work, name=f"prefetch-{n}", daemon=True)
        for n in range(max(1, min(workers, len(sources))))
    ]
    for thread in threads:
        thread.start()
    try:
        for channel in channels:
            yield drain(channel)
    finally:
        reader_gone.set()
