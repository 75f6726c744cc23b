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
from tap_gainsight.timestamps import parse_setting_datetime, to_epoch_ms
from tap_gainsight.windows import Window, plan_windows, split_window

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context


#: A window of fewer pages than this is read as one scroll: slicing it would save no time.
MIN_PAGES_TO_SPLIT = 8
#: Pages a slice should hold at least, so that its last, partial page costs little.
MIN_PAGES_PER_SLICE = 4


class EventStream(ScrollingStream):
    """One PX event type, incremental on `date`, read window by window."""

    primary_keys = ("eventId",)
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

    def plan(self, context: Context | None) -> tuple[Window, ...]:
        """The windows this run reads, oldest first."""
        days = self.config.get("event_window_days", DEFAULT_EVENT_WINDOW_DAYS)
        return plan_windows(self.history_start(context), self.sync_end, days)

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
            self.config.get("event_window_days", DEFAULT_EVENT_WINDOW_DAYS),
        )
        yield from super().request_records(context)

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

        The first page's `totalHits` says how big the window is. A window of a few pages is
        read on as it is; a bigger one is cut into up to `max_concurrency` slices of equal
        length read at once (the first page, one request, is then dropped: its records open
        the first slice). The slices' pages come in date order, so records and state are
        those of a serial read. Without `totalHits` the window is read on as it is.
        """
        reader = ScrollReader(self, self.window_scroll(window), context)
        pages = reader.pages()
        first = next(pages, [])
        parts = self.slices_for(reader.total_hits)
        if parts <= 1:
            yield first
            yield from pages
            return
        pages.close()
        self.logger.info(
            "%s window %s holds %d events: reading it as %d slices at once.",
            self.name,
            window,
            reader.total_hits,
            parts,
        )
        slices = [
            ScrollReader(self, self.window_scroll(piece), context).pages
            for piece in split_window(window, parts)
        ]
        with closing(prefetch_in_order(slices, workers=parts)) as pages_of_each:
            for slice_pages in pages_of_each:
                yield from slice_pages

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
            "filter": f"date>={start_ms};date<{to_epoch_ms(window.end)}",
            "sort": "date",
            "scrollId": page.scroll_id,
        }


@dataclass(frozen=True)
class EventEndpoint:
    """One event type: its stream name, path and records key(s) (px-api.md, section 5)."""

    name: str
    path: str
    records_keys: tuple[str, ...]

    def build(self, tap: Tap) -> EventStream:
        """Instantiate the stream for a tap."""
        stream = EventStream(tap, name=self.name, path=self.path)
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
