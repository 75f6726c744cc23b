"""PX event streams: every event type is one row of a table, read by one class.

Each stream reads `[bookmark - lookback or start_date, end_date or now)` as consecutive
windows of at most `event_window_days`, asking for `filter=date>=<start>;date<<end>` sorted by
`date`. The bookmark is the `date` of the last event sent, so a sync stopped anywhere resumes
from there; the `>=` in the filter re-sends the events of that very millisecond rather than
lose one that shares it.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass
from functools import cached_property
from http import HTTPStatus

from typing_extensions import override

from tap_gainsight.errors import WindowRefused
from tap_gainsight.position import Position
from tap_gainsight.progress import Total, plural, through_windows
from tap_gainsight.px.history import ScrollReader, ScrollStream, Window, plan_windows
from tap_gainsight.settings import (
    DEFAULT_EVENT_WINDOW_DAYS,
    DEFAULT_HISTORY,
    DEFAULT_LOOKBACK_MINUTES,
    EDGE_MARGIN_MS,
    MAX_WINDOW_DAYS,
)
from tap_gainsight.timestamps import epoch_ms_to_rfc3339, parse_setting_datetime, to_epoch_ms

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    import requests
    from singer_sdk import Tap
    from singer_sdk.exceptions import FatalAPIError
    from singer_sdk.helpers.types import Context

    from tap_gainsight.px.history import ScrollToken


def rfc3339(moment: dt.datetime) -> str:
    """A window's edge as the bookmark says it."""
    return epoch_ms_to_rfc3339(to_epoch_ms(moment))


def date_filter(start_ms: int, end_ms: int) -> dict[str, t.Any]:
    """The query parameters of an event endpoint asking for `[start_ms, end_ms)`, by date."""
    return {"filter": f"date>={start_ms};date<{end_ms}", "sort": "date"}


def date_range(start_ms: int, end_ms: int) -> dict[str, t.Any]:
    """The query parameters of the engagement-collisions endpoint asking for a range."""
    return {"dateRangeStart": start_ms, "dateRangeEnd": end_ms}


