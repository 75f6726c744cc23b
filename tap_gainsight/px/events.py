"""PX event streams: every event type is one row of a table, read by one class.

Each stream reads `[bookmark - lookback or start_date, end_date or now)` as consecutive
windows of at most `event_window_days`, asking for `filter=date>=<start>;date<<end>` sorted by
`date`. The bookmark is the `date` of the last event sent, so a sync stopped anywhere resumes
from there; the `>=` in the filter re-sends the events of that very millisecond rather than
lose one that shares it.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import typing as t
from contextlib import closing
from dataclasses import dataclass
from functools import cached_property

from typing_extensions import override

from tap_gainsight.prefetch import started_in_order
from tap_gainsight.progress import Total, plural, through_windows
from tap_gainsight.px.pagination import ScrollPage, ScrollPaginator
from tap_gainsight.px.scrolling import ScrollingStream, ScrollReader
from tap_gainsight.px.waiting_pages import HELD_PAGES, PageHolding
from tap_gainsight.settings import (
    DEFAULT_EVENT_WINDOW_DAYS,
    DEFAULT_HISTORY,
    DEFAULT_LOOKBACK_MINUTES,
)
from tap_gainsight.timestamps import from_epoch_ms, parse_setting_datetime, to_epoch_ms
from tap_gainsight.windows import MAX_WINDOW_DAYS, Window, plan_windows, split_window

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_gainsight.px.waiting_pages import WaitingPage


#: The longest range the engagement-collisions endpoint accepts
#: (docs/api.md, "PX: admin and monitoring").
COLLISION_WINDOW_DAYS = 180
#: A page answered faster than this is emitted slower than the next one arrives (about
#: 15 ms for 1,000 events, docs/benchmarks.md): reading ahead would hide no wait.
MIN_SECONDS_TO_READ_AHEAD = 0.02
#: A window of fewer pages than this is read as one scroll: slicing it would save no time.
MIN_PAGES_TO_SPLIT = 8
#: Pages a slice should hold at least, so that its last, partial page costs little.
MIN_PAGES_PER_SLICE = 4
#: About how many records a second the tap emits (docs/benchmarks.md): only orders the
#: reading of windows ahead by when their pages will be wanted.
EMITTED_PER_SECOND = 70_000


@dataclass
class WindowStart:
    """A window's opening page, and how the rest of it is read (ahead, or at its turn)."""

    reader: ScrollReader
    first: list[dict]
    rest: Iterator[list[dict] | WaitingPage]
    #: Set once the window is its stream's to emit: its pages no longer wait for their turn.
    taken: threading.Event
    #: Slices the rest is read in, from `rest_from` on (1: the window's own scroll).
    slices: int = 1
    rest_from: dt.datetime | None = None

    def pages(self) -> Generator[list[dict] | WaitingPage, None, None]:
        """The window's pages in order; closing it stops the reading of the rest too."""
        self.taken.set()
        try:
            yield self.first
            yield from self.rest
        finally:
            self.rest.close()  # type: ignore[attr-defined]


