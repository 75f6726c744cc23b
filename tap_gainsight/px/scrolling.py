"""Streams read through scroll cursors, sorted on their replication key."""

from __future__ import annotations

import datetime as dt
import typing as t
from collections import deque
from functools import cached_property

from typing_extensions import override

from tap_gainsight.errors import WindowRefused
from tap_gainsight.order_guard import OrderGuardedStream
from tap_gainsight.position import Position
from tap_gainsight.px.client import PXStream
from tap_gainsight.px.pagination import ScrollPaginator, ScrollToken
from tap_gainsight.responses import response_body
from tap_gainsight.timestamps import epoch_ms_of, to_epoch_ms
from tap_gainsight.windows import Window, pieces_of, split_window

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable

    import requests
    from singer_sdk.helpers.types import Context

#: The shortest range a refused one is halved to: a day refused is not refused for its length.
ONE_DAY = dt.timedelta(days=1)


def days_of(length: dt.timedelta) -> str:
    """A range's length as a person reads it: "95 days", "23.7 days"."""
    days = (length + dt.timedelta(milliseconds=2)) / dt.timedelta(days=1)
    return f"{days:.0f} days" if abs(days - round(days)) < 0.05 else f"{days:.1f} days"


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
        self,
        stream: ScrollStream,
        context: Context | None,
        position: Position,
        window: Window | None = None,
    ) -> None:
        self.stream = stream
        self._context = context
        self.position = position
        #: The ranges still to read (one, unless a window was cut) and the current one's paginator.
        self._pieces: deque[Window | None] = deque([window])
        self.paginator: ScrollPaginator | None = None
        #: The first page's `totalHits`: the scroll's size, where the API says it.
        self.total_hits: int | None = None
        self._opened = False
        self._short_before = False
        self._refused: WindowRefused | None = None

    @property
    def finished(self) -> bool:
        """Whether every page of the scroll has been read."""
        return not self._pieces and (self.paginator is None or self.paginator.finished)

    def _paginator_for(self, window: Window | None) -> ScrollPaginator:
        """The paginator of the next range: cut first if the API refused ranges as long."""
        longest = self.stream.longest_range
        if window is not None and longest is not None and window.length > longest:
            first, *rest = pieces_of(window, longest)
            self._pieces.extendleft(reversed(rest))
            window = first
        return ScrollPaginator(
            self.stream.page_size, self.stream.records_of, start_value=ScrollToken(window=window)
        )

    def pages(self) -> Generator[list[dict], None, None]:
        """Request the scroll's pages and yield their new records, page by page."""
        stream, context = self.stream, self._context
        # The SDK's own request (send, duration metric, `validate_response`), paced and
        # retried; a retry reopens the scroll.
        send = stream.retrying(stream._request, self._request_for_retry)
        while not self.finished:
            if self.paginator is None or self.paginator.finished:
                self.paginator = self._paginator_for(self._pieces.popleft())
            token = self.paginator.current_value
            try:
                response = send(self._prepared(token), context)
            except WindowRefused as refusal:
                self._cut(token, refusal)
                continue
            if not self._opened:
                self._opened = True
                self._note_total(response)
            if self._refused is not None:
                stream.range_accepted(token, self._refused)
                self._refused = None
            records = stream.records_of(response)
            self._note_short(records)
            admitted = self.position.admit(self._within(records, token))
            self.paginator.advance(response)
            if not self.paginator.finished and self.paginator.current_value.scroll_id is None:
                self._without_cursor(self.paginator, admitted)
            yield admitted

    def _within(self, records: list[dict], token: ScrollToken) -> list[dict]:
        """The records dated inside the range read: the margins asked past it left out."""
        window = token.window
        if window is None:
            return records
        low = max(to_epoch_ms(window.start), token.since_ms or 0)
        high = to_epoch_ms(window.end)
        field = self.stream.replication_key
        values = [record.get(field) for record in records]
        if all(type(v) is int and low <= v < high for v in values):
            return records
        kept: list[dict] = []
        for record, value in zip(records, values, strict=True):
            moment = value if type(value) is int else epoch_ms_of(value)
            if moment is None or low <= moment < high:
                kept.append(record)
            elif not low - 1 <= moment <= high + 1:
                self.stream.departures.note(
                    self.stream.path,
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
        if self._refused is None:
            self._refused = refusal
        first, second = split_window(window, 2)
        self._pieces.appendleft(second)
        self.paginator = ScrollPaginator(
            self.stream.page_size, self.stream.records_of, start_value=ScrollToken(window=first)
        )

    def _note_short(self, records: list[dict]) -> None:
        """Say so once where a page shorter than asked turned out not to be the last."""
        if records and self._short_before:
            self.stream.departures.note(
                self.stream.path,
                "pages shorter than the pageSize asked before a scroll's end",
                "scrolls are read on until the API says they have ended",
            )
        self._short_before = 0 < len(records) < self.stream.page_size

    def _without_cursor(self, paginator: ScrollPaginator, admitted: list[dict]) -> None:
        """A page without `scrollId` while `totalHits` says more remain: reopen the scroll.

        Unless the page brought nothing new: a reopened scroll that cannot move on has ended.
        """
        if not admitted:
            paginator.end()
            return
        self.stream.departures.note(
            self.stream.path,
            "a page without scrollId before the scroll's end",
            "the scroll is opened again after the last record delivered",
        )
        self.paginator = paginator.reopened(self.position.reopen_from())

    def _note_total(self, response: requests.Response) -> None:
        total_hits = response_body(response).get("totalHits")
        self.total_hits = total_hits if isinstance(total_hits, int) else None
        if self.total_hits is None:
            self.stream.departures.note(
                self.stream.path,
                "no totalHits in a scroll's answer",
                "a scroll is read on to its first empty page instead",
            )

    def _prepared(self, token: ScrollToken) -> requests.PreparedRequest:
        return self.stream.prepared_request(self._context, token)

    def _request_for_retry(
        self, failed: requests.PreparedRequest, context: Context | None
    ) -> requests.PreparedRequest:
        if "scrollId=" not in (failed.url or "") or self.paginator is None:
            return failed  # opening a scroll is safe to repeat
        self.paginator = self.paginator.reopened(self.position.reopen_from())
        token = self.paginator.current_value
        self.stream.logger.warning(
            "%s: reopening the scroll from %s.", self.stream.path, token.since_ms
        )
        return self._prepared(token)


class ScrollStream(PXStream, OrderGuardedStream):
    """A stream sorted ascending on its epoch-ms replication key and read by scroll cursors.

    Subclasses say where the pages come from (`pages`); each page's records are checked
    against the schema and handed on here, on the thread the SDK syncs on.
    """

    is_sorted = True
    #: The longest date range the API has accepted after refusing a longer one (None: as
    #: planned). Read by every reader of the stream before it opens a range.
    longest_range: dt.timedelta | None = None

    def range_accepted(self, token: ScrollToken, refusal: WindowRefused) -> None:
        """A range was accepted after a longer one was refused: later ranges are cut to it."""
        window = t.cast("Window", token.window)
        if self.longest_range is None or window.length < self.longest_range:
            self.longest_range = window.length
        self.departures.note(
            self.path,
            "a date range refused as too long",
            f"ranges of at most {days_of(self.longest_range)} are read instead (later runs "
            f"find this again: set event_window_days to avoid the refused requests); "
            f"{refusal}",
        )

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