class EventStream(ScrollStream):
    """One PX event type, incremental on `date`, read window by window.

    Its windows are read by the run's event reader (`px/history.py`), ahead of their
    turn; the records come here in date order all the same.

    The bookmark is the date of the last event sent. Should a window's events come out of
    date order (the API is asked to sort them, docs/api.md), that window's bookmark falls
    back to its start until the window is read whole, then moves to its end: an interrupted
    run re-reads the window, and no event is skipped.
    """

    replication_key = "date"
    # The SDK's own sort check compares each event with the saved bookmark, which the
    # lookback deliberately re-reads behind; each window's `Position` checks the order itself.
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

    #: The longest date range the endpoint accepts, and how a range is asked for
    #: (`EventEndpoint`).
    max_window_days = MAX_WINDOW_DAYS
    range_params: t.Callable[[int, int], dict[str, t.Any]]

    @property
    def window_days(self) -> int:
        """The longest window this stream asks for: `event_window_days`, within the API's."""
        return min(
            self.config.get("event_window_days", DEFAULT_EVENT_WINDOW_DAYS), self.max_window_days
        )

    @cached_property
    def windows(self) -> tuple[Window, ...]:
        """The windows this run reads, oldest first (the stream has no partitions)."""
        return plan_windows(
            self.history_start(None), self.sync_end, self.window_days, self.max_window_days
        )

    def window_reader(self, window: Window) -> ScrollReader:
        """A reader of one window's scroll."""
        position = Position(
            self.replication_key,
            self.record_key,
            floor_ms=to_epoch_ms(window.start),
            on_disorder=lambda value, last: self.departures.note(
                self.path,
                "events not in date order",
                f"every event is still sent (seen: {value} after {last}); that window's "
                "bookmark stays at its start until it is read whole, so an interrupted run "
                "reads it again",
            ),
        )
        return ScrollReader(self, position, window)

    @override
    def request_records(self, context: Context | None) -> t.Iterable[dict]:
        windows = self.windows
        if not windows:
            # Without a window the SDK would send one bare request, which PX answers with
            # the last day of events: send none.
            self.logger.info("Nothing to read: the bookmark is already at %s.", self.sync_end)
            return
        self.logger.info(
            "Reading events dated %s to %s in %s of at most %s.",
            windows[0].start.isoformat(),
            windows[-1].end.isoformat(),
            plural(len(windows), "window"),
            plural(self.window_days, "day"),
        )
        # This stream and every selected event stream synced after it, in sync order.
        streams = list(self._tap.streams.values())
        later = streams[streams.index(self) :]
        self.run.events.plan([s for s in later if isinstance(s, EventStream) and s.selected])
        yield from super().request_records(context)

    #: Number (from 0) of the window being emitted, and the windows' sizes, for progress.
    window_number = 0

    @cached_property
    def _window_totals(self) -> dict[int, int | None]:
        return {}

    @override
    def progress_total(self) -> Total | None:
        return through_windows(
            self.progress.records, self.window_number, len(self.windows), self._window_totals
        )

    @override
    def pages(self, context: Context | None) -> Iterator[list[dict]]:
        # While a window whose events came out of date order is emitted, the bookmark is
        # held at its start; read whole, the window moves it to its end.
        for scroll, page in self.run.events.pages_of(self):
            if self.bookmark_held and scroll.number != self.window_number:
                self.set_bookmark(None, rfc3339(self.windows[self.window_number].end), held=False)
            self.window_number = scroll.number
            self._window_totals.setdefault(scroll.number, scroll.reader.total_hits)
            if not (self.bookmark_held or scroll.reader.position.in_order):
                self.set_bookmark(None, rfc3339(self.windows[scroll.number].start), held=True)
            yield page
        if self.bookmark_held:
            self.set_bookmark(None, rfc3339(self.windows[self.window_number].end), held=False)

    @override
    def progress_position(self) -> str:
        return f"window {self.window_number + 1} of {len(self.windows)}, "

    @override
    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        token: ScrollToken = next_page_token
        window = token.window or self.windows[0]
        start_ms = max(to_epoch_ms(window.start), token.since_ms or 0)
        return {
            "pageSize": self.page_size,
            **self.range_params(
                start_ms - EDGE_MARGIN_MS, to_epoch_ms(window.end) + EDGE_MARGIN_MS
            ),
            "scrollId": token.scroll_id,
        }

    @override
    def request_refused(self, response: requests.Response, message: str) -> FatalAPIError:
        # The opening request of a range, refused: the range's length is the suspect
        # (`ScrollReader` halves it; a range of a day refused is the request's own fault).
        if response.status_code == HTTPStatus.BAD_REQUEST:
            return WindowRefused(f"{self.path} refused a date range (HTTP 400): {message}")
        return super().request_refused(response, message)


@dataclass(frozen=True)
class EventEndpoint:
    """One event type: stream name, path and records key(s) (docs/api.md, "PX: records keys")."""

    name: str
    path: str
    records_keys: tuple[str, ...]
    replication_key: str = "date"
    primary_keys: tuple[str, ...] = ("eventId",)
    #: The longest date range the endpoint accepts (docs/api.md, "PX: event windows").
    max_window_days: int = MAX_WINDOW_DAYS
    #: How a range `[start_ms, end_ms)` is asked for.
    range_params: t.Callable[[int, int], dict[str, t.Any]] = date_filter

    def build(self, tap: Tap) -> EventStream:
        """Instantiate the stream for a tap."""
        stream = EventStream(tap, name=self.name, path=self.path)
        stream.records_keys = self.records_keys
        stream.replication_key = self.replication_key
        stream.primary_keys = self.primary_keys
        stream.max_window_days = self.max_window_days
        stream.range_params = self.range_params
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
# `engagement_collisions`: when engagements competed for one user. The endpoint asks for
# `dateRangeStart`/`dateRangeEnd` in epoch ms, at most 180 days (a longer range is a 400),
# and pages by scroll like the events. Its order is assumed to be by `triggeredDate`, as the
# events' is by `date` (inferred: the docs name no sort); were it not, each window's
# bookmark falls back to its edges. `dateRangeEnd` is taken as exclusive (undocumented), so
# consecutive windows share their edges; were it inclusive, an event on an edge would be
# read twice, never lost. A collision has no id. What tells two apart: one engagement, in
# one product (`propertyKey`), shown to one user (`viewedByUser`) at one instant
# (`triggeredDate`).
PX_MONITORING_ENDPOINTS: tuple[EventEndpoint, ...] = (
    EventEndpoint(
        "engagement_collisions",
        "/admin/monitoring/engagement_collisions",
        ("engagementCollisions",),
        "triggeredDate",
        ("engagementId", "propertyKey", "viewedByUser", "triggeredDate"),
        180,
        date_range,
    ),
)
