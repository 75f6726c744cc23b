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

    Up to `workers` sources are read at once on threads. A worker that has read a whole
    source moves on to the next unclaimed one, up to `2 * workers` sources ahead of the
    reader; within a source it runs at most `items_ahead` items ahead. So memory is bounded
    (at most `2 * workers * items_ahead` items wait) whatever the volume, and a short
    source never holds its worker until the reader gets to it.
    A source's exception is raised where its next item would have been: everything before it
    is handed on first. Each yielded iterator must be exhausted before the next is asked for.
    When the reader stops early (an exception, or closing this generator) the workers stop
    too; a request already in flight is finished and its answer dropped.
    """
    channels: list[queue.Queue[t.Any]] = [queue.Queue() for _ in sources]
    # Items, not the end marker, take room: finishing a source never waits for the reader.
    rooms = [threading.Semaphore(items_ahead) for _ in sources]
    sources_ahead = 2 * workers
    claims = threading.Condition()
    next_unclaimed = reader_at = 0
    reader_gone = threading.Event()

    def claim() -> int | None:
        nonlocal next_unclaimed
        with claims:
            # Sources are claimed in order, and the one the reader waits on always can be.
            while next_unclaimed >= reader_at + sources_ahead and not reader_gone.is_set():
                claims.wait(_POLL_SECONDS)
            if next_unclaimed >= len(sources) or reader_gone.is_set():
                return None
            next_unclaimed += 1
            return next_unclaimed - 1

    def put(index: int, item: object) -> bool:
        while not reader_gone.is_set():
            if rooms[index].acquire(timeout=_POLL_SECONDS):
                channels[index].put(item)
                return True
        return False

    def work() -> None:
        while (index := claim()) is not None:
            try:
                for item in sources[index]():
                    if not put(index, item):
                        return
            except BaseException as error:  # handed to the reader, who raises it
                channels[index].put(_Failure(error))
                return
            channels[index].put(_End())

    def drain(index: int) -> Iterator[T]:
        while True:
            item = channels[index].get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Failure):
                raise item.error
            rooms[index].release()
            yield item

    threads = [
        threading.Thread(target=work, name=f"prefetch-{n}", daemon=True)
        for n in range(max(1, min(workers, len(sources))))
    ]
    for thread in threads:
        thread.start()
    try:
        for index in range(len(sources)):
            with claims:
                reader_at = index
                claims.notify_all()
            yield drain(index)
    finally:
        reader_gone.set()


def started_in_order(
    sources: Sequence[Callable[[], Iterable[T]]], *, workers: int, items_ahead: int = 2
) -> Generator[T, None, None]:
    """The items of every source in turn, as `prefetch_in_order` reads them, started now.

    The workers start reading before the first item is asked for: a window read ahead of
    its stream's turn is read while the streams before it are emitted.
    """
    items_of_each = prefetch_in_order(sources, workers=workers, items_ahead=items_ahead)
    first = next(items_of_each, None)

    def items() -> Generator[T, None, None]:
        try:
            if first is not None:
                yield from first
                for source_items in items_of_each:
                    yield from source_items
        finally:
            items_of_each.close()

    return items()
