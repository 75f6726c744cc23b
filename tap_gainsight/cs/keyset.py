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

from singer_sdk.pagination import BaseAPIPaginator
from typing_extensions import override

from tap_gainsight.errors import RecordsOutOfOrderError, UnexpectedResponseError

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    import requests

KEY = "Gsid"
#: Format of DATETIME values in `where` conditions (docs/api.md, "CS: dates and filters").
FILTER_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

DATED, NULLS, WHOLE = "dated", "nulls", "whole"


class KeysetPosition:
    """The last `(date, key)` delivered; each record must come strictly after it.

    Noted from the raw record, before `post_process` turns its date into text. Dates compare
    as the API sends them (epoch ms, or ISO strings of one format), nulls last.
    """

    def __init__(self, date_field: str | None, key_field: str = KEY) -> None:
        self._date_field = date_field
        self._key_field = key_field
        self._last: tuple[bool, t.Any, str] | None = None

    @property
    def date(self) -> t.Any:
        """The date of the last record delivered (None: none yet, or a null one)."""
        return None if self._last is None or self._last[0] else self._last[1]

    @property
    def key(self) -> str | None:
        """The key of the last record delivered."""
        return None if self._last is None else self._last[2]

    def advance(self, record: dict[str, t.Any]) -> None:
        """Note a record about to be delivered.

        Raises:
            RecordsOutOfOrderError: If it does not come after the previous one.
        """
        date = record.get(self._date_field) if self._date_field else None
        position = (date is None, date if date is not None else 0, str(record.get(self._key_field)))
        if self._last is not None and position <= self._last:
            msg = (
                f"records out of (date, {self._key_field}) order: "
                f"{position[1:]} after {self._last[1:]}"
            )
            raise RecordsOutOfOrderError(msg)
        self._last = position


@dataclass(frozen=True)
class KeysetPage:
    """Token of one query: which pass, and where the previous page ended (None: first page).

    `number` keeps consecutive tokens distinct for the SDK's loop check.
    """

    pass_name: str = DATED
    after_date: t.Any = None
    after_key: str | None = None
    number: int = 0


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
    ) -> None:
        super().__init__(KeysetPage(DATED if dated else WHOLE))
        self._key_field = key_field
        self._page_size = page_size
        self._records_of = records_of
        self._position = position
        self._null_pass = dated and null_pass

    def _more_passes(self) -> bool:
        return self._null_pass and self.current_value.pass_name == DATED

    @override
    def has_more(self, response: requests.Response) -> bool:
        return len(self._records_of(response)) >= self._page_size or self._more_passes()

    @override
    def get_next(self, response: requests.Response) -> KeysetPage:
        current = self.current_value
        records = self._records_of(response)
        if len(records) < self._page_size:  # this pass is done: on to the null pass
            return KeysetPage(NULLS, number=current.number + 1)
        # Every record of the page went through the stream's `KeysetPosition` already.
        key, after = self._position.key, self._position.date
        if (
            key is None
            or key != records[-1].get(self._key_field)
            or (after is None) != (current.pass_name != DATED)
        ):
            msg = f"the page's last record is not where the keyset stands ({key}, {after})"
            raise UnexpectedResponseError(msg)
        return KeysetPage(current.pass_name, after, key, current.number + 1)

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        return self._more_passes()  # an empty dated pass still has the null pass


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
