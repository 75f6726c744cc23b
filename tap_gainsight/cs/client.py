"""The Gainsight CS (NXT) Data API base stream: tenant URL, access key, pace and envelope.

Timeouts, retries, progress and the one-line failure are the shared HTTP base's (`client.py`).
"""

from __future__ import annotations

import typing as t
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlsplit

from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from typing_extensions import override

from tap_gainsight.client import GainsightStream
from tap_gainsight.errors import KeyRefused, PageSizeRefused, UnexpectedResponseError
from tap_gainsight.responses import response_body
from tap_gainsight.settings import cs_base_url

if t.TYPE_CHECKING:
    import requests

    from tap_gainsight.rate_limit import RequestLimiter

#: The Data API's largest `limit`; above it, 400 GSOBJ_1015 (docs/api.md, "CS: query,
#: paging and order").
CS_MAX_LIMIT = 5000
#: Error codes that refuse the access key, whatever the HTTP status (docs/api.md, "CS:
#: transport and limits").
CS_AUTH_ERROR_CODES = frozenset({"GS_APIG_2401", "GSOBJ_1024"})
#: The query every access key reads: a refusal there is the key's.
CORE_PATH = "/v1/data/objects/query/Company"
#: Statuses that refuse a request (the key's, or one object's: `GainsightStream.refusal`).
REFUSALS = frozenset({HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND})
#: An empty result, sent as HTTP 400 or 200: its code, or words of its description
#: (docs/api.md, "CS: transport and limits").
CS_NO_DATA_CODE = "GSOBJ_1011"
CS_NO_DATA_TEXTS = ("no data found", "no entity matches")


def cs_error(body: t.Any) -> tuple[str | None, str]:
    """Return the envelope's `errorCode` and a one-line description of it."""
    if not isinstance(body, dict):
        return None, "no message"
    code = body.get("errorCode")
    desc = body.get("errorDesc") or body.get("message") or "no message"
    return (str(code) if code else None), str(desc)


def data_list(body: t.Any) -> list | None:
    """The list an answer carries, `data` or `data.records` (both documented), or None."""
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict):
        data = data.get("records")
    return data if isinstance(data, list) else None


def is_no_data(body: t.Any) -> bool:
    """Tell whether a body is the API's "nothing matches" answer (an empty page)."""
    if not isinstance(body, dict) or body.get("result") is not False or body.get("data"):
        return False
    code, desc = cs_error(body)
    return code == CS_NO_DATA_CODE or any(text in desc.lower() for text in CS_NO_DATA_TEXTS)


class CSStream(GainsightStream):
    """Base of the CS streams: `POST`s to the tenant with its `accesskey`, paced per minute."""

    credential_name = "access key"
    address_settings = "cs_api_url"
    core_name = "Company"
    http_method = "POST"
    #: Every query of the Data API: the API takes one `limit` for all.
    page_size_group = "CS query"

    @property
    @override
    def url_base(self) -> str:
        return cs_base_url(self.config)

    @cached_property
    @override
    def authenticator(self) -> APIKeyAuthenticator:
        return APIKeyAuthenticator(
            key="accesskey", value=self.config["cs_access_key"], location="header"
        )

    @property
    @override
    def request_limiter(self) -> RequestLimiter:
        """The process-wide CS pace, owned by the tap."""
        return self.run.cs_limiter

    @override
    def where(self) -> str:
        return f"cs_api_url {self.url_base}"

    @override
    def validate_response(self, response: requests.Response) -> None:
        """Read an answer by the envelope's rules (docs/api.md, "CS: transport and limits").

        In order: retried; "nothing matches" (an empty page, whatever its status); a refusal
        (`refusal`); a page size refused; the request's own fault (`request_refused`).
        """
        status = response.status_code
        path = urlsplit(response.url).path or self.path
        try:
            body = response_body(response)
        except ValueError:
            body = None
        code, desc = cs_error(body)
        reason = f"{code}: {desc}" if code else desc
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(f"{path} answered HTTP {status}: {desc}", response)
        if is_no_data(body):
            return
        if status in REFUSALS or code in CS_AUTH_ERROR_CODES:
            raise self.refusal(response, reason, code)
        if body is None and status >= HTTPStatus.BAD_REQUEST:
            reason = response.reason or "no message"
        if status == HTTPStatus.BAD_REQUEST and self.mentions_page_size(reason):
            raise PageSizeRefused(path, self.page_size, reason)
        if status >= HTTPStatus.BAD_REQUEST:
            raise self.request_refused(response, reason)
        self.check_delivered(response)
        if isinstance(body, dict) and body.get("result") is False:
            raise FatalAPIError(f"Gainsight CS answered {path} with an error: {reason}")

    @override
    def request_refused(self, response: requests.Response, message: str) -> FatalAPIError:
        path = urlsplit(response.url).path or self.path
        return FatalAPIError(
            f"Gainsight CS rejected {path} (HTTP {response.status_code}): {message}"
        )

    @override
    def core_request(self) -> requests.PreparedRequest:
        return self.build_prepared_request(
            method="POST",
            url=self.url_base + CORE_PATH,
            json={"select": ["Gsid"], "limit": 1},
            headers=self.http_headers,
        )

    @override
    def at_core(self, response: requests.Response) -> bool:
        return urlsplit(response.url).path.lower().endswith(CORE_PATH.lower())

    @override
    def key_refused(self, status: int, code: str | None = None) -> KeyRefused:
        why = f"HTTP {status}, {code}" if code else f"HTTP {status}"
        return KeyRefused(
            f"Gainsight CS refused the access key ({why}) at {self.where()}. Check that "
            "cs_access_key is a current access key of that tenant (Administration > "
            "Connectors 2.0 > Gainsight API) and that cs_api_url is the tenant's own domain."
        )

    @override
    def records_of(self, response: requests.Response) -> list[dict]:
        """Return a page's records: `data` as a list, or `data.records` (both documented).

        An object with neither (`{}`, `data` absent or null) is an empty page, said once.

        Raises:
            UnexpectedResponseError: If the body is no JSON object, or `data` is something else.
        """
        body = response_body(response)
        data = [] if is_no_data(body) else data_list(body)
        if data is not None:
            return data
        if isinstance(body, dict) and not isinstance(body.get("data"), (str, int, float, bool)):
            self.note_departure(
                f"an answer without data records (keys: {', '.join(sorted(body)) or 'none'})",
                "it is read as an empty page",
            )
            return []
        keys = ", ".join(sorted(body)) if isinstance(body, dict) else type(body).__name__
        msg = f"{self.path} answered without data records (got {keys})."
        raise UnexpectedResponseError(msg)

    def call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, t.Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        """Send one request (paced, retried, validated) outside the paging loop."""
        prepared = self.build_prepared_request(
            method=method,
            url=f"{self.url_base}{path}",
            json=body,
            params=params,
            headers=self.http_headers,
        )
        return self.request_decorator(self._request)(prepared, None)
