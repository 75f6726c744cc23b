"""Keyset paging over the CS Data API: each page asks for the rows after the last one delivered.

Keyset, not `offset`: an offset counts rows of a result that changes while it is read. A
record modified during the sync moves to the end of the order, so every row behind it shifts
one place forward and the next offset skips one; a new record shifts them back and one is
sent twice. A keyset asks for the rows after the last one delivered, so it resumes exactly
there whatever moved (a moved record is simply read again, later, with its new date). `Gsid`
breaks the ties of records sharing one date, which a page boundary may split.

An object is read in passes: with a sort date, the dated records in `(date, Gsid)` order,
then those whose date is null, by `Gsid` (docs/api.md, "CS: query, paging and order");
without one, every record by `Gsid`.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from http import HTTPStatus

from singer_sdk.pagination import BaseAPIPaginator
from typing_extensions import override

from tap_gainsight.cs.client import CSStream
from tap_gainsight.errors import SelectRefused, UnexpectedResponseError
from tap_gainsight.order_guard import OrderGuardedStream
from tap_gainsight.timestamps import epoch_ms_of

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterable

    import requests
    from singer_sdk.exceptions import FatalAPIError
    from singer_sdk.helpers.types import Context

KEY = "Gsid"
#: Format of DATETIME values in `where` conditions (docs/api.md, "CS: dates and filters").
FILTER_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

DATED, NULLS, WHOLE = "dated", "nulls", "whole"


class KeysetPosition:
    """The last `(date, key)` delivered; each record must come strictly after it.

    Noted page by page from the raw records, before `post_process` turns their dates into
    text. Dates compare as instants (epoch ms, whatever form the API sent), nulls last; the
    date is kept as sent, for the next page's `where`. Once `unordered` (the API ignored the
    order asked for), pages are no longer checked: they are then read by offset.
    """

    def __init__(self, date_field: str | None, key_field: str = KEY) -> None:
        self._date_field = date_field
        self._key_field = key_field
        self._last: tuple[bool, t.Any, str] | None = None
        self._last_date: t.Any = None
        self.unordered = False

    def _place(self, record: dict[str, t.Any]) -> tuple[bool, t.Any, str]:
        date = record.get(self._date_field) if self._date_field else None
        instant = epoch_ms_of(date) if date is not None else None
        if date is not None and instant is None:
            instant = -1  # not a date: compares, and the API's order is no longer checkable
        return (instant is None, instant or 0, str(record.get(self._key_field)))

    def in_order(self, records: Iterable[dict[str, t.Any]]) -> bool:
        """Whether a page's records all come after the last delivered, in order."""
        last = self._last
        for record in records:
            place = self._place(record)
            if last is not None and place <= last:
                return False
            last = place
        return True

    @property
    def date(self) -> t.Any:
        """The date of the last record delivered, as sent (None: none yet, or a null one)."""
        return self._last_date

    @property
    def key(self) -> str | None:
        """The key of the last record delivered."""
        return None if self._last is None else self._last[2]

    def note_page(self, records: list[dict[str, t.Any]]) -> None:
        """Note a page's records as delivered: the next page starts after its last one."""
        if records:
            self._last = self._place(records[-1])
            self._last_date = records[-1].get(self._date_field) if self._date_field else None


@dataclass(frozen=True)
class KeysetPage:
    """Token of one query: which pass, and where the previous page ended (None: first page).

    `number` keeps consecutive tokens distinct for the SDK's loop check. `offset` is set
    once the API has shown that it ignores the order asked for: the pass is then read by
    offset (`KeysetPaginator.read_by_offset`).
    """

    pass_name: str = DATED
    after_date: t.Any = None
    after_key: str | None = None
    number: int = 0
    offset: int | None = None


class KeysetPaginator(BaseAPIPaginator[KeysetPage]):
    """Pages through an object's passes (see the module docstring)."""

    def __init__(
        self,
        page_size: int,
        records_of: Callable[[requests.Response], list],
        position: KeysetPosition,
        *,
        dated: bool,
        null_pass: bool = True,
        key_field: str = KEY,
        note: Callable[[str, str], None] = lambda what, consequence: None,
    ) -> None:
        super().__init__(KeysetPage(DATED if dated else WHOLE))
        self._key_field = key_field
        self._page_size = page_size
        self._records_of = records_of
        self._position = position
        self._null_pass = dated and null_pass
        self._restart_pass = False
        self._note = note
        self._short_before = False

    def read_by_offset(self) -> None:
        """Read the current pass again from its start, by offset: the order was ignored.

        A keyset relies on the order; an offset only on the order being the same on every
        page, which an API that ignores `orderBy` keeps as long as the data does not change.
        """
        self._position.unordered = True
        self._restart_pass = True

    def _more_passes(self) -> bool:
        return self._null_pass and self.current_value.pass_name == DATED

    @override
    def has_more(self, response: requests.Response) -> bool:
        records = self._records_of(response)
        if records and self._short_before:
            self._note(
                "pages shorter than the limit asked before the end of a query",
                "each query is read on to an empty page",
            )
        self._short_before = 0 < len(records) < self._page_size
        # A pass ends on an empty page only: a page shorter than asked may be capped.
        return self._restart_pass or bool(records) or self._more_passes()

    @override
    def get_next(self, response: requests.Response) -> KeysetPage:
        current = self.current_value
        records = self._records_of(response)
        number = current.number + 1
        if self._position.unordered:
            if self._restart_pass:
                self._restart_pass = False
                return KeysetPage(current.pass_name, number=number, offset=0)
            if not records:
                return KeysetPage(NULLS, number=number, offset=0)
            offset = (current.offset or 0) + len(records)
            return KeysetPage(current.pass_name, number=number, offset=offset)
        if not records:  # this pass is done: on to the null pass
            return KeysetPage(NULLS, number=number)
        # The page went through the stream's `KeysetPosition` already (`parse_response`).
        key, after = self._position.key, self._position.date
        if (
            key is None
            or key != records[-1].get(self._key_field)
            or (after is None) != (current.pass_name != DATED)
        ):
            msg = f"the page's last record is not where the keyset stands ({key}, {after})"
            raise UnexpectedResponseError(msg)
        return KeysetPage(current.pass_name, after, key, number)

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        # An empty dated pass still has the null pass; a page dropped for its order is read
        # again by offset.
        return self._restart_pass or self._more_passes()


