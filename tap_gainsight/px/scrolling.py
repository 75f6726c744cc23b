"""Streams read through scroll cursors, sorted on their replication key."""

from __future__ import annotations

import typing as t
from contextlib import closing
from functools import cached_property

import msgspec
from typing_extensions import override

from tap_gainsight.errors import RecordsOutOfOrderError
from tap_gainsight.prefetch import prefetch_in_order
from tap_gainsight.px.client import PXStream
from tap_gainsight.responses import (
    PageOutline,
    is_outline,
    read_as_outline,
    response_body,
    response_content,
)
from tap_gainsight.settings import DEFAULT_MAX_CONCURRENCY

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Sequence

    import requests
    from singer_sdk.helpers.types import Context

    from tap_gainsight.px.pagination import ScrollPage, ScrollPaginator
    from tap_gainsight.px.request_slots import Priority, RequestSlots
    from tap_gainsight.px.waiting_pages import PageHolding, WaitingPage


class ScrollPosition:
    """The last key value handed on, and which records were handed on at exactly that value."""

    def __init__(self, value_field: str, key_of: Callable[[dict], t.Hashable]) -> None:
        self._value_field = value_field
        self._key_of = key_of
        self.value_ms: int | None = None
        self._keys_at_value: set[t.Any] = set()

    def reopen_from(self) -> int | None:
        """Where a scroll that failed part-way is opened again: the last value handed on."""
        return self.value_ms

    def admit(self, records: list[dict]) -> list[dict]:
        """Return the records of a page not handed on before, and note them as handed on.

        Only a reopened scroll starts at or before the last value handed on, so only there
        are records dropped: those of that value already handed on.

        Raises:
            RecordsOutOfOrderError: If a value goes backwards.
        """
        values: list[t.Any] = [record.get(self._value_field) for record in records]
        if (
            values
            and set(map(type, values)) == {int}
            and (self.value_ms is None or values[0] > self.value_ms)
            and values == sorted(values)
        ):
            # The common page: in order and wholly after what was handed on. Only the keys
            # at its last value are kept, and no record is looked at one by one.
            last_ms, keys_at_last = values[-1], set()
            for record, value in zip(reversed(records), reversed(values), strict=True):
                if value != last_ms:
                    break
                keys_at_last.add(self._key_of(record))
            self.value_ms, self._keys_at_value = last_ms, keys_at_last
            return records
        return self._admit_each(records)

    def _admit_each(self, records: list[dict]) -> list[dict]:
        """`admit`, record by record: a reopened scroll, a record without a value, disorder."""
        value_field, key_of = self._value_field, self._key_of
        before_ms, before_keys = self.value_ms, self._keys_at_value
        last_ms, keys_at_last = before_ms, before_keys
        admitted: list[dict] = []
        for record in records:
            value = record.get(value_field)
            if type(value) is int:
                if last_ms is None or value > last_ms:
                    last_ms, keys_at_last = value, set()
                elif value < last_ms:
                    msg = f"records out of order ({value} after {last_ms})"
                    raise RecordsOutOfOrderError(msg)
                key = key_of(record)
                if value == before_ms and key in before_keys:
                    continue
                keys_at_last.add(key)
            admitted.append(record)
        self.value_ms, self._keys_at_value = last_ms, keys_at_last
        return admitted


