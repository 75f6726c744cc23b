"""Keyset paging over the CS Data API: each page asks for the rows after the last one delivered.

Keyset, not `offset`: an offset counts rows of a result that changes while it is read, so a
record modified mid-sync makes the next offset skip one row, a new one makes it repeat one. A
keyset resumes after the last `(date, Gsid)` delivered whatever moved (`Gsid` breaks the ties
of a shared date). An object is read in passes: with a sort date, the dated records in
`(date, Gsid)` order, then those whose date is null, by `Gsid`; without one, every record by
`Gsid` (docs/api.md, "CS: query, paging and order").
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass
from functools import cached_property
from http import HTTPStatus

from singer_sdk.pagination import BaseAPIPaginator
from typing_extensions import override

from tap_gainsight.cs.client import CS_MAX_LIMIT, CSStream
from tap_gainsight.cs.select import named_fields, refused_field
from tap_gainsight.errors import SelectRefused, UnexpectedResponseError
from tap_gainsight.order_guard import OrderGuardedStream
from tap_gainsight.position import Position
from tap_gainsight.settings import DEFAULT_CS_LOOKBACK_HOURS
from tap_gainsight.timestamps import epoch_ms_of

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.exceptions import FatalAPIError
    from singer_sdk.helpers.types import Context

KEY = "Gsid"
#: Format of DATETIME values in `where` conditions (docs/api.md, "CS: dates and filters").
FILTER_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

DATED, NULLS, WHOLE = "dated", "nulls", "whole"


def keyset_position(date_field: str | None, key_field: str) -> Position:
    """Where a keyset read stands: places compare `(date as an instant, nulls last, key)`.

    Noted from the raw records, before `post_process` turns dates into text.
    """

    def place_of(record: dict[str, t.Any]) -> tuple[bool, int, str]:
        date = record.get(date_field) if date_field else None
        instant = epoch_ms_of(date) if date is not None else None
        if date is not None and instant is None:
            instant = -1  # not a date: compares, and the API's order is no longer checkable
        return (instant is None, instant or 0, str(record.get(key_field)))

    return Position(
        date_field or key_field, lambda record: record.get(key_field), place_of=place_of
    )


@dataclass(frozen=True)
class KeysetPage:
    """Token of one query: which pass, and where the previous page ended (None: first page).

    `number` keeps consecutive tokens distinct for the SDK's loop check; `offset` is set once
    the API has shown it ignores the order asked for (`KeysetPaginator.admit`).
    """

    pass_name: str = DATED
    after_date: t.Any = None
    after_key: str | None = None
    number: int = 0
    offset: int | None = None


class KeysetPaginator(BaseAPIPaginator[KeysetPage]):
    """Pages through an object's passes (see the module docstring)."""

    def __init__(self, stream: KeysetStream) -> None:
        date_field = stream.date_field
        super().__init__(KeysetPage(DATED if date_field else WHOLE))
        self._stream = stream
        self._position = keyset_position(date_field, stream.key_field)
        self._null_pass = date_field is not None and stream.null_pass
        self._restart_pass = False
        self._short_before = False
        #: The last record handed on: its date as sent (for the next `where`), and its key.
        self._after: tuple[t.Any, t.Any] = (None, None)

    def admit(self, records: list[dict[str, t.Any]]) -> bool:
        """Note a page as handed on, before its dates become text; False if out of order.

        A page out of order is dropped and its pass read again from its start by offset,
        which relies only on the order being the same on every page (while the data holds).
        """
        position = self._position
        if not position.in_order:
            return True
        if not position.follows(records):
            position.in_order = False
            self._restart_pass = True
            return False
        position.admit(records)
        if records:
            last, date_field = records[-1], self._stream.date_field
            date = last.get(date_field) if date_field else None
            self._after = (date, last.get(self._stream.key_field))
        return True

    def _more_passes(self) -> bool:
        return self._null_pass and self.current_value.pass_name == DATED

    @override
    def has_more(self, response: requests.Response) -> bool:
        records = self._stream.records_of(response)
        if records and self._short_before:
            self._stream.note_departure(
                "pages shorter than the limit asked before the end of a query",
                "each query is read on to an empty page",
            )
        self._short_before = 0 < len(records) < self._stream.page_size
        # A pass ends on an empty page only: a page shorter than asked may be capped.
        return self._restart_pass or bool(records) or self._more_passes()

    @override
    def get_next(self, response: requests.Response) -> KeysetPage:
        current = self.current_value
        records = self._stream.records_of(response)
        number = current.number + 1
        if not self._position.in_order:
            if self._restart_pass:
                self._restart_pass = False
                return KeysetPage(current.pass_name, number=number, offset=0)
            if not records:
                return KeysetPage(NULLS, number=number, offset=0)
            offset = (current.offset or 0) + len(records)
            return KeysetPage(current.pass_name, number=number, offset=offset)
        if not records:  # this pass is done: on to the null pass
            return KeysetPage(NULLS, number=number)
        # The page went through `admit` already (`KeysetStream.parse_response`).
        after, key = self._after
        if key is None or (after is None) != (current.pass_name != DATED):
            msg = f"the page's last record is not where the keyset stands ({key}, {after})"
            raise UnexpectedResponseError(msg)
        return KeysetPage(current.pass_name, after, str(key), number)

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        # An empty dated pass still has the null pass; a page dropped for its order is read
        # again by offset.
        return self._restart_pass or self._more_passes()


