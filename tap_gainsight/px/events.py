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
import typing as t
from contextlib import closing
from dataclasses import dataclass
from functools import cached_property

from typing_extensions import override

from tap_gainsight.prefetch import prefetch_in_order
from tap_gainsight.px.pagination import ScrollPage, ScrollPaginator
from tap_gainsight.px.scrolling import ScrollingStream, ScrollReader
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


#: The longest range the engagement-collisions endpoint accepts (coverage.md, section B).
COLLISION_WINDOW_DAYS = 180
#: A page answered faster than this is emitted slower than the next one arrives (about
#: 30 ms for 1,000 events, docs/benchmarks.md): slicing would hide no wait.
MIN_SECONDS_TO_SPLIT = 0.02
#: A window of fewer pages than this is read as one scroll: slicing it would save no time.
MIN_PAGES_TO_SPLIT = 8
#: Pages a slice should hold at least, so that its last, partial page costs little.
MIN_PAGES_PER_SLICE = 4
#: A later stream's first window of at most this many pages is read whole ahead of its
#: turn (within `first_pages.EXTRA_PAGES_AHEAD`); a bigger one, its first page only.
SMALL_WINDOW_PAGES = 8
#: Pages one slice may read ahead of the reader: bounds memory (4 slices of 1,000-record
#: pages: at most 64,000 records waiting) while letting a daily run's slices overlap whole.
SLICE_PAGES_AHEAD = 16