class ScrollReader:
    """One scroll of a stream: its pages in order, each record handed on once.

    A scroll cursor lives on the server, and a page whose answer was lost may still have moved
    it on (or the cursor may have expired). So a failed page is never asked for again as it
    was: the scroll is reopened from the last key value handed on (`>=`), and the records of
    that value already handed on are dropped, so nothing is lost and nothing sent twice.
    Everything a reader knows is its own, so several can run at once on threads.
    """

    def __init__(
        self,
        stream: ScrollingStream,
        paginator: ScrollPaginator,
        context: Context | None,
        position: ScrollPosition | None = None,
        *,
        priority: Priority = (),
    ) -> None:
        self.stream = stream
        self.paginator = paginator
        self._context = context
        #: What was handed on so far; `position` carries on from another reader's.
        self.position: ScrollPosition = position or ScrollPosition(
            stream.replication_key or "", stream.record_key
        )
        #: The first page's `totalHits` (the scroll's size, where the API says it) and how
        #: long the API took to answer it.
        self.total_hits: int | None = None
        self.first_seconds: float | None = None
        #: Where this reader's requests queue for a slot (`request_slots.py`), while its
        #: pages are wanted in emission order; `expected_pages` until its first page says.
        self.priority = priority
        self.expected_pages = 1
        self._records_read = 0
        #: For a reader read ahead: when its last page will be wanted (seconds into the
        #: emission) and how long one of its pages takes to arrive.
        self.due_seconds = 0.0
        self.page_seconds = 0.0
        #: Set for a reader read ahead of its turn: its pages wait there (`waiting_pages.py`).
        self.holding: PageHolding | None = None
        self._outline_next = False

    def pages(self) -> Generator[list[dict] | WaitingPage, None, None]:
        """Request the scroll's pages and yield their new records, page by page."""
        stream, context = self.stream, self._context
        send = stream.retrying(stream.send_request, self._request_for_retry)
        while not self.paginator.finished:
            holding = self.holding
            held_room = holding.take_room() if holding else False
            self._outline_next = holding is not None and holding.will_wait()
            request = self._prepared(self.paginator.current_value)
            with stream.in_flight.held(self.request_priority()):
                response = send(request, context)
            if self.first_seconds is None:
                self.first_seconds = response.elapsed.total_seconds()
                total_hits = response_body(response).get("totalHits")
                self.total_hits = total_hits if isinstance(total_hits, int) else None
                if self.total_hits is None:
                    stream.departures.note(
                        stream.path,
                        "no totalHits in a scroll's answer",
                        "a scroll ends on its first short or empty page instead",
                    )
            page = self._admitted_page(response, holding, held_room)
            self.paginator.advance(response)
            yield page

    def request_priority(self) -> Priority:
        """Where the next request queues: openings, then pages wanted in emission order.

        Pages read ahead of their window's turn come last, the least time to spare first:
        the time until the scroll's last page will be wanted, less the time its remaining
        pages take to read one after the other. So a near window goes before a far one,
        and a long scroll starts early enough not to keep the run waiting at its end.
        """
        holding = self.holding
        if holding is not None and not holding.taken.is_set():
            spare = self.due_seconds - self.pages_left() * self.page_seconds
            return (1, int(spare * 1000), *self.priority)
        return (0, *self.priority)

    def pages_left(self) -> int:
        """Pages this scroll still has to read, as its first page's `totalHits` says."""
        if self.total_hits is None:
            return self.expected_pages
        return -(-max(0, self.total_hits - self._records_read) // self.stream.page_size)

    def _admitted_page(
        self,
        response: requests.Response,
        holding: PageHolding | None,
        held_room: bool,
    ) -> list[dict] | WaitingPage:
        """The page's records not handed on before, as they wait to be emitted."""
        stream = self.stream
        records = stream.records_of(response)
        self._records_read += len(records)
        try:
            admitted = self.position.admit(records)
        except RecordsOutOfOrderError as error:
            msg = f"{stream.path} returned {error}; stopping before a bookmark skips any."
            raise RecordsOutOfOrderError(msg) from None
        if holding is None:
            return admitted
        if is_outline(response):
            if admitted is records:  # the common page: every record new, kept compressed
                content = response_content(response)
                return holding.compressed(content, len(records), stream.records_in, held_room)
            # Some records were handed on before (a reopened scroll): the same ones, whole.
            kept = {id(record) for record in admitted}
            whole = stream.records_in(response_content(response))
            admitted = [r for r, o in zip(whole, records, strict=True) if id(o) in kept]
        return holding.decoded(admitted, held_room)

    def _prepared(self, token: ScrollPage) -> requests.PreparedRequest:
        request = self.stream.prepared_request(self._context, token)
        if self._outline_next:
            read_as_outline(request, self.stream.page_outline)
        return request

    def _request_for_retry(
        self, failed: requests.PreparedRequest, context: Context | None
    ) -> requests.PreparedRequest:
        if "scrollId=" not in (failed.url or ""):
            return failed  # opening a scroll is safe to repeat
        token = self.paginator.reopen(self.position.reopen_from())
        self.stream.logger.warning(
            "%s: reopening the scroll from %s.", self.stream.path, token.since_ms
        )
        return self._prepared(token)


class ScrollingStream(PXStream):
    """A stream sorted ascending on its epoch-ms replication key and read by scroll cursors.

    A stream is one scroll or a row of them (the event windows); with `max_concurrency`
    above 1 the next scrolls are read on threads while the current one is emitted.
    """

    is_sorted = True

    def scrolls(self, context: Context | None) -> Sequence[ScrollPaginator]:
        """The scrolls of one sync, in the order their records are emitted."""
        raise NotImplementedError

    @cached_property
    def record_key(self) -> Callable[[dict], t.Hashable]:
        """What tells two records apart: the primary key's value (a tuple if composite)."""
        if len(self.primary_keys) == 1:
            (field,) = self.primary_keys
            return lambda record: record.get(field)
        return lambda record: tuple(record.get(field) for field in self.primary_keys)

    @cached_property
    def max_concurrency(self) -> int:
        """Requests this stream may have in flight at once."""
        return int(self.config.get("max_concurrency", DEFAULT_MAX_CONCURRENCY))

    @property
    def in_flight(self) -> RequestSlots:
        """Held by each scroll request of the tap: at most `max_concurrency` at once.

        Slices and the pages read ahead of the next streams included.
        """
        return self._tap.in_flight  # type: ignore[attr-defined]

    @cached_property
    def page_outline(self) -> PageOutline:
        """What a reader decodes of a page that will wait: cursor, total, keys and dates."""
        fields = (*self.primary_keys, *([self.replication_key] if self.replication_key else []))
        return PageOutline(fields, self.records_keys)

    def records_in(self, content: bytes) -> list[dict]:
        """The records of a page's body, decoded whole (a page that waited compressed)."""
        return self.records_in_body(msgspec.json.decode(content))

    def sources(self, context: Context | None) -> list[Callable[[], Iterable[Iterable[dict]]]]:
        """The page sources of one sync, in the order their records are emitted."""
        return [ScrollReader(self, paginator, context).pages for paginator in self.scrolls(context)]

    #: Number (from 0) of the scroll being emitted, for progress lines.
    scroll_number = 0

    def pages_of_each(self, context: Context | None) -> Generator[Iterable[Iterable[dict]]]:
        """The pages of each source in turn, the next sources read on threads meanwhile."""
        return prefetch_in_order(self.sources(context), workers=self.max_concurrency)

    @override
    def request_records(self, context: Context | None) -> Iterable[dict]:
        pages_of_each = self.pages_of_each(context)
        # Closing stops the workers at once, whether the sync ends, fails or is cut short.
        with closing(pages_of_each), self.get_http_request_counter() as request_counter:
            request_counter.with_context(context)
            for self.scroll_number, pages in enumerate(pages_of_each):
                for page in pages:
                    request_counter.increment()
                    yield from self.checked(page if type(page) is list else list(page))
