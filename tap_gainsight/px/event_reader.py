"""The run's PX event history: read ahead on threads, emitted strictly in order.

Each selected event stream reads its history as windows (`px/events.py`), each window one
scroll of pages. Here the scrolls of every event stream form one list, in the order their
records are emitted: a stream's windows oldest first, the streams in sync order.
Worker threads each claim the first unclaimed scroll at most `2 * max_concurrency` places
past the one being emitted, and read its pages into that scroll's queue. The emitting
thread (the one the SDK syncs on) takes the pages of one scroll after the other, strictly
in list order, so records and STATE messages are exactly those of a serial read: the
workers only make the pages arrive sooner.

Slices. A scroll is a chain of requests, each sent when the one before has answered. A
window whose first page's `totalHits` shows many pages is cut, after that page, into slices
of equal length (the first from that page's last event on), each a scroll of its own,
placed in the list where the rest of the window was, so several workers read it at once.
Each slice ends on a partial page, so slices cost requests; they are paid from one budget
for the run: one request per selected event type beyond a serial read. The budget goes to
the biggest windows: the first window of every stream is opened before anything is read
ahead (one request each), and once all of them have answered the budget is shared out,
biggest first; a window opened later takes what is left.

Who reads what. The emitting thread reads the scroll being emitted itself, once the pages
read ahead of it are handed on: where the API answers faster than records are emitted, the
run is exactly a serial read. `max_concurrency - 1` worker threads open every stream's first
window and read ahead the scrolls after the one being emitted, but only while reading ahead
pays: while the API's fastest answer to a page this run is slower than the tap's time to
emit a page, both measured as the run goes. A page read ahead waits as its records' JSON,
compressed (`held`): decoded, a page of 1,000 events takes about 3 MB, compressed about
90 KB, and a worker reads a whole slice ahead while the emitter works through the one
before. At most `PAGES_PER_WORKER` pages per `max_concurrency` wait over the run.

Failures. A scroll's exception is raised on the emitting thread where its next page would
have been emitted, after every page before it.
"""

from __future__ import annotations

import itertools
import threading
import time
import typing as t
import zlib
from collections import deque
from dataclasses import dataclass, field

import msgspec

from tap_gainsight.timestamps import from_epoch_ms
from tap_gainsight.windows import Window, split_window

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterator, Sequence

    from tap_gainsight.departures import Departures
    from tap_gainsight.px.events import EventStream
    from tap_gainsight.px.scrolling import ScrollReader

#: Pages read ahead and not yet emitted, per unit of `max_concurrency`: the reader's
#: memory bound (about 90 KB a page of 1,000 events, held compressed).
PAGES_PER_WORKER = 64
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
    """One scroll of the list: a window, or a slice of one, and the pages read of it."""

    stream: EventStream
    #: The window this scroll reads (a slice's own range is its `reader`'s).
    window: Window
    #: The window's place among its stream's windows (from 0).
    number: int
    reader: ScrollReader
    #: The first window of its stream: opened before anything is read ahead.
    first_of_stream: bool = False
    #: Its first page not read yet: that page decides whether the window is sliced.
    unopened: bool = True
    #: Pages read: a list of records, or `held` bytes where the page waits for its turn.
    pages: deque[list[dict] | bytes] = field(default_factory=deque)
    claimed: bool = False
    #: False while the window waits for the run's budget to be shared out.
    decided: bool = True
    done: bool = False
    dropped: bool = False
    failure: BaseException | None = None
    page_iter: Generator[list[dict], None, None] | None = None

    def read_page(self) -> list[dict] | None:
        """The scroll's next page, or None at its end (on the claiming worker's thread)."""
        if self.page_iter is None:
            self.page_iter = self.reader.pages()
        return next(self.page_iter, None)


