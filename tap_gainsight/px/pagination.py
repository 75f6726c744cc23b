"""Paginators for the two PX paging styles: scroll cursors and page numbers."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, replace

from singer_sdk.pagination import BaseAPIPaginator, PageNumberPaginator

from tap_gainsight.errors import RunawayPaginationError
from tap_gainsight.responses import response_body
from tap_gainsight.windows import Window

if t.TYPE_CHECKING:
    from collections.abc import Callable

    import requests

#: Returns the records of a page (the stream knows the endpoint's records key).
RecordsOf = t.Callable[["requests.Response"], list]

#: About a billion records at the largest page size: only a broken cursor gets this far.
MAX_SCROLL_PAGES = 1_000_000


@dataclass(frozen=True)
class ScrollToken:
    """What asks for the next page of a scroll: the API's cursor plus our own page counter.

    The PX API may hand back the same `scrollId` for every page of a scroll; the counter keeps
    consecutive tokens distinct, so the SDK's "loop detected" check never fires on a cursor
    that is legitimately repeated. `window` is set for the event endpoints; `since_ms` when a
    scroll was reopened from the last key value delivered.
    """

    scroll_id: str | None = None
    number: int = 0
    window: Window | None = None
    since_ms: int | None = None


class ScrollPaginator(BaseAPIPaginator[ScrollToken]):
    """Follows a PX scroll (events, `/users`, `/accounts`) to the end the API says.

    A scroll has ended when a page is empty or the records received reach `totalHits`
    (docs/api.md, "PX: scroll pagination"). A page shorter than asked is not the end: a
    tenant may cap pages below `pageSize` without saying so, and without `totalHits` the
    scroll reads on to an empty page. `scrollId` may stay set on the last page, so it says
    nothing of the end; a page without one says the cursor cannot go on, which ends the
    scroll where no `totalHits` says more remain (else the reader reopens it).
    """

    def __init__(
        self,
        page_size: int,
        records_of: RecordsOf,
        *,
        max_pages: int = MAX_SCROLL_PAGES,
        start_value: ScrollToken | None = None,
    ) -> None:
        super().__init__(start_value or ScrollToken())
        self._page_size = page_size
        self._records_of = records_of
        self._max_pages = max_pages
        self._records_seen = 0
        self._pages_seen = 0

    def scroll_finished(self, response: requests.Response) -> bool:
        """Tell whether this page ends the current scroll (call once per page)."""
        body = response_body(response)
        page_length = len(self._records_of(response))
        self._records_seen += page_length
        self._pages_seen += 1
        total_hits = body.get("totalHits") if isinstance(body, dict) else None
        if not isinstance(total_hits, int):
            total_hits = None
        if page_length == 0:
            return True
        if total_hits is not None and self._records_seen >= total_hits:
            return True
        if total_hits is None and not body.get("scrollId"):
            return True
        if self._pages_seen >= self._max_pages:
            msg = (
                f"the scroll returned {self._pages_seen} pages ({self._records_seen} "
                "records) without reaching its end; stopping instead of paging forever."
            )
            raise RunawayPaginationError(msg)
        return False

    @property
    def finished(self) -> bool:
        """Whether the scroll has ended (by the API's word, or `end`)."""
        return self._ended or super().finished

    _ended = False

    def end(self) -> None:
        """End the scroll here: it cannot move on."""
        self._ended = True

    def reopened(self, since_ms: int | None) -> ScrollPaginator:
        """A paginator opening the current scroll again, from `since_ms` on, counts afresh."""
        current = self.current_value
        token = replace(current, scroll_id=None, number=current.number + 1, since_ms=since_ms)
        return ScrollPaginator(
            self._page_size, self._records_of, max_pages=self._max_pages, start_value=token
        )

    def has_more(self, response: requests.Response) -> bool:  # noqa: D102
        return not self.scroll_finished(response)

    def get_next(self, response: requests.Response) -> ScrollToken:  # noqa: D102
        current = self.current_value
        return replace(
            current, scroll_id=response_body(response).get("scrollId"), number=current.number + 1
        )


class PageNumberEndpointPaginator(PageNumberPaginator):
    """0-based `pageNumber` paging (`/feature`, `/segment`, `/engagement`, `/articles`, `/kcbot`).

    The list has ended at a page flagged `isLastPage` or an empty one (docs/api.md, "PX:
    page-number pagination"). A short page is not the end while the API says more remain
    (a tenant may cap pages below `pageSize`); without `isLastPage` the list reads on to an
    empty page. `note(what, consequence)` is told of each such departure.
    """

    def __init__(
        self,
        page_size: int,
        records_of: Callable[[requests.Response], list],
        note: Callable[[str, str], None] = lambda what, consequence: None,
    ) -> None:
        super().__init__(start_value=0)
        self._page_size = page_size
        self._records_of = records_of
        self._note = note
        self._short_before = False

    def has_more(self, response: requests.Response) -> bool:  # noqa: D102
        length = len(self._records_of(response))
        if length and self._short_before:
            self._note(
                "pages shorter than the pageSize asked before the list's end",
                "the list is read on until the API says it has ended",
            )
        self._short_before = 0 < length < self._page_size
        body = response_body(response)
        last = body.get("isLastPage") if isinstance(body, dict) else None
        if length and not isinstance(last, bool):
            self._note("no isLastPage in a page's answer", "the list is read to an empty page")
        return length > 0 and last is not True
