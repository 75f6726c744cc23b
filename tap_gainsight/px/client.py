"""The base of every Gainsight PX stream: region URLs, the API key, PX errors, records keys."""

from __future__ import annotations

import typing as t
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlsplit

from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from typing_extensions import override

from tap_gainsight.client import GainsightStream
from tap_gainsight.errors import KeyRefused, PageSizeRefused, ScrollExpiredError
from tap_gainsight.responses import api_error_message, find_records, response_body
from tap_gainsight.settings import px_base_url

if t.TYPE_CHECKING:
    import requests

    from tap_gainsight.rate_limit import RequestLimiter

#: The endpoint every key with Read permission reads: a refusal there is the key's.
CORE_PATH = "/accounts"
#: Message the API sends when an identical request arrives too soon
#: (docs/api.md, "PX: errors and rate limits").
DUPLICATE_REQUEST_MESSAGE = "Duplicate request blocked"


class PXStream(GainsightStream):
    """Base of every PX stream: subclasses say only how an endpoint pages."""

    #: Documented records key(s) of the endpoint, preferred first.
    records_keys: tuple[str, ...] = ()
    credential_name = "API key"
    address_settings = "region or api_url"
    core_name = "/accounts"

    @property
    @override
    def url_base(self) -> str:
        return px_base_url(self.config)

    @cached_property
    @override
    def authenticator(self) -> APIKeyAuthenticator:
        return APIKeyAuthenticator(
            key="X-APTRINSIC-API-KEY",
            value=self.config["api_key"],
            location="header",
        )

    @property
    @override
    def request_limiter(self) -> RequestLimiter:
        """The process-wide PX request pace and budget."""
        return self.run.px_limiter

    @override
    def records_of(self, response: requests.Response) -> list[dict]:
        """Return the records of one page, found under the endpoint's key (parsed once)."""
        body = response_body(response)
        records, key = find_records(body, self.records_keys, self.path)
        expected = self.records_keys or ("<root>",)
        if key == "<none>":
            self.note_departure(
                f"an answer without a records list (keys: {', '.join(sorted(body)) or 'none'})",
                "it is read as an empty page",
            )
        elif key not in (*expected, "<empty>"):
            self.note_departure(
                f"records under {key!r}, not {' or '.join(map(repr, expected))}",
                "they are read from there",
            )
        return records

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Read an answer by the API's general rules (docs/api.md, "PX: errors and rate limits").

        In order: retried; a scroll failing after its first page reopened, whatever the
        status; a refusal (`refusal`); a page size refused; the request's own fault.
        """
        status = response.status_code
        if status < HTTPStatus.BAD_REQUEST:
            self.check_delivered(response)
            return
        message = api_error_message(response)
        if (
            status == HTTPStatus.TOO_MANY_REQUESTS
            or status >= HTTPStatus.INTERNAL_SERVER_ERROR
            or DUPLICATE_REQUEST_MESSAGE.lower() in message.lower()
        ):
            raise RetriableAPIError(f"{self.path} answered HTTP {status}: {message}", response)
        if "scrollId=" in (response.request.url or ""):
            self.note_departure(
                f"a scroll failed after its first page (HTTP {status}: {message})",
                "it is opened again after the last record delivered",
            )
            raise ScrollExpiredError(f"{self.path}: {message}", response)
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN) or (
            status == HTTPStatus.NOT_FOUND and not self.at_core(response)
        ):
            raise self.refusal(response, message)
        if status == HTTPStatus.BAD_REQUEST and self.mentions_page_size(message):
            raise PageSizeRefused(self.path, self.page_size, message)
        raise self.request_refused(response, message)

    @override
    def request_refused(self, response: requests.Response, message: str) -> FatalAPIError:
        return FatalAPIError(
            f"Gainsight PX rejected {self.path} (HTTP {response.status_code}): {message}"
        )

    @override
    def core_request(self) -> requests.PreparedRequest:
        return self.build_prepared_request(
            method="GET",
            url=self.url_base + CORE_PATH,
            params={"pageSize": 1},
            headers=self.http_headers,
        )

    @override
    def at_core(self, response: requests.Response) -> bool:
        return urlsplit(response.url).path.endswith(CORE_PATH)

    @override
    def key_refused(self, status: int, code: str | None = None) -> KeyRefused:
        return KeyRefused(
            f"Gainsight PX refused the API key (HTTP {status}) at {self.where()}. Check that "
            "api_key is a current PX REST API key with Read permission and that region matches "
            "the subscription's data centre."
        )

    @override
    def where(self) -> str:
        """The region and base URL in use, as a user would check them."""
        if self.config.get("api_url"):
            return f"api_url {self.url_base}"
        return f"region {self.config.get('region', 'us')} ({self.url_base})"
