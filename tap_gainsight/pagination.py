"""Paginators for the two PX paging styles: scroll cursors and page numbers."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from singer_sdk.pagination import BaseAPIPaginator, PageNumberPaginator

from tap_gainsight.responses import response_body

if t.TYPE_CHECKING:
    from collections.abc import Callable

    import requests

#: Returns the records of a page (the stream knows the endpoint's records key).
RecordsOf = t.Callable[["requests.Response"], list]

#: About a billion records at the largest page size: only a broken cursor gets this far.
MAX_SCROLL_PAGES = 1_000_000


class RunawayPaginationError(RuntimeError):
    """A scroll kept returning full pages far beyond what the API said it holds."""


@dataclass(frozen=True)
class ScrollPage:
    """Token of a scroll page: the API's cursor plus our own page counter.

    The PX API may hand back the same `scrollId` for every page of a scroll; the counter keeps
    consecutive tokens distinct, so the SDK's "loop detected" check never fires on a cursor
    that is legitimately repeated.
    """

    scroll_id: str | None = None
    number: int = 0


class ScrollPaginator(BaseAPIPaginator[ScrollPage]):
    """Follows a PX scroll (`/users`, `/accounts`, events) to its true last page.

    The API does not reliably clear `scrollId` on the last page and may omit `totalHits`
    (px-api.md, section 2a), so a page is the last one when it is shorter than the page size
    asked for, is empty, carries no `scrollId`, or completes `totalHits`. A page exactly
    `page_size` long with no `totalHits` is followed by one request that comes back empty.
    """

    def __init__(
        self,
        page_size: int,
        records_of: RecordsOf,
        *,
        max_pages: int = MAX_SCROLL_PAGES,
    ) -> None:
        super().__init__(ScrollPage())
        self._page_size = page_size
        self._records_of = records_of
        self._max_pages = max_pages
        self._records_seen = 0

    def has_more(self, response: requests.Response) -> bool:  # noqa: D102
        body = response_body(response)
        page_length = len(self._records_of(response))
        self._records_seen += page_length
        if page_length < self._page_size or not body.get("scrollId"):
            return False
        total_hits = body.get("totalHits")
        if isinstance(total_hits, int) and self._records_seen >= total_hits:
            return False
        if self.count + 1 >= self._max_pages:
            msg = (
                f"the scroll returned {self.count + 1} full pages ({self._records_seen} records) "
                "without reaching its end; stopping instead of paging forever."
            )
            raise RunawayPaginationError(msg)
        return True

    def get_next(self, response: requests.Response) -> ScrollPage:  # noqa: D102
        return ScrollPage(response_body(response)["scrollId"], self.current_value.number + 1)


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
