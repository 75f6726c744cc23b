"""The run's PX event history: read ahead on a thread pool, emitted strictly in order.

What a maintainer needs to know:

1. Window: a range of event dates `[start, end)`, read as one scroll (`px/events.py`).
2. Scroll: one window's pages, asked one after the other by a `ScrollReader`.
3. The list: every selected event stream's windows, a stream's oldest first, streams in
   sync order; it only grows (`plan`), and is taken in order.
4. Workers: `max_concurrency` threads, each taking the next scroll of the list no worker
   took and reading its pages into that scroll's queue.
5. The emitter: the SDK's syncing thread takes scrolls and pages strictly in list order, so
   records and STATE are exactly those of a serial read.
6. Held pages: a page waiting for its turn is its records' JSON, compressed (`held`); a
   page the emitter is already waiting for is handed on as read.
7. The bound: a worker asks for its next page only while the held pages take less than
   `max_read_ahead_mb`, or when its scroll is the one being emitted and has none waiting.
8. Failures: a scroll's exception is raised on the emitter where its next page would be.
9. Dropped: a stream closed early, or passed over by the sync, drops its scrolls left.
"""

from __future__ import annotations

import threading
import typing as t
import zlib
from collections import deque
from dataclasses import dataclass, field

import msgspec

from tap_gainsight.rate_limit import READING_AHEAD
from tap_gainsight.settings import DEFAULT_MAX_READ_AHEAD_MB

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from tap_gainsight.departures import Departures
    from tap_gainsight.px.events import EventStream
    from tap_gainsight.px.scrolling import ScrollReader
    from tap_gainsight.windows import Window

#: zlib's fastest level: it releases the interpreter lock while it works, and the next
#: levels save little more.
COMPRESSION_LEVEL = 1


def held(records: list[dict]) -> bytes:
    """A page's records as they wait for their turn: their JSON, compressed."""
    return zlib.compress(msgspec.json.encode(records), COMPRESSION_LEVEL)


def unheld(page: bytes) -> list[dict]:
    """The records of a page that waited (`held`), as they were read."""
    return t.cast("list[dict]", msgspec.json.decode(zlib.decompress(page)))


@dataclass(eq=False)
class Scroll:
    """One window of the list, and its pages read and not yet emitted."""

    stream: EventStream
    window: Window
    #: The window's place among its stream's windows (from 0).
    number: int
    reader: ScrollReader
    #: Pages read: `held` bytes, or the records of a page the emitter waited for.
    pages: deque[bytes | list[dict]] = field(default_factory=deque)
    done: bool = False
    dropped: bool = False
    failure: BaseException | None = None