class EventReader:
    """Every event scroll of the run, read by `workers` threads and emitted in order."""

    def __init__(self, workers: int, departures: Departures) -> None:
        self.workers = max(1, workers)
        self.look_ahead = 2 * self.workers
        #: Pages read and not yet emitted, at most (the workers' openings aside).
        self.pages_held = PAGES_PER_WORKER * self.workers
        self._departures = departures
        self._changed = threading.Condition()
        self._scrolls: list[Scroll] = []
        #: Index of the scroll being emitted; every scroll before it is emitted or dropped.
        self._emitting = 0
        self._held = 0
        self._pending: dict[str, int] = {}  # stream name: scrolls not yet emitted
        self._openings_left = 0
        self._undecided: list[Scroll] = []
        self._budget = 0
        self._running = 0
        #: The API's fastest answer to a page this run (its latency, as near as the tap can
        #: see it: a slower answer may only mean a busy server), and the time the SDK took
        #: to emit the records so far.
        self._answer_seconds: float | None = None
        self._emit_seconds = 0.0
        self._records_emitted = 0

    @property
    def budget_left(self) -> int:
        """Extra requests the run may still spend on slices."""
        return self._budget

    # -- the emitting thread ---------------------------------------------------------------

    def plan(self, streams: Sequence[EventStream]) -> None:
        """Add the windows of `streams` (in sync order) not already in the list.

        Each stream added raises the run's slice budget by one request.
        """
        with self._changed:
            for stream in streams:
                if self._pending.get(stream.name):
                    continue
                windows = stream.windows
                self._budget += 1
                self._pending[stream.name] = len(windows)
                for number, window in enumerate(windows):
                    self._scrolls.append(
                        Scroll(stream, window, number, stream.window_reader(window))
                    )
                if windows:
                    self._scrolls[-len(windows)].first_of_stream = True
                    self._openings_left += 1
            self._start_workers()

    def pages_of(self, stream: EventStream) -> Iterator[tuple[Scroll, list[dict]]]:
        """The pages of `stream`'s scrolls, in order, each with its scroll.

        Scrolls of streams planned before it and never asked for are dropped. Closing the
        iterator early drops the rest of the stream's scrolls.
        """
        if not self._pending.get(stream.name):
            self.plan([stream])
        try:
            while (scroll := self._next_scroll(stream)) is not None:
                for page in self._drain(scroll):
                    yield scroll, page
                with self._changed:
                    self._emitting += 1
                    self._pending[stream.name] -= 1
                    self._changed.notify_all()
        finally:
            with self._changed:
                while self._emitting < len(self._scrolls) and self._at_emitting().stream is stream:
                    self._drop(self._at_emitting())

    def _next_scroll(self, stream: EventStream) -> Scroll | None:
        with self._changed:
            while self._pending.get(stream.name) and self._at_emitting().stream is not stream:
                self._drop(self._at_emitting())
            if not self._pending.get(stream.name):
                return None
            self._changed.notify_all()
            return self._at_emitting()

    def _at_emitting(self) -> Scroll:
        return self._scrolls[self._emitting]

    def _drop(self, scroll: Scroll) -> None:
        """Leave out a scroll that will never be emitted (holding the lock)."""
        scroll.dropped = True
        scroll.claimed = True
        self._held -= len(scroll.pages)
        scroll.pages.clear()
        self._pending[scroll.stream.name] -= 1
        self._emitting += 1
        self._changed.notify_all()

    def _drain(self, scroll: Scroll) -> Iterator[list[dict]]:
        """The pages of the scroll being emitted: those read ahead, then read here."""
        while True:
            with self._changed:
                while not (scroll.pages or scroll.done or self._may_claim(scroll, emitter=True)):
                    self._changed.wait()
                page: list[dict] | bytes | None = None
                if scroll.pages:
                    page = scroll.pages.popleft()
                    self._held -= 1
                    self._changed.notify_all()
                elif scroll.done:
                    if scroll.failure is not None:
                        raise scroll.failure
                    return
                else:
                    scroll.claimed = True
            if page is None:
                self._read_page(scroll, hold=False)
                with self._changed:
                    scroll.claimed = scroll.done
                continue
            records = unheld(page) if type(page) is bytes else t.cast("list[dict]", page)
            began = time.perf_counter()
            yield records
            self._emitted(len(records), began)

    def _emitted(self, records: int, began: float) -> None:
        """Note how long the SDK took to emit a page of `records` records."""
        with self._changed:
            self._emit_seconds += time.perf_counter() - began
            self._records_emitted += records
            self._changed.notify_all()  # whether reading ahead pays may have changed

    # -- the workers -----------------------------------------------------------------------

    def _start_workers(self) -> None:
        threads = min(self.workers - 1, len(self._scrolls) - self._emitting)
        while self._running < threads:
            self._running += 1
            threading.Thread(target=self._work, name="event-reader", daemon=True).start()

    def _work(self) -> None:
        while (scroll := self._claim()) is not None:
            while True:
                with self._changed:
                    if scroll.done or scroll.dropped or not self._has_room(scroll):
                        scroll.claimed = scroll.done or scroll.dropped
                        self._changed.notify_all()
                        break
                if not self._read_page(scroll, hold=True):
                    break

    def _claim(self) -> Scroll | None:
        """The scroll to read next (waiting for one), or None when none is left."""
        with self._changed:
            while True:
                if (scroll := self._claimable()) is not None:
                    scroll.claimed = True
                    return scroll
                if not any(
                    not s.claimed for s in itertools.islice(self._scrolls, self._emitting, None)
                ):
                    self._running -= 1
                    return None
                self._changed.wait()

    def _claimable(self) -> Scroll | None:
        """The scroll a worker reads next (holding the lock), if any.

        A stream's first window not opened yet, else the first within the look-ahead that
        may be read now.
        """
        if self._openings_left:
            for scroll in itertools.islice(self._scrolls, self._emitting, None):
                if scroll.first_of_stream and scroll.unopened and not scroll.claimed:
                    return scroll
        ahead = itertools.islice(self._scrolls, self._emitting, self._emitting + self.look_ahead)
        return next((scroll for scroll in ahead if self._may_claim(scroll)), None)

    def _may_claim(self, scroll: Scroll, *, emitter: bool = False) -> bool:
        claimable = not scroll.claimed and scroll.decided and not scroll.done
        return claimable and (emitter or self._has_room(scroll))

    def _has_room(self, scroll: Scroll) -> bool:
        """Whether a worker may read `scroll`'s next page now (holding the lock).

        A window's opening page, always. Never the scroll being emitted: the emitting
        thread reads that itself. Any other, within `pages_held`, and only while reading
        ahead pays: while the API takes longer to answer a page than the tap takes to emit
        one (both as measured this run). Otherwise the emitter is what the run waits for,
        and reading ahead would only take the interpreter from it.
        """
        if scroll.unopened:
            return True
        if self._current() is scroll:
            return False
        return self._held < self.pages_held and self._reading_ahead_pays(scroll.stream.page_size)

    def _reading_ahead_pays(self, page_size: int) -> bool:
        if self._answer_seconds is None or not self._records_emitted:
            return False
        emit_seconds = self._emit_seconds / self._records_emitted * page_size
        return self._answer_seconds > emit_seconds

    def _current(self) -> Scroll | None:
        """The scroll being emitted, if any."""
        return self._scrolls[self._emitting] if self._emitting < len(self._scrolls) else None

    def _read_page(self, scroll: Scroll, *, hold: bool) -> bool:
        """Read `scroll`'s next page into its queue; whether its reader may read on.

        `hold`: the page will wait for its turn, so it is kept `held`.
        """
        try:
            records = scroll.read_page()
            page = held(records) if hold and records is not None else records
        except BaseException as error:  # raised on the emitting thread, in its place
            with self._changed:
                scroll.failure, scroll.done = error, True
                self._opened(scroll)
                self._changed.notify_all()
            return False
        with self._changed:
            answered = scroll.reader.answer_seconds
            if answered is not None and (
                self._answer_seconds is None or answered < self._answer_seconds
            ):
                self._answer_seconds = answered
            if page is None:
                scroll.done = True
                self._opened(scroll)
                self._changed.notify_all()
                return False
            if not scroll.dropped:
                scroll.pages.append(page)
                self._held += 1
            went_on = not scroll.unopened or self._opened(scroll)
            self._changed.notify_all()
            return went_on

    def _opened(self, scroll: Scroll) -> bool:
        """Note a scroll's first page (holding the lock); False if it now waits for the budget.

        A window worth slicing waits until every stream's first window has answered; the
        budget is then shared out, biggest window first.
        """
        if not scroll.unopened:
            return True
        scroll.unopened = False
        wanted = self._slices_wanted(scroll)
        if scroll.first_of_stream:
            self._openings_left -= 1
            if wanted > 1:
                scroll.decided = False
                self._undecided.append(scroll)
            if not self._openings_left:
                self._share_budget()
            if not scroll.decided:
                scroll.claimed = False  # claimed again once the budget is shared out
                return False
        elif wanted > 1:
            self._slice(scroll, wanted)
        return not scroll.done

    def _slices_wanted(self, scroll: Scroll) -> int:
        reader = scroll.reader
        if self.workers <= 1 or scroll.done or reader.finished:
            return 1
        if reader.position.value_ms is None or not reader.position.in_order:
            return 1
        return scroll.stream.slices_for(reader.total_hits)

    def _share_budget(self) -> None:
        """Give the budget to the windows waiting for it, biggest first (holding the lock)."""
        waiting = sorted(self._undecided, key=lambda s: -(s.reader.total_hits or 0))
        self._undecided.clear()
        for scroll in waiting:
            scroll.decided = True
            if not scroll.dropped:
                self._slice(scroll, self._slices_wanted(scroll))

    def _slice(self, scroll: Scroll, wanted: int) -> None:
        """Cut the rest of `scroll`'s window into slices, as many as the budget pays.

        `k` slices cost at most `k` requests: `k - 1` slices end on a partial page, and the
        events sharing the first page's last millisecond, read again by the first slice, may
        fill one more.
        """
        parts = min(wanted, self._budget)
        if parts <= 1:
            return
        self._budget -= parts
        reader, stream = scroll.reader, scroll.stream
        rest_from = from_epoch_ms(t.cast("int", reader.position.value_ms))
        pieces = split_window(Window(rest_from, scroll.window.end), parts)
        slices = [
            Scroll(
                stream,
                scroll.window,
                scroll.number,
                stream.window_reader(piece, reader.position if n == 0 else None),
                unopened=False,
            )
            for n, piece in enumerate(pieces)
        ]
        if scroll.page_iter is not None:
            scroll.page_iter.close()
        scroll.done = scroll.claimed = True
        at = self._scrolls.index(scroll) + 1
        self._scrolls[at:at] = slices
        self._pending[stream.name] += len(slices)
        stream.logger.info(
            "%s window %s holds %s events: reading the rest of it, from %s, as %d slices at once.",
            stream.name,
            scroll.window,
            f"{reader.total_hits:,}",
            rest_from.isoformat(),
            len(slices),
        )