def condition(alias: str, name: str, operator: str, *values: t.Any) -> dict[str, t.Any]:
    """One `where` condition of the Data API."""
    return {"name": name, "alias": alias, "operator": operator, "value": list(values)}


def where_clause(
    page: KeysetPage,
    date_field: str | None,
    since: dt.datetime | None,
    date_value: Callable[[t.Any], t.Any] = lambda value: value,
    key_field: str = KEY,
) -> dict[str, t.Any] | None:
    """The `where` of one page, or None for the first page of a whole read.

    The lower bound `since` is `yyyy-MM-dd HH:mm:ss` (the documented DATETIME filter format,
    in a time zone the lookback absorbs); keyset values are the dates the API sent, passed
    through `date_value` (epoch ms stay exact to the millisecond, with no time zone to
    interpret).
    """
    after_key = [condition("B", key_field, "GT", page.after_key)] if page.after_key else []
    if page.pass_name == WHOLE or date_field is None:
        if not after_key:
            return None
        return {"conditions": after_key, "expression": "B"}
    if page.pass_name == NULLS:
        nulls = [condition("A", date_field, "IS_NULL"), *after_key]
        return {"conditions": nulls, "expression": "A AND B" if after_key else "A"}
    if page.after_key is not None:
        after = date_value(page.after_date)
        return {
            "conditions": [
                condition("A", date_field, "EQ", after),
                *after_key,
                condition("C", date_field, "GT", after),
            ],
            "expression": "(A AND B) OR C",
        }
    if since is None:
        return {"conditions": [condition("A", date_field, "IS_NOT_NULL")], "expression": "A"}
    lower = condition("A", date_field, "GTE", since.strftime(FILTER_DATETIME_FORMAT))
    return {"conditions": [lower], "expression": "A"}


class KeysetStream(CSStream, OrderGuardedStream):
    """A CS stream read in `(date, key)` order by keyset (module docstring).

    The order is documented (docs/api.md, "CS: query, paging and order"), but a tenant may
    differ: each page is checked before any of its records is handed on. A page out of
    order is dropped, the pass is read again from its start by offset, and the bookmark
    falls back (`order_guard.py`): the order costs requests, never records.
    """

    _position: KeysetPosition
    _paginator: KeysetPaginator

    #: The paginator a query refused part-way resumes with (None: a new read).
    _resume: KeysetPaginator | None = None

    @override
    def request_records(self, context: Context | None) -> Iterable[dict]:
        self.guard_order(context)
        self._resume = None
        while True:
            try:
                yield from super().request_records(context)
            except SelectRefused as refusal:
                self.leave_out_refused(refusal)
                self._resume = self._paginator  # on from the page refused
                continue
            break
        self.save_largest_seen(context)

    def leave_out_refused(self, refusal: SelectRefused) -> None:
        """Drop from the select what the API refused to read (`cs/select.py`).

        Raises:
            SelectRefused: If no field of the select is what the API refuses.
        """
        raise refusal

    @override
    def request_refused(self, response: requests.Response, reason: str) -> FatalAPIError:
        # A query refused with a 400: one of its fields may be what the API will not read.
        if response.status_code == HTTPStatus.BAD_REQUEST:
            return SelectRefused(super().request_refused(response, reason), reason)
        return super().request_refused(response, reason)

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        records = self.records_of(response)
        if not (self._position.unordered or self._position.in_order(records)):
            self.break_order(self.context, self.path, "orderBy (date, key)")
            self._paginator.read_by_offset()
            return []
        self._position.note_page(records)
        return self.checked(records)


def offset_of(page: KeysetPage) -> dict[str, int]:
    """The `offset` of a query, where its pass is read by offset."""
    return {} if page.offset is None else {"offset": page.offset}