class EventReader:
    """Every event scroll of the run, read by `workers` threads and emitted in order."""

    def __init__(self, workers: int, departures: Departures) -> None:
        self.workers = max(1, workers)
        self.departures = departures
        #: Bytes of held pages above which a worker waits (`max_read_ahead_mb`).
        self.max_held = DEFAULT_MAX_READ_AHEAD_MB << 20
        self._changed = threading.Condition()
        self._scrolls: list[Scroll] = []
        #: Index of the scroll being emitted (all before it are emitted or dropped), and of
        #: the next scroll a worker takes.
        self._emitting = 0
        self._taken = 0
        self._held = 0
        self._running = 0
        self._pending: dict[str, int] = {}  # stream name: scrolls not yet emitted

    # -- the emitting thread ---------------------------------------------------------------

    def plan(self, streams: Sequence[EventStream]) -> None:
        """Add the windows of `streams` (in sync order) not already in the list."""
        with self._changed:
            for stream in streams:
                if self._pending.get(stream.name):
                    continue
                self.max_held = (
                    int(stream.config.get("max_read_ahead_mb", DEFAULT_MAX_READ_AHEAD_MB)) << 20
                )
                windows = stream.windows
                self._pending[stream.name] = len(windows)
                self._scrolls.extend(
                    Scroll(stream, window, number, stream.window_reader(window))
                    for number, window in enumerate(windows)
                )
            while self._running < min(self.workers, len(self._scrolls) - self._taken):
                self._running += 1
                threading.Thread(target=self._work, name="event-reader", daemon=True).start()

    def pages_of(self, stream: EventStream) -> Iterator[tuple[Scroll, list[dict]]]:
        """The pages of `stream`'s scrolls, in order, each with its scroll.

        Scrolls of streams planned before it and never asked for are dropped. Closing the
        iterator early drops the rest of the stream's scrolls.
        """
        if not self._pending.get(stream.name):
            self.plan([stream])
        try:
            while (scroll := self._head_of(stream)) is not None:
                while (page := self._next_page(scroll)) is not None:
                    yield scroll, unheld(page) if type(page) is bytes else t.cast("list", page)
                with self._changed:
                    self._pass(scroll)
        finally:
            with self._changed:
                while (scroll := self._head()) is not None and scroll.stream is stream:
                    scroll.dropped = True
                    self._pass(scroll)

    def _head(self) -> Scroll | None:
        """The scroll being emitted, if any (holding the lock)."""
        return self._scrolls[self._emitting] if self._emitting < len(self._scrolls) else None

    def _head_of(self, stream: EventStream) -> Scroll | None:
        """`stream`'s next scroll, once the scrolls before it are dropped."""
        with self._changed:
            while self._pending.get(stream.name):
                scroll = t.cast("Scroll", self._head())
                if scroll.stream is stream:
                    return scroll
                scroll.dropped = True
                self._pass(scroll)
            return None

    def _pass(self, scroll: Scroll) -> None:
        """Move on from the scroll being emitted, its held pages let go (holding the lock)."""
        self._held -= sum(len(page) for page in scroll.pages if type(page) is bytes)
        scroll.pages.clear()
        self._pending[scroll.stream.name] -= 1
        self._emitting += 1
        self._changed.notify_all()

    def _next_page(self, scroll: Scroll) -> bytes | list[dict] | None:
        """The scroll's next page, waiting for it; None at its end.

        Raises:
            BaseException: What the scroll's reader raised, after every page before it.
        """
        with self._changed:
            while not (scroll.pages or scroll.done):
                self._changed.wait()
            if scroll.pages:
                page = scroll.pages.popleft()
                self._held -= len(page) if type(page) is bytes else 0
                self._changed.notify_all()
                return page
            if scroll.failure is not None:
                raise scroll.failure
            return None

    # -- the workers -----------------------------------------------------------------------

    def _work(self) -> None:
        while (scroll := self._take()) is not None:
            self._read(scroll)

    def _take(self) -> Scroll | None:
        """The next scroll no worker took, or None (and the worker ends) if none is left."""
        with self._changed:
            if self._taken == len(self._scrolls):
                self._running -= 1
                return None
            self._taken += 1
            return self._scrolls[self._taken - 1]

    def _read(self, scroll: Scroll) -> None:
        """Read the scroll's pages into its queue, each when there is room for it."""
        # Under a pace, the scroll being emitted has the first slot (`rate_limit.py`).
        READING_AHEAD.set(lambda: self._head() is not scroll)
        pages = scroll.reader.pages()
        failure: BaseException | None = None
        try:
            while self._room_for(scroll) and (records := next(pages, None)) is not None:
                with self._changed:
                    awaited = self._head() is scroll and not scroll.pages
                page = records if awaited else held(records)
                with self._changed:
                    if not scroll.dropped:
                        scroll.pages.append(page)
                        self._held += len(page) if type(page) is bytes else 0
                    self._changed.notify_all()
        except BaseException as error:  # raised on the emitting thread, in its place
            failure = error
        finally:
            pages.close()
            with self._changed:
                scroll.failure, scroll.done = failure, True
                self._changed.notify_all()

    def _room_for(self, scroll: Scroll) -> bool:
        """Wait until the scroll may ask for its next page; False if it was dropped.

        The scroll being emitted with no page waiting never waits: the emitter waits on it.
        """
        with self._changed:
            while not scroll.dropped and self._held >= self.max_held:
                if self._head() is scroll and not scroll.pages:
                    break
                self._changed.wait()
            return not scroll.dropped
