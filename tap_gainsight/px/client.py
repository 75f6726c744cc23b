"""The base of every Gainsight PX stream: region URLs, the API key, PX errors, records keys."""

from __future__ import annotations

import typing as t
from functools import cached_property
from http import HTTPStatus

from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from typing_extensions import override

from tap_gainsight.client import GainsightStream
from tap_gainsight.errors import KeyRefused, ScrollExpiredError
from tap_gainsight.responses import api_error_message, find_records, response_body
from tap_gainsight.settings import px_base_url

if t.TYPE_CHECKING:
    import requests

    from tap_gainsight.rate_limit import RequestLimiter

#: Message the API sends when an identical request arrives too soon
#: (docs/api.md, "PX: errors and rate limits").
DUPLICATE_REQUEST_MESSAGE = "Duplicate request blocked"


class PXStream(GainsightStream):
    """Base of every PX stream: subclasses say only how an endpoint pages.

    `records_keys` says where an endpoint's records are.
    """

    #: Documented records key(s) of the endpoint, preferred first.
    records_keys: tuple[str, ...] = ()
    credential_name = "API key"
    address_settings = "region or api_url"

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
        records, key = find_records(response_body(response), self.records_keys, self.path)
        expected = self.records_keys or ("<root>",)
        if key not in (*expected, "<empty>"):
            self.departures.note(
                self.path,
                f"records under {key!r}, not {' or '.join(map(repr, expected))}",
                "they are read from there",
            )
        return records

    @override
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            raise KeyRefused(self._auth_failure_message(status))
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(
                f"{self.path} answered HTTP {status}: {api_error_message(response)}", response
            )
        if status >= HTTPStatus.BAD_REQUEST:
            message = api_error_message(response)
            if DUPLICATE_REQUEST_MESSAGE.lower() in message.lower():
                raise RetriableAPIError(f"{self.path}: {message}", response)
            if "scroll" in message.lower() and "scrollId=" in (response.request.url or ""):
                self.departures.note(
                    self.path,
                    "a scroll expired before its last page",
                    "it is opened again from the last value delivered",
                )
                raise ScrollExpiredError(f"{self.path}: {message}", response)
            raise FatalAPIError(f"Gainsight PX rejected {self.path} (HTTP {status}): {message}")
        self.check_delivered(response)

    @override
    def probe_request(self) -> requests.PreparedRequest:
        """The cheap request `--test` sends: a page of one record."""
        return self.build_prepared_request(
            method="GET",
            url=self.get_url(None),
            params={"pageSize": 1},
            headers=self.http_headers,
        )

    @override
    def where(self) -> str:
        """The region and base URL in use, as a user would check them."""
        if self.config.get("api_url"):
            return f"api_url {self.url_base}"
        return f"region {self.config.get('region', 'us')} ({self.url_base})"

    def _auth_failure_message(self, status: int) -> str:
        return (
            f"Gainsight PX refused the API key (HTTP {status}) at {self.where()}. Check that "
            "api_key is a current PX REST API key with Read permission and that region matches "
            "the subscription's data centre."
        )