@dataclass
class WindowStart:
    """A window's opening, read ahead: its reader, the pages read, the rest of its scroll."""

    reader: ScrollReader
    pages: list[list[dict]]
    rest: Iterator[list[dict]]

    @property
    def total_hits(self) -> int | None:
        """The window's size, as its first page says it."""
        return self.reader.total_hits

    def pages_then_rest(self) -> Generator[list[dict], None, None]:
        """The pages read, then the rest of the scroll; closing it closes the scroll too."""
        try:
            yield from self.pages
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

    #: The longest date range the endpoint accepts (px-api.md, section 3).
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
        self.logger.info(
            "Reading events dated %s to %s in %d window(s) of at most %d day(s).",
            self._windows[0].start.isoformat(),
            self._windows[-1].end.isoformat(),
            len(self._windows),
            self.window_days,
        )
        self.read_ahead_of_next_streams()
        yield from super().request_records(context)

    def first_page_key(self, window: Window) -> tuple[str, Window]:
        """What names the opening page of one of this stream's windows."""
        return (self.name, window)

    def read_ahead_of_next_streams(self) -> None:
        """Ask now for the first page of each selected event stream synced after this one."""
        if self.max_concurrency <= 1:
            return
        streams = list(self._tap.streams.values())
        for later in streams[streams.index(self) + 1 :]:
            if isinstance(later, EventStream) and later.selected and (plan := later.plan(None)):
                key = later.first_page_key(plan[0])
                self._tap.first_pages.ask(  # type: ignore[attr-defined]
                    key, functools.partial(later.read_window_start, plan[0], key)
                )

    def read_window_start(self, window: Window, key: t.Hashable) -> WindowStart:
        """Read a window's first page, and the rest of it too if it is small (a thread's job).

        A window of at most `SMALL_WINDOW_PAGES` pages is read whole, within the read-ahead's
        page allowance: a daily run's sparse types are then read while the dense ones are
        emitted. A failure anywhere leaves the window to be read again by its stream: no
        record of it has been handed on yet.
        """
        reader = ScrollReader(self, self.window_scroll(window), None)
        pages = reader.pages()
        start = WindowStart(reader, [next(pages, [])], pages)
        total = reader.total_hits
        if (
            not reader.paginator.finished
            and total is not None
            and total <= SMALL_WINDOW_PAGES * self.page_size
            and self._tap.first_pages.reserve(key, -(-total // self.page_size) - 1)  # type: ignore[attr-defined]
        ):
            start.pages.extend(pages)
        return start

    @override
    def progress_position(self) -> str:
        return f"window {self.scroll_number + 1} of {len(self._windows)}, "

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
    def sources(self, context: Context | None) -> list[Callable[[], Iterable[list[dict]]]]:
        return [functools.partial(self.window_pages, window, context) for window in self._windows]

    def window_pages(self, window: Window, context: Context | None) -> Iterator[list[dict]]:
        """The pages of one window: its own scroll, or concurrent slices if it is big.

        The first page's `totalHits` says how big the window is. A window of a few pages, or
        from an API that answers at once, is read on as it is. The rest of a bigger one,
        from the first page's last event on, is cut into up to `max_concurrency` slices of
        equal length read at once, as many as the run's slice allowance still grants
        (`slice_allowance.py`). The first slice starts at that last event's millisecond
        and drops the events of it already handed on, so the first page is not read
        twice and a millisecond shared with the next page loses nothing. The slices' pages
        come in date order, so records and state are those of a serial read. Without
        `totalHits` the window is read on as it is.
        """
        start = self._tap.first_pages.take(self.first_page_key(window))  # type: ignore[attr-defined]
        if start is None:
            reader = ScrollReader(self, self.window_scroll(window), context)
            pages = reader.pages()
        else:
            reader, pages = start.reader, start.pages_then_rest()
        yield next(pages, [])
        parts = self.slices_for(reader.total_hits, reader.first_seconds)
        rest_from_ms = reader.position.value_ms
        if rest_from_ms is None or reader.paginator.finished:
            parts = 1
        elif parts > 1:
            reserved = self.slices_reserved(reader.total_hits or 0)
            parts = self._tap.slice_allowance.grant(parts, reserved)  # type: ignore[attr-defined]
        if parts <= 1 or rest_from_ms is None:
            yield from pages
            return
        pages.close()
        rest = Window(from_epoch_ms(rest_from_ms), window.end)
        self.logger.info(
            "%s window %s holds %d events: reading the rest of it, from %s, as %d slices at once.",
            self.name,
            window,
            reader.total_hits,
            rest.start.isoformat(),
            parts,
        )
        pieces = split_window(rest, parts)
        slices = [
            ScrollReader(
                self, self.window_scroll(piece), context, reader.position if n == 0 else None
            ).pages
            for n, piece in enumerate(pieces)
        ]
        # A slice is worth reading at once only if its pages can wait while the slices
        # before it are emitted: up to a whole slice each, within SLICE_PAGES_AHEAD.
        slice_pages_count = -(-(reader.total_hits or 0) // (self.page_size * parts))
        ahead = max(2, min(slice_pages_count, SLICE_PAGES_AHEAD))
        prefetched = prefetch_in_order(slices, workers=parts, items_ahead=ahead)
        with closing(prefetched) as pages_of_each:
            for slice_pages in pages_of_each:
                yield from slice_pages

    def slices_for(self, total_hits: int | None, seconds: float | None) -> int:
        """How many concurrent slices a window of `total_hits` events is worth.

        None where the API answers faster than the tap emits a page (`seconds`, the first
        page's): there is no wait to hide, and the slices' threads would only compete with
        the emitting one.
        """
        if total_hits is None or self.max_concurrency <= 1:
            return 1
        if seconds is not None and seconds < MIN_SECONDS_TO_SPLIT:
            return 1
        pages = -(-total_hits // self.page_size)
        if pages < MIN_PAGES_TO_SPLIT:
            return 1
        return min(self.max_concurrency, pages // MIN_PAGES_PER_SLICE)

    def slices_reserved(self, total_hits: int) -> int:
        """Slices the bigger windows read ahead (first pages arrived) would ask for."""
        sizes = self._tap.first_pages.sizes_waiting()  # type: ignore[attr-defined]
        wanted = (self.slices_for(size, None) for size in sizes if size > total_hits)
        return sum(parts for parts in wanted if parts > 1)

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
    longer range is a 400), and pages by scroll like the events (coverage.md, section B).
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
    """One event type: its stream name, path and records key(s) (px-api.md, section 5)."""

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

#: The monitoring history, windowed like the events (coverage.md, section B).
PX_MONITORING_ENDPOINTS: tuple[EventEndpoint, ...] = (
    EventEndpoint(
        "engagement_collisions",
        "/admin/monitoring/engagement_collisions",
        ("engagementCollisions",),
        CollisionStream,
    ),
)
