"""PX event history: windows of dates, each read as a scroll, read ahead and emitted in order.

What a maintainer needs to know:

1. Window: a range of event dates `[start, end)` read as one scroll (`plan_windows`, 190 days).
2. Scroll: a range's pages, asked one after the other to the end the API says (`ScrollPaginator`).
3. Reader: keeps a window's own records, reopens a failed scroll, halves a refused range.
4. The list: every selected event stream's windows in sync order, taken in order; it only grows.
5. Workers: `max_concurrency` threads, each on the next scroll; the emitted one's asks first.
6. The emitter: the syncing thread takes scrolls and pages in list order, as a serial read would.
7. Held pages: a page waiting for its turn is compressed JSON (`held`); one awaited is handed on.
8. The bound: held pages stop at `max_read_ahead_mb`; the scroll being emitted reads on regardless.
9. Failures: a scroll's exception is raised on the emitter where its next page would be.
10. Dropped: a stream closed early, or passed over by the sync, drops its scrolls left.
"""

from __future__ import annotations

import datetime as dt
import threading
import typing as t
import zlib
from collections import deque
from dataclasses import dataclass, field, replace
from functools import cached_property

import msgspec
from singer_sdk.pagination import BaseAPIPaginator
from typing_extensions import override

from tap_gainsight.errors import RunawayPaginationError, WindowRefused
from tap_gainsight.order_guard import OrderGuardedStream
from tap_gainsight.px.client import PXStream
from tap_gainsight.rate_limit import READING_AHEAD
from tap_gainsight.responses import response_body
from tap_gainsight.settings import DEFAULT_MAX_READ_AHEAD_MB, EDGE_MARGIN_MS, MAX_WINDOW_DAYS
from tap_gainsight.timestamps import epoch_ms_of, to_epoch_ms

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator, Sequence

    import requests
    from singer_sdk.helpers.types import Context

    from tap_gainsight.position import Position

# -- windows ---------------------------------------------------------------------------------

MILLISECOND = dt.timedelta(milliseconds=1)


