"""What the API's refusals mean for a stream: the key's, one endpoint's, or a page size's.

docs/api.md, "PX and CS: refusals": a refusal is the key's only if the core endpoint
refuses it too (asked once a run, `run.CoreCheck`); a refused page size is halved.
"""

from __future__ import annotations

import re
import typing as t
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlsplit

from singer_sdk import RESTStream

from tap_gainsight.errors import EndpointRefused, KeyRefused, PageSizeRefused

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.exceptions import FatalAPIError

    from tap_gainsight.run import Run

#: How an API words a refused page size: `pageSize` (PX), `limit` (CS).
PAGE_SIZE_WORDS = re.compile(r"page\s*_?size|\blimit\b", re.IGNORECASE)


class Refusals(RESTStream[t.Any]):
    """A stream's reading of refusals; each product says where its core endpoint is."""

    run: Run

    #: The endpoint's largest accepted page size (the API answers 400 above it).
    max_page_size: int = 1000

    @cached_property
    def asked_page_size(self) -> int:
        """The configured page size, clamped to this endpoint's maximum."""
        return max(
            1, min(int(self.config.get("page_size", self.max_page_size)), self.max_page_size)
        )

    @property
    def page_size(self) -> int:
        """The page size asked: as configured, or less where the API refused that much."""
        return min(self.asked_page_size, self.run.page_sizes.get(self.page_size_group, 1 << 31))

    @property
    def page_size_group(self) -> str:
        """The endpoints whose page size the API limits alike: this one's path (PX)."""
        return self.path

    def smaller_pages(self, refusal: PageSizeRefused) -> bool:
        """Ask pages half as big from now on: the API refused this size. False at one record."""
        if self.page_size <= 1:
            return False
        self.run.page_sizes[self.page_size_group] = self.page_size // 2
        self.run.departures.note(
            self.path,
            "a page size refused as too large",
            "smaller pages are asked, halved until the API takes them (set page_size lower "
            f"to save the refused requests); the API said: {refusal.message}",
        )
        return True

    def mentions_page_size(self, message: str) -> bool:
        """Whether a 400's words are about the size of a page (`pageSize`, CS `limit`)."""
        return PAGE_SIZE_WORDS.search(message) is not None and "rate" not in message.lower()

    def skip(self, refusal: EndpointRefused) -> None:
        """Leave out the rest of this stream for the run: its endpoint refused the key.

        Every record sent before stays sent and the bookmark covers exactly those, so the
        next run resumes there (docs/api.md, "PX and CS: refusals").
        """
        self.run.skipped[self.name] = f"{refusal.path}, HTTP {refusal.status}"
        self.run.departures.note(
            refusal.path,
            f"refused with HTTP {refusal.status} while the key reads {self.core_name}",
            f"the tenant lacks this module or the key this right: {self.name} is skipped "
            f"this run (the API said: {refusal.message})",
        )

    #: The product's core endpoint, which every key that reads anything reads.
    core_name = "the core endpoint"

    def core_request(self) -> requests.PreparedRequest:
        """A cheap request to the product's core endpoint (what `--test` sends too)."""
        raise NotImplementedError

    def at_core(self, response: requests.Response) -> bool:
        """Whether `response` answers the product's core endpoint."""
        raise NotImplementedError

    def key_refused(self, status: int, code: str | None = None) -> KeyRefused:
        """The one-line failure of a refused key, naming the settings to check."""
        raise NotImplementedError

    def refusal(
        self, response: requests.Response, message: str, code: str | None = None
    ) -> FatalAPIError:
        """What a 401, 403 or 404 means: the key refused, or one endpoint the tenant lacks.

        A 401 is always the key's, and so is a refusal from the core endpoint itself. A
        refusal anywhere else is the key's only if the core endpoint refuses it too (asked
        once a run); otherwise it is that endpoint's alone (docs/api.md, "PX and CS:
        refusals").
        """
        status = response.status_code
        if status == HTTPStatus.UNAUTHORIZED or self.at_core(response):
            return self.key_refused(status, code)
        if self.run.core_check.key_reads(self.core_name, self.ask_core):
            return EndpointRefused(urlsplit(response.url).path or self.path, status, message)
        if status == HTTPStatus.NOT_FOUND:  # the core unknown too: a wrong address
            return self.request_refused(response, message)
        return self.key_refused(status, code)

    def request_refused(self, response: requests.Response, message: str) -> FatalAPIError:
        """The failure for a 4xx that no general rule explains: the request's own fault."""
        raise NotImplementedError

    def ask_core(self) -> None:
        """Send the core request, paced and retried like any (raises if refused)."""
        raise NotImplementedError
