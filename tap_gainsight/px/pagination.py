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
    """Follows a PX scroll (events, `/users`, `/accounts`) to its true last page.

    The API does not reliably clear `scrollId` on the last page and may omit `totalHits`
    (docs/api.md, "PX: scroll pagination"), so a page is the last when shorter than the page size
    asked for, is empty, carries no `scrollId`, or completes `totalHits`. A page exactly
    `page_size` long with no `totalHits` is followed by one request that comes back empty.
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
        if page_length < self._page_size or not body.get("scrollId"):
            return True
        total_hits = body.get("totalHits")
        if isinstance(total_hits, int) and self._records_seen >= total_hits:
            return True
        if self._pages_seen >= self._max_pages:
            msg = (
                f"the scroll returned {self._pages_seen} full pages ({self._records_seen} "
                "records) without reaching its end; stopping instead of paging forever."
            )
            raise RunawayPaginationError(msg)
        return False

    def start_new_scroll(self) -> None:
        """Forget the counts of the scroll just finished."""
        self._records_seen = self._pages_seen = 0

    def reopen(self, since_ms: int | None) -> ScrollToken:
        """Start the current scroll again, from `since_ms` on, and return the new token."""
        current = self.current_value
        self._value = replace(current, scroll_id=None, number=current.number + 1, since_ms=since_ms)
        self.start_new_scroll()
        return self.current_value

    def has_more(self, response: requests.Response) -> bool:  # noqa: D102
        return not self.scroll_finished(response)

    def get_next(self, response: requests.Response) -> ScrollToken:  # noqa: D102
        current = self.current_value
        return replace(
            current, scroll_id=response_body(response)["scrollId"], number=current.number + 1
        )


class PageNumberEndpointPaginator(PageNumberPaginator):
    """0-based `pageNumber` paging (`/feature`, `/segment`, `/engagement`, `/articles`, `/kcbot`).

    The last page is the one flagged `isLastPage` or shorter than the page size asked for.
    """

    def __init__(self, page_size: int, records_of: Callable[[requests.Response], list]) -> None:
        super().__init__(start_value=0)
        self._page_size = page_size
        self._records_of = records_of

    def has_more(self, response: requests.Response) -> bool:  # noqa: D102
        if response_body(response).get("isLastPage") is True:
            return False
        return len(self._records_of(response)) >= self._page_size