@dataclass(frozen=True)
class Window:
    """A half-open range of event dates, `[start, end)`, in UTC."""

    start: dt.datetime
    end: dt.datetime

    @property
    def length(self) -> dt.timedelta:
        """How long the window is."""
        return self.end - self.start

    def cut(self, length: dt.timedelta) -> tuple[Window, ...]:
        """Consecutive windows of at most `length`, rounded up to the millisecond, tiling it.

        Half-open windows share their edges, so an event dated exactly on an edge belongs to
        exactly one window.
        """
        step = -(-length // MILLISECOND) * MILLISECOND
        windows: list[Window] = []
        start = self.start
        while start < self.end:
            windows.append(Window(start, min(start + step, self.end)))
            start = windows[-1].end
        return tuple(windows)


def plan_windows(
    start: dt.datetime, end: dt.datetime, days: int, limit_days: int = MAX_WINDOW_DAYS
) -> tuple[Window, ...]:
    """Cut `[start, end)` into consecutive windows of at most `days` days.

    Each window's range asked, its margins included (docs/api.md, "PX: event windows"), fits
    the API's `limit_days`: a window at the limit is two milliseconds shorter. Arithmetic is
    on UTC instants: no day is 23 or 25 hours.

    Raises:
        ValueError: If `days` is outside 1..190 or a bound is naive.
    """
    if not 1 <= days <= MAX_WINDOW_DAYS:
        msg = f"a window must be 1 to {MAX_WINDOW_DAYS} days long, not {days}"
        raise ValueError(msg)
    if start.tzinfo is None or end.tzinfo is None:
        msg = "window bounds must be timezone-aware"
        raise ValueError(msg)
    start, end = start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
    limit = dt.timedelta(days=limit_days, milliseconds=-2 * EDGE_MARGIN_MS)
    return Window(start, end).cut(min(dt.timedelta(days=days), limit))


#: The shortest range a refused one is halved to: a day refused is not refused for its length.
ONE_DAY = dt.timedelta(days=1)

# -- scrolls ---------------------------------------------------------------------------------

#: About a billion records at the largest page size: only a broken cursor gets this far.
MAX_SCROLL_PAGES = 1_000_000


@dataclass(frozen=True)
class ScrollToken:
    """What asks for a page of a scroll: the API's cursor (None: the scroll is opened).

    `window` is set for the event endpoints; `since_ms` when a scroll was reopened from the
    last key value delivered. `page` counts the scroll's pages: the API may hand back the
    same `scrollId` for every page, and the count keeps consecutive tokens apart for the
    SDK's loop check.
    """

    scroll_id: str | None = None
    window: Window | None = None
    since_ms: int | None = None
    page: int = 0


class ScrollPaginator(BaseAPIPaginator[ScrollToken]):
    """Follows one PX scroll (events, `/users`, `/accounts`) to the end the API says.

    A scroll has ended when a page is empty or the records received reach `totalHits`
    (docs/api.md, "PX: scroll pagination"). A page shorter than asked is not the end: a
    tenant may cap pages below `pageSize` without saying so, and without `totalHits` the
    scroll reads on to an empty page. `scrollId` may stay set on the last page, so it says
    nothing of the end; a page without one says the cursor cannot go on, which ends the
    scroll where no `totalHits` says more remain (else the next token has no cursor, and
    the reader reopens the scroll).
    """

    def __init__(self, start: ScrollToken, records_of: Callable[[requests.Response], list]) -> None:
        super().__init__(start)
        self._records_of = records_of
        self._records_seen = 0
        #: The last page's `totalHits`, where it said one.
        self.total_hits: int | None = None

    @override
    def has_more(self, response: requests.Response) -> bool:
        """Whether the scroll goes on after this page (`advance` asks it once a page).

        Raises:
            RunawayPaginationError: After `MAX_SCROLL_PAGES` pages without an end.
        """
        body = response_body(response)
        body = body if isinstance(body, dict) else {}  # a bare list has no cursor
        page_length = len(self._records_of(response))
        self._records_seen += page_length
        total_hits = body.get("totalHits")
        self.total_hits = total_hits if isinstance(total_hits, int) else None
        ended = (
            self._records_seen >= self.total_hits
            if self.total_hits is not None
            else not body.get("scrollId")
        )
        if page_length == 0 or ended:
            return False
        if self.count >= MAX_SCROLL_PAGES:
            msg = (
                f"the scroll returned {self.count} pages ({self._records_seen} records) "
                "without reaching its end; stopping instead of paging forever."
            )
            raise RunawayPaginationError(msg)
        return True

    @override
    def get_next(self, response: requests.Response) -> ScrollToken:
        body = response_body(response)
        cursor = body.get("scrollId") if isinstance(body, dict) else None
        current = self.current_value
        return replace(current, scroll_id=cursor or None, page=current.page + 1)


class ScrollReader:
    """One scroll: its pages in order, each record handed on once.

    A scroll cursor lives on the server, and a page whose answer was lost may still have moved
    it on (or the cursor may have expired). So a failed page is never asked for again as it
    was: the scroll is reopened from where its position says (`>=`), and the records already
    handed on are dropped, so nothing is lost and nothing sent twice. Everything a reader
    knows is its own, so several can run at once on threads.

    A windowed reader (events) keeps exactly the records dated in its window, whatever the
    API makes of the range's edges, and reads a window the API finds too long as
    consecutive pieces, halved until the API takes them (docs/api.md, "PX: event windows").
    """

    def __init__(
        self, stream: ScrollStream, position: Position, window: Window | None = None
    ) -> None:
        self.stream = stream  # a stream without partitions: its context is None
        self.position = position
        #: The ranges still to read (one, unless a window was cut), and the paginator of the
        #: one being read (None: it has ended).
        self._pieces: deque[Window | None] = deque([window])
        self._paginator: ScrollPaginator | None = None
        #: The scroll's size, from the first page that says it (`totalHits`).
        self.total_hits: int | None = None
        self._short_before = False
        self._refused: WindowRefused | None = None

    def pages(self) -> Generator[list[dict], None, None]:
        """Request the scroll's pages and yield their new records, page by page."""
        stream = self.stream
        # The SDK's own request (send, duration metric, `validate_response`), paced and
        # retried; a retry reopens the scroll.
        send = stream.retrying(stream._request, self._request_for_retry)
        while self._pieces or self._paginator is not None:
            token = self._current() or self._open(self._pieces.popleft())
            try:
                response = send(stream.prepared_request(None, token), None)
            except WindowRefused as refusal:
                self._cut(token, refusal)
                continue
            paginator = t.cast("ScrollPaginator", self._paginator)  # a retry may reopen it
            token = paginator.current_value
            if self._refused is not None:
                self._accepted(t.cast("Window", token.window))
            records = stream.records_of(response)
            if records and self._short_before:
                stream.note_departure(
                    "pages shorter than the pageSize asked before a scroll's end",
                    "scrolls are read on until the API says they have ended",
                )
            self._short_before = 0 < len(records) < stream.page_size
            admitted = self.position.admit(self._within(records, token))
            paginator.advance(response)
            if paginator.total_hits is None:
                if records:
                    stream.note_departure(
                        "no totalHits in a scroll's answer",
                        "a scroll is read on to its first empty page instead",
                    )
            elif self.total_hits is None:
                self.total_hits = paginator.total_hits
            if paginator.finished:
                self._paginator = None
            elif paginator.current_value.scroll_id is None:
                if admitted:  # else a reopened scroll that cannot move on has ended
                    stream.note_departure(
                        "a page without scrollId before the scroll's end",
                        "the scroll is opened again after the last record delivered",
                    )
                    self._reopen(token)
                else:
                    self._paginator = None
            yield admitted

    def _current(self) -> ScrollToken | None:
        """The next page's token of the range being read, if it goes on."""
        return self._paginator.current_value if self._paginator is not None else None

    def _open(self, window: Window | None) -> ScrollToken:
        """Open the next range's scroll: cut first if the API refused ranges as long."""
        longest = self.stream.longest_range
        if window is not None and longest is not None and window.length > longest:
            first, *rest = window.cut(longest)
            self._pieces.extendleft(reversed(rest))
            window = first
        return self._start(ScrollToken(window=window))

    def _start(self, token: ScrollToken) -> ScrollToken:
        """Read a scroll from `token` on, its pages counted afresh."""
        self._paginator = ScrollPaginator(token, self.stream.records_of)
        return token

    def _within(self, records: list[dict], token: ScrollToken) -> list[dict]:
        """The records dated inside the range read: the margins asked past it left out."""
        window = token.window
        if window is None:
            return records
        low = max(to_epoch_ms(window.start), token.since_ms or 0)
        high = to_epoch_ms(window.end)
        field = self.stream.replication_key
        kept: list[dict] = []
        for record in records:
            value = record.get(field)
            moment = value if type(value) is int else epoch_ms_of(value)
            if moment is None or low <= moment < high:
                kept.append(record)
            elif not low - EDGE_MARGIN_MS <= moment <= high + EDGE_MARGIN_MS:
                self.stream.note_departure(
                    "records dated outside the range asked for",
                    "each window keeps only the records dated inside it",
                )
        return kept

    def _cut(self, token: ScrollToken, refusal: WindowRefused) -> None:
        """The API refused the range opening this scroll: read it as two halves.

        Raises:
            WindowRefused: If the range is a day or less: its length is not what is refused.
        """
        window = token.window
        if window is None or window.length <= ONE_DAY:
            raise refusal
        self._refused = self._refused or refusal
        self._pieces.extendleft(reversed(window.cut(window.length / 2)))
        self._paginator = None

    def _accepted(self, window: Window) -> None:
        """A range was accepted after a longer one was refused: later ranges are cut to it."""
        stream = self.stream
        if stream.longest_range is None or window.length < stream.longest_range:
            stream.longest_range = window.length
        # In days as a person reads them ("95", "23.7"), the margins' milliseconds included.
        days = (stream.longest_range + dt.timedelta(milliseconds=2)) / ONE_DAY
        stream.note_departure(
            "a date range refused as too long",
            f"ranges of at most {days:.3g} days are read instead (later runs "
            f"find this again: set event_window_days to avoid the refused requests); "
            f"{self._refused}",
        )
        self._refused = None

    def _reopen(self, token: ScrollToken) -> ScrollToken:
        """Open `token`'s scroll again from where the position says."""
        since = self.position.reopen_from()
        return self._start(replace(token, scroll_id=None, since_ms=since, page=token.page + 1))

    def _request_for_retry(
        self, failed: requests.PreparedRequest, context: Context | None
    ) -> requests.PreparedRequest:
        if "scrollId=" not in (failed.url or ""):
            return failed  # opening a scroll is safe to repeat
        token = self._reopen(t.cast("ScrollToken", self._current()))
        self.stream.logger.warning(
            "%s: reopening the scroll from %s.", self.stream.path, token.since_ms
        )
        return self.stream.prepared_request(None, token)


class ScrollStream(PXStream, OrderGuardedStream):
    """A stream sorted ascending on its epoch-ms replication key and read by scroll cursors.

    Subclasses say where the pages come from (`pages`); each page's records are checked
    against the schema and handed on here, on the thread the SDK syncs on.
    """

    is_sorted = True
    #: The longest date range the API has accepted after refusing a longer one (None: as
    #: planned). Read by every reader of the stream before it opens a range.
    longest_range: dt.timedelta | None = None

    @cached_property
    def record_key(self) -> Callable[[dict], t.Hashable]:
        """What tells two records apart: the primary key's value (a tuple if composite)."""
        if len(self.primary_keys) == 1:
            (field,) = self.primary_keys
            return lambda record: record.get(field)
        return lambda record: tuple(record.get(field) for field in self.primary_keys)

    def pages(self, context: Context | None) -> Iterable[list[dict]]:
        """The pages of one sync, in the order their records are emitted."""
        raise NotImplementedError

    @override
    def request_records(self, context: Context | None) -> Iterable[dict]:
        with self.get_http_request_counter() as request_counter:
            request_counter.with_context(context)
            for page in self.pages(context):
                request_counter.increment()
                yield from self.checked(page)


# -- reading ahead ---------------------------------------------------------------------------


class WindowedStream(t.Protocol):
    """What the reader asks of an event stream: its windows, and a reader for each."""

    name: str
    windows: tuple[Window, ...]

    def window_reader(self, window: Window) -> ScrollReader: ...  # noqa: D102


#: zlib's fastest level: it releases the interpreter lock while it works, and the next
#: levels save little more.
COMPRESSION_LEVEL = 1


def held(records: list[dict]) -> bytes:
    """A page's records as they wait for their turn: their JSON, compressed."""
    return zlib.compress(msgspec.json.encode(records), COMPRESSION_LEVEL)


@dataclass(eq=False)
class Scroll:
    """One window of the list, and its pages read and not yet emitted."""

    stream: WindowedStream
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

    def __init__(self, workers: int, max_read_ahead_mb: int = DEFAULT_MAX_READ_AHEAD_MB) -> None:
        self.workers = max(1, workers)
        #: Bytes of held pages above which a worker waits (`max_read_ahead_mb`).
        self.max_held = max_read_ahead_mb << 20
        self._changed = threading.Condition()
        self._scrolls: list[Scroll] = []
        #: Index of the scroll being emitted (all before it are emitted or dropped), and of
        #: the next scroll a worker takes.
        self._emitting = 0
        self._taken = 0
        self._held = 0
        self._running = 0
        self._pending: dict[str, int] = {}  # stream name: scrolls not yet emitted

    # The emitting thread.

    def plan(self, streams: Sequence[WindowedStream]) -> None:
        """Add the windows of `streams` (in sync order) not already in the list."""
        with self._changed:
            for stream in streams:
                if self._pending.get(stream.name):
                    continue
                windows = stream.windows
                self._pending[stream.name] = len(windows)
                self._scrolls.extend(
                    Scroll(stream, number, stream.window_reader(window))
                    for number, window in enumerate(windows)
                )
            while self._running < min(self.workers, len(self._scrolls) - self._taken):
                self._running += 1
                threading.Thread(target=self._work, name="event-reader", daemon=True).start()

    def pages_of(self, stream: WindowedStream) -> Iterator[tuple[Scroll, list[dict]]]:
        """The pages of `stream`'s scrolls, in order, each with its scroll.

        Scrolls of streams planned before it and never asked for are dropped. Closing the
        iterator early drops the rest of the stream's scrolls.
        """
        if not self._pending.get(stream.name):
            self.plan([stream])
        try:
            while (scroll := self._head_of(stream)) is not None:
                while (page := self._next_page(scroll)) is not None:
                    if isinstance(page, bytes):  # held: as it was read
                        page = msgspec.json.decode(zlib.decompress(page))
                    yield scroll, page
                with self._changed:
                    self._pass(scroll)
        finally:
            with self._changed:
                while (scroll := self._head()) is not None and scroll.stream is stream:
                    self._pass(scroll)

    def _head(self) -> Scroll | None:
        """The scroll being emitted, if any (holding the lock)."""
        return self._scrolls[self._emitting] if self._emitting < len(self._scrolls) else None

    def _head_of(self, stream: WindowedStream) -> Scroll | None:
        """`stream`'s next scroll, once the scrolls before it are dropped."""
        with self._changed:
            while self._pending.get(stream.name):
                scroll = t.cast("Scroll", self._head())
                if scroll.stream is stream:
                    return scroll
                self._pass(scroll)
            return None

    def _pass(self, scroll: Scroll) -> None:
        """Move on from the scroll being emitted (holding the lock): its worker stops."""
        scroll.dropped = True
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

    # The workers.

    def _work(self) -> None:
        """Read the next scroll no worker took, until none is left."""
        while True:
            with self._changed:
                if self._taken == len(self._scrolls):
                    self._running -= 1
                    return
                scroll = self._scrolls[self._taken]
                self._taken += 1
            self._read(scroll)

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