class EventStream(ScrollingStream):
    """One PX event type, incremental on `date`, read window by window."""

    primary_keys: tuple[str, ...] = ("eventId",)
    replication_key = "date"
    # The SDK's own sort check compares each event with the saved bookmark, which the
    # lookback deliberately re-reads behind; ScrollingStream checks the order itself.
    check_sorted = False
    # Finer resume points than the SDK's default of 10,000 records; STATE lines are cheap.
    STATE_MSG_FREQUENCY = 1000

    @cached_property
    def sync_end(self) -> dt.datetime:
        """Exclusive end of the history to read: `end_date`, capped at the tap's start."""
        started = dt.datetime.fromtimestamp(self._tap.initialized_at / 1000, tz=dt.timezone.utc)
        end_date = self.config.get("end_date")
        return min(parse_setting_datetime(end_date), started) if end_date else started

    def history_start(self, context: Context | None) -> dt.datetime:
        """Where this run starts: the bookmark less the lookback, else `start_date`.

        A `start_date` later than that wins, as in any SDK tap; without one, a first run
        reads the last 190 days.
        """
        start_date = self.config.get("start_date")
        floor = (
            parse_setting_datetime(start_date) if start_date else self.sync_end - DEFAULT_HISTORY
        )
        bookmark = self.bookmark(context)
        if bookmark is None:
            return floor
        lookback = dt.timedelta(
            minutes=self.config.get("lookback_minutes", DEFAULT_LOOKBACK_MINUTES)
        )
        resume_from = bookmark - lookback
        return max(resume_from, floor) if start_date else resume_from

    #: The longest date range the endpoint accepts (docs/api.md, "PX: event windows").
    max_window_days = MAX_WINDOW_DAYS

    @property
    def window_days(self) -> int:
        """The longest window this stream asks for: `event_window_days`, within the API's."""
        return min(
            self.config.get("event_window_days", DEFAULT_EVENT_WINDOW_DAYS), self.max_window_days
        )

    def plan(self, context: Context | None) -> tuple[Window, ...]:
        """The windows this run reads, oldest first."""
        return plan_windows(self.history_start(context), self.sync_end, self.window_days)

    @override
    def request_records(self, context: Context | None) -> t.Iterable[dict]:
        self._windows = self.plan(context)
        if not self._windows:
            # Without a window the SDK would send one bare request, which PX answers with
            # the last day of events: send none.
            self.logger.info("Nothing to read: the bookmark is already at %s.", self.sync_end)
            return
        self._window_totals: dict[int, int | None] = {}
        self.logger.info(
            "Reading events dated %s to %s in %s of at most %s.",
            self._windows[0].start.isoformat(),
            self._windows[-1].end.isoformat(),
            plural(len(self._windows), "window"),
            plural(self.window_days, "day"),
        )
        self.read_ahead_of_next_streams()
        yield from super().request_records(context)

    def window_key(self, window: Window) -> tuple[str, Window]:
        """What names one of this stream's windows in the read-ahead and the allowance."""
        return (self.name, window)

    @cached_property
    def sync_order(self) -> int:
        """This stream's place in the sync: the order its requests are served in."""
        return list(self._tap.streams).index(self.name)

    def read_ahead_of_next_streams(self) -> None:
        """Ask now for the first window of this and each selected event stream after it."""
        if self.max_concurrency <= 1:
            return
        tap = self._tap
        streams = list(tap.streams.values())
        for later in streams[streams.index(self) :]:
            if isinstance(later, EventStream) and later.selected and (plan := later.plan(None)):
                key = later.window_key(plan[0])
                if not tap.read_ahead.asked(key):  # type: ignore[attr-defined]
                    tap.slice_allowance.expect(key)  # type: ignore[attr-defined]
                    tap.read_ahead.ask(  # type: ignore[attr-defined]
                        key, functools.partial(later.read_window_ahead, plan[0], key)
                    )

    def read_window_ahead(self, window: Window, key: t.Hashable) -> WindowStart:
        """Open a window before its turn, and go on reading it if that pays (a thread's job).

        A failure in the opening leaves the window to be read again by its stream: no
        record of it has been handed on yet.
        """
        try:
            return self.open_window(window, None, 0, ahead=True)
        finally:
            self._tap.slice_allowance.withdraw(key)  # type: ignore[attr-defined]

    def open_window(
        self, window: Window, context: Context | None, number: int, *, ahead: bool
    ) -> WindowStart:
        """Read a window's first page, then start reading the rest if the API is slow.

        The first page's `totalHits` says how big the window is. The rest of a big one,
        from the first page's last event on, is cut into up to `max_concurrency` slices of
        equal length read at once, as many as the run's slice allowance grants
        (`slice_allowance.py`). The first slice starts at that last event's millisecond and
        drops the events of it already handed on, so the first page is not read twice and
        a millisecond shared with the next page loses nothing. A window not sliced is read
        on as one scroll, ahead of the emitter. Where the API answers faster than a page is
        emitted (or without `totalHits`, for slicing) the rest is read as it is emitted.
        """
        reader = ScrollReader(
            self, self.window_scroll(window), context, priority=(-1, self.sync_order, number)
        )
        pages = reader.pages()
        taken = threading.Event()
        if not ahead:
            taken.set()
        start = WindowStart(reader, next(pages, []), pages, taken)  # type: ignore[arg-type]
        reader.priority = (self.sync_order, number, 0)
        if number == 0 and reader.total_hits is not None:
            self._tap.first_window_sizes[self.sync_order] = reader.total_hits  # type: ignore[attr-defined]
        fastest = self._tap.fastest_answer.note(reader.first_seconds)  # type: ignore[attr-defined]
        if not reader.paginator.finished and fastest is not None and self.reads_ahead(fastest):
            self.read_rest(start, window, context, number, fastest)
        return start

    def records_emitted_before(self) -> int:
        """Records the streams before this one emit, as their first windows' openings say."""
        sizes = self._tap.first_window_sizes  # type: ignore[attr-defined]
        return sum(size for order, size in list(sizes.items()) if order < self.sync_order)

    def read_rest(
        self,
        start: WindowStart,
        window: Window,
        context: Context | None,
        number: int,
        page_seconds: float,
    ) -> None:
        """Start reading the rest of a window on threads, sliced if the allowance grants it."""
        readers, sources = self.rest_readers(start, window, context, number)
        total, records_before = start.reader.total_hits or 0, self.records_emitted_before()
        for n, reader in enumerate(readers):
            # Where its requests queue: in emission order once the window is taken, and
            # until then by when its last page will be wanted (`ScrollReader.request_priority`).
            reader.priority = (self.sync_order, number, n)
            reader.expected_pages = max(1, -(-total // (self.page_size * len(readers))))
            wanted_at = records_before + total * (n + 1) / len(readers)
            reader.due_seconds = wanted_at / EMITTED_PER_SECOND
            reader.page_seconds = page_seconds
            reader.holding = PageHolding(self._tap.held_pages, start.taken)  # type: ignore[attr-defined]
        # The pages' room is bounded over the run (`waiting_pages.HELD_PAGES`), not per slice.
        start.rest = started_in_order(sources, workers=len(sources), items_ahead=HELD_PAGES)

    def rest_readers(
        self, start: WindowStart, window: Window, context: Context | None, number: int
    ) -> tuple[list[ScrollReader], list[Callable[[], Iterable[list[dict] | WaitingPage]]]]:
        """The readers of a window's rest and their pages: its slices, or its own scroll."""
        reader, rest, rest_from_ms = start.reader, start.rest, start.reader.position.value_ms
        wanted = self.slices_for(reader.total_hits) if rest_from_ms is not None else 1
        if wanted <= 1 or rest_from_ms is None:
            return [reader], [lambda: rest]
        rank = (reader.total_hits or 0, -self.sync_order, -number)
        parts = self._tap.slice_allowance.grant(self.window_key(window), rank, wanted)  # type: ignore[attr-defined]
        if parts <= 1:
            return [reader], [lambda: rest]
        rest.close()  # type: ignore[attr-defined]
        start.slices, start.rest_from = parts, from_epoch_ms(rest_from_ms)
        pieces = split_window(Window(start.rest_from, window.end), parts)
        readers = [
            ScrollReader(
                self, self.window_scroll(piece), context, reader.position if n == 0 else None
            )
            for n, piece in enumerate(pieces)
        ]
        return readers, [slice_reader.pages for slice_reader in readers]

    @override
    def progress_position(self) -> str:
        return f"window {self.scroll_number + 1} of {len(self._windows)}, "

    @override
    def progress_total(self) -> Total | None:
        return through_windows(
            self.progress.records, self.scroll_number, len(self._windows), self._window_totals
        )

    @override
    def scrolls(self, context: Context | None) -> list[ScrollPaginator]:
        # One scroll per window: windows are independent, so several can be read at once.
        return [self.window_scroll(window) for window in self._windows]

    def window_scroll(self, window: Window) -> ScrollPaginator:
        """A scroll over one window's events."""
        return ScrollPaginator(
            self.page_size, self.records_of, start_value=ScrollPage(window=window)
        )

    @override
    def sources(self, context: Context | None) -> list[Callable[[], Iterable[Iterable[dict]]]]:
        return [functools.partial(self.window_pages, window, context) for window in self._windows]

    @override
    def pages_of_each(self, context: Context | None) -> Generator[Iterable[Iterable[dict]]]:
        sources = self.sources(context)
        if len(sources) > 1:
            return super().pages_of_each(context)
        # One window (a daily run, a backfill of up to 190 days): its opening was read
        # ahead, and its rest is read on threads by the window itself where the API is slow.
        # A thread more would only compete with the emitting one for the interpreter.
        return (source() for source in sources)

    def window_pages(
        self, window: Window, context: Context | None
    ) -> Iterator[list[dict] | WaitingPage]:
        """The pages of one window, in date order: as read ahead, or opened now.

        Slices or not, the pages come in date order, so records and state are those of a
        serial read.
        """
        number = self._windows.index(window)
        start = self._tap.read_ahead.take(self.window_key(window))  # type: ignore[attr-defined]
        if start is None:
            start = self.open_window(window, context, number, ahead=False)
        self._window_totals[number] = start.reader.total_hits  # for progress lines
        if start.slices > 1 and start.rest_from is not None:
            self.logger.info(
                "%s window %s holds %d events: reading the rest of it, from %s, "
                "as %d slices at once.",
                self.name,
                window,
                start.reader.total_hits,
                start.rest_from.isoformat(),
                start.slices,
            )
        with closing(start.pages()) as pages:
            yield from pages

    def reads_ahead(self, seconds: float | None) -> bool:
        """Tell whether a window's rest is worth reading ahead of the emitter.

        Not where the API answers a page (`seconds`: its fastest answer to an opening this
        run) faster than the tap emits one: there is no wait to hide, and the readers'
        threads would only compete with the emitting one.
        """
        return (
            self.max_concurrency > 1
            and seconds is not None
            and seconds >= MIN_SECONDS_TO_READ_AHEAD
        )

    def slices_for(self, total_hits: int | None) -> int:
        """How many concurrent slices a window of `total_hits` events is worth."""
        if total_hits is None or self.max_concurrency <= 1:
            return 1
        pages = -(-total_hits // self.page_size)
        if pages < MIN_PAGES_TO_SPLIT:
            return 1
        return min(self.max_concurrency, pages // MIN_PAGES_PER_SLICE)

    _windows: tuple[Window, ...] = ()

    @override
    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        page: ScrollPage = next_page_token
        window = page.window or self._windows[0]
        start_ms = max(to_epoch_ms(window.start), page.since_ms or 0)
        return {
            "pageSize": self.page_size,
            **self.range_params(start_ms, to_epoch_ms(window.end)),
            "scrollId": page.scroll_id,
        }

    def range_params(self, start_ms: int, end_ms: int) -> dict[str, t.Any]:
        """The query parameters asking for `[start_ms, end_ms)`, sorted by date."""
        return {"filter": f"date>={start_ms};date<{end_ms}", "sort": "date"}


class CollisionStream(EventStream):
    """`engagement_collisions`: when engagements competed for one user, windowed like events.

    The endpoint asks for `dateRangeStart`/`dateRangeEnd` in epoch ms, at most 180 days (a
    longer range is a 400), and pages by scroll like the events
    (docs/api.md, "PX: admin and monitoring").
    Its order is assumed to be by `triggeredDate`, as the events' is by `date` (inferred: the
    docs name no sort); were it not, the order check stops the sync rather than save a
    wrong bookmark. `dateRangeEnd` is taken as exclusive (undocumented), so consecutive
    windows share their edges; were it inclusive, an event on an edge would be read twice,
    never lost.

    A collision has no id. What tells two apart: one engagement, in one product
    (`propertyKey`), shown to one user (`viewedByUser`) at one instant (`triggeredDate`).
    """

    replication_key = "triggeredDate"
    primary_keys = ("engagementId", "propertyKey", "viewedByUser", "triggeredDate")
    max_window_days = COLLISION_WINDOW_DAYS

    @override
    def range_params(self, start_ms: int, end_ms: int) -> dict[str, t.Any]:
        return {"dateRangeStart": start_ms, "dateRangeEnd": end_ms}


@dataclass(frozen=True)
class EventEndpoint:
    """One event type: stream name, path and records key(s) (docs/api.md, "PX: records keys")."""

    name: str
    path: str
    records_keys: tuple[str, ...]
    stream_class: type[EventStream] = EventStream

    def build(self, tap: Tap) -> EventStream:
        """Instantiate the stream for a tap."""
        stream = self.stream_class(tap, name=self.name, path=self.path)
        stream.records_keys = self.records_keys
        return stream


# Alternatives after the documented key are tolerated because some keys are known only from
# third-party code; `results` is always tried as well.
PX_EVENT_ENDPOINTS: tuple[EventEndpoint, ...] = (
    EventEndpoint("custom_events", "/events/custom", ("customEvents",)),
    EventEndpoint("email_events", "/events/email", ("results", "emailEvents")),
    EventEndpoint(
        "engagement_view_events", "/events/engagementView", ("results", "engagementViewEvents")
    ),
    EventEndpoint("feature_match_events", "/events/feature_match", ("featureMatchEvents",)),
    EventEndpoint("form_submit_events", "/events/formSubmit", ("results", "formSubmitEvents")),
    EventEndpoint("identify_events", "/events/identify", ("identifyEvents",)),
    EventEndpoint("lead_events", "/events/lead", ("results", "leadEvents")),
    EventEndpoint("page_view_events", "/events/pageView", ("results", "pageViewEvents")),
    # Segment matches come under the feature-match key (sic), per three sources.
    EventEndpoint(
        "segment_match_events",
        "/events/segment_match",
        ("featureMatchEvents", "segmentMatchEvents"),
    ),
    EventEndpoint(
        "session_events", "/events/session", ("sessionInitializedEvents", "sessionEvents")
    ),
    EventEndpoint("survey_responses", "/survey/responses", ("results", "surveyResponses")),
)

#: The monitoring history, windowed like the events (docs/api.md, "PX: admin and monitoring").
PX_MONITORING_ENDPOINTS: tuple[EventEndpoint, ...] = (
    EventEndpoint(
        "engagement_collisions",
        "/admin/monitoring/engagement_collisions",
        ("engagementCollisions",),
        CollisionStream,
    ),
)