def condition(alias: str, name: str, operator: str, *values: t.Any) -> dict[str, t.Any]:
    """One `where` condition of the Data API."""
    return {"name": name, "alias": alias, "operator": operator, "value": list(values)}


class KeysetStream(CSStream, OrderGuardedStream):
    """A CS stream read in `(date, key)` order by keyset (module docstring).

    The order is documented, but a tenant may differ: each page is checked before any of its
    records is handed on (`KeysetPaginator.admit`); one out of order turns the bookmark back
    (`order_guard.py`).
    """

    is_sorted = True
    # The SDK compares each record with the saved bookmark, which the lookback re-reads
    # behind on purpose; the stream's position checks the order of what is read instead.
    check_sorted = False
    #: Records per query: the API's maximum. A class attribute so that tests can page small.
    page_limit: int = CS_MAX_LIMIT
    key_field = KEY
    #: Whether a dated read ends with a pass over the records whose date is null.
    null_pass = True

    _paginator: KeysetPaginator
    #: The paginator a query refused part-way resumes with (None: a new read).
    _resume: KeysetPaginator | None = None
    #: Where the dated pass starts this run (None: the whole object).
    _since: dt.datetime | None = None
    #: The partition being read (a delete log), whose state a broken order turns back.
    read_context: Context | None = None
    #: The fields the API refused this run (left out of the select).
    refused_fields: frozenset[str] = frozenset()

    @cached_property
    @override
    def asked_page_size(self) -> int:
        return self.page_limit

    @property
    def date_field(self) -> str | None:
        """The field records are sorted on (None: by key alone, a full-table read)."""
        return self.replication_key or None

    @override
    def request_records(self, context: Context | None) -> Iterable[dict]:
        self.read_context = context
        self.guard_order(context)
        self._resume = None
        # The bookmark less `cs_lookback_hours`; `start_date` plays no part: it bounds event
        # history, and a company untouched for years is still a company.
        bookmark = self.bookmark(context) if self.date_field else None
        hours = self.config.get("cs_lookback_hours", DEFAULT_CS_LOOKBACK_HOURS)
        self._since = bookmark - dt.timedelta(hours=hours) if bookmark else None
        self.log_read(context)
        while True:
            try:
                yield from super().request_records(context)
            except SelectRefused as refusal:
                self.leave_out_refused(refusal)
                self._resume = self._paginator  # on from the page refused
                continue
            break
        self.save_largest_seen(context)

    def log_read(self, context: Context | None) -> None:
        """Say what this read covers, once `_since` is known."""

    def leave_out_refused(self, refusal: SelectRefused) -> None:
        """Leave out the field(s) the query refused, named in the error or found by halving.

        The key, the date and the primary keys are never left out: a query that refuses
        them is refused whole (docs/api.md, "CS: query, paging and order").

        Raises:
            SelectRefused: If no field of the select is what the API refuses.
        """
        kept = {self.key_field, self.date_field, *self.primary_keys}
        optional = [name for name in self.select if name not in kept]
        fields = named_fields(refusal.reason, optional)
        if not fields:
            found = refused_field(optional, self._refuses)
            fields = [found] if found else []
        if not fields:
            raise refusal
        self.refused_fields |= set(fields)
        for name in fields:
            self.departures.note(
                f"{self.name}.{name}",
                "a field describe lists that the query refuses",
                f"it is left out of the select of {self.name} this run (its column stays empty) "
                f"and every other field is read; the API said: {refusal.reason}",
            )

    def _refuses(self, fields: list[str]) -> bool:
        """Whether a one-record query selecting `fields` (and the key) is refused."""
        try:
            self.call("POST", self.path, body={"select": [self.key_field, *fields], "limit": 1})
        except SelectRefused:
            return True
        return False

    @override
    def request_refused(self, response: requests.Response, reason: str) -> FatalAPIError:
        # A query refused with a 400: one of its fields may be what the API will not read.
        if response.status_code == HTTPStatus.BAD_REQUEST:
            return SelectRefused(super().request_refused(response, reason), reason)
        return super().request_refused(response, reason)

    @override
    def get_new_paginator(self) -> KeysetPaginator:
        if self._resume is not None:
            return self._resume
        self._paginator = KeysetPaginator(self)
        return self._paginator

    @property
    def select(self) -> list[str]:
        """The fields a query selects: the schema's, less those the API refused this run."""
        return [name for name in self.schema["properties"] if name not in self.refused_fields]

    def filter_date(self, value: t.Any) -> t.Any:
        """A date as sent, as a keyset's `where` gives it back (epoch ms stay exact)."""
        return value

    @override
    def prepare_request_payload(
        self, context: Context | None, next_page_token: KeysetPage | None
    ) -> dict[str, t.Any]:
        page = next_page_token or self._paginator.current_value
        date, key = self.date_field, self.key_field
        order = {date: "asc", key: "asc"} if date and page.pass_name == DATED else {key: "asc"}
        body: dict[str, t.Any] = {"select": self.select}
        if (where := self.where_clause(page)) is not None:
            body["where"] = where
        body.update(orderBy=order, limit=self.page_size)
        if page.offset is not None:
            body["offset"] = page.offset
        return body

    def where_clause(self, page: KeysetPage) -> dict[str, t.Any] | None:
        """The `where` of one page, or None for the first page of a whole read.

        `_since` is written in the documented DATETIME filter format (its time zone absorbed
        by the lookback); keyset dates are those the API sent, through `filter_date`.
        """
        date = self.date_field
        after_key = [condition("B", self.key_field, "GT", page.after_key)] if page.after_key else []
        if page.pass_name == WHOLE or date is None:
            return {"conditions": after_key, "expression": "B"} if after_key else None
        if page.pass_name == NULLS:
            nulls = [condition("A", date, "IS_NULL"), *after_key]
            return {"conditions": nulls, "expression": "A AND B" if after_key else "A"}
        if page.after_key is not None:
            after = self.filter_date(page.after_date)
            return {
                "conditions": [
                    condition("A", date, "EQ", after),
                    *after_key,
                    condition("C", date, "GT", after),
                ],
                "expression": "(A AND B) OR C",
            }
        if self._since is None:
            return {"conditions": [condition("A", date, "IS_NOT_NULL")], "expression": "A"}
        lower = condition("A", date, "GTE", self._since.strftime(FILTER_DATETIME_FORMAT))
        return {"conditions": [lower], "expression": "A"}

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        records = self.records_of(response)
        if not self._paginator.admit(records):
            self.break_order(self.read_context, self.path, "orderBy (date, key)")
            return []
        return self.checked(records)
