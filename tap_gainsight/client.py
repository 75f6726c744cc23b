"""The HTTP base of every stream: what PX and CS requests have in common."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading
import time
import typing as t
from contextvars import ContextVar
from functools import cached_property
from http import HTTPStatus
from urllib.parse import urlsplit

import backoff
import requests
from singer_sdk import RESTStream, SchemaDirectory, StreamSchema, Tap
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from singer_sdk.streams.rest import PageContext
from typing_extensions import override

from tap_gainsight import schemas
from tap_gainsight.errors import (
    EXPLAINED_FAILURES,
    RETRIABLE_ERRORS,
    EndpointRefused,
    KeyRefused,
    PageSizeRefused,
    end_sync,
    explain,
)
from tap_gainsight.logs import SDK_INTERNAL_LINES
from tap_gainsight.progress import StreamProgress, Total
from tap_gainsight.responses import response_body
from tap_gainsight.retries import FirstContact, retry_waits
from tap_gainsight.schema_watch import SchemaWatch
from tap_gainsight.settings import (
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
    DEFAULT_RETRY_MAX_TRIES,
    DEFAULT_RETRY_MAX_WAIT_SECONDS,
)
from tap_gainsight.timestamps import (
    epoch_ms_of,
    epoch_ms_to_rfc3339,
    is_rfc3339_utc,
    parse_setting_datetime,
    to_epoch_ms,
)

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from singer_sdk.helpers.types import Context
    from singer_sdk.mapper import StreamMap

    from tap_gainsight.departures import Departures
    from tap_gainsight.rate_limit import RequestLimiter
    from tap_gainsight.run import Run

    RequestFunc = Callable[[requests.PreparedRequest, t.Any], requests.Response]
    RetryRequestFunc = Callable[[requests.PreparedRequest, t.Any], requests.PreparedRequest]

SCHEMAS = SchemaDirectory(schemas)

#: Longest wait for a connection, whatever `request_timeout_seconds` says.
CONNECT_TIMEOUT_SECONDS = 10

#: Each thread's `requests.Session` (the syncing thread's, and each event reader's).
_SESSIONS = threading.local()
#: When the retries of the request being sent on this thread must end (monotonic), if set.
_RETRIES_END_AT: ContextVar[float | None] = ContextVar("retries_end_at", default=None)
#: How an API words a refused page size: `pageSize` (PX), `limit` (CS).
PAGE_SIZE_WORDS = re.compile(r"page\s*_?size|\blimit\b", re.IGNORECASE)


class RunningTap(t.Protocol):
    """What a stream needs of its tap beyond the SDK's `Tap`: the run's shared objects."""

    @property
    def run(self) -> Run:
        """What every stream of the run shares (`run.py`)."""
        ...


class GainsightStream(RESTStream[t.Any]):
    """The HTTP base of every stream, PX and CS: sessions, pace, retries, refusals, records.

    Each product's base (`px.client`, `cs.client`) fills in the hooks that raise
    `NotImplementedError`: where requests go, how they authenticate, which limiter paces
    them, where a page keeps its records and how its errors read.
    """

    schema = StreamSchema(SCHEMAS)
    #: Records are JSON already; `post_process` converts the dates and adds the fields the
    #: schema lacks to it, where the SDK's per-record conformance would drop them.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: A redirect to another host would carry the credential there.
    allow_redirects = False
    #: What the stream sends to authenticate and which settings say where, for messages.
    credential_name = "credential"
    address_settings = "base URL"
    #: The product's core endpoint, which every key that reads anything reads.
    core_name = "the core endpoint"
    #: The endpoint's largest accepted page size (the API answers 400 above it).
    max_page_size: int = 1000
    #: The endpoints whose page size the API limits alike (None: this one alone).
    page_size_group: str | None = None
    #: Fields whose values may be of any JSON type, sent as their JSON text (as declared).
    text_fields: frozenset[str] = frozenset()
    #: Set as the stream's turn comes: only then are its records checked and counted.
    _syncing = False

    def __init__(self, tap: Tap, *args: t.Any, **kwargs: t.Any) -> None:
        #: What every stream of the run shares (limiters, the event reader, departures).
        self.run: Run = t.cast("RunningTap", tap).run
        super().__init__(tap, *args, **kwargs)
        self.logger.addFilter(SDK_INTERNAL_LINES)  # e.g. "Pagination stopped after 0 pages"
        self.progress = self.new_progress()

    # The product's hooks.

    @property
    def request_limiter(self) -> RequestLimiter:
        """The process-wide pace (and budget) this product's requests go through."""
        raise NotImplementedError

    def where(self) -> str:
        """Where requests go, as a user would check it in the settings."""
        raise NotImplementedError

    def records_of(self, response: requests.Response) -> list[dict]:
        """Return the records of one page (parsed once, shared with the paginator)."""
        raise NotImplementedError

    def core_request(self) -> requests.PreparedRequest:
        """A cheap request to the product's core endpoint (what `--test` sends too)."""
        raise NotImplementedError

    def at_core(self, response: requests.Response) -> bool:
        """Whether `response` answers the product's core endpoint."""
        raise NotImplementedError

    def key_refused(self, status: int, code: str | None = None) -> KeyRefused:
        """The one-line failure of a refused key, naming the settings to check."""
        raise NotImplementedError

    def request_refused(self, response: requests.Response, message: str) -> FatalAPIError:
        """The failure for a 4xx that no general rule explains: the request's own fault."""
        raise NotImplementedError

    # Requests: timeouts, sessions, pace and retries.

    @property
    @override
    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "User-Agent": self.user_agent}

    @property
    @override
    def timeout(self) -> tuple[float, float]:  # type: ignore[override]
        """(connect, read) timeouts of a try: a retry's are cut to the retry time left."""
        read = self.read_timeout
        end_at = _RETRIES_END_AT.get()
        if end_at is not None:
            read = max(0.01, min(read, end_at - time.monotonic()))
        return (min(CONNECT_TIMEOUT_SECONDS, read), read)

    @property
    def read_timeout(self) -> float:
        """The read timeout of a request (`request_timeout_seconds`), in seconds."""
        return float(self.config.get("request_timeout_seconds", DEFAULT_REQUEST_TIMEOUT_SECONDS))

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        return self.retrying(func)

    def retrying(
        self, func: RequestFunc, request_for_retry: RetryRequestFunc | None = None
    ) -> RequestFunc:
        """Pace every try of `func` through the tap's limiter and retry what is worth retrying.

        Each failed try is retried after a wait (the server's `Retry-After`, else jittered
        doubling), within `retry_max_tries`, and within `retry_max_wait_seconds` from the
        first failure, the tries' own time included: a retry's timeouts are cut to the time
        left, and none is begun with less than `retries.MIN_TRY_SECONDS` left. A host that
        has not answered once in the run is given only a quick try or two (`FirstContact`).
        `request_for_retry`, if given, may replace the request a retry sends.
        """
        first_contact = self.run.first_contact
        retry_seconds = float(
            self.config.get("retry_max_wait_seconds", DEFAULT_RETRY_MAX_WAIT_SECONDS)
        )
        # When the retries of the series of tries under way must end (None: none failed yet).
        end_at: float | None = None

        def new_series(details: t.Any) -> None:
            nonlocal end_at
            if details["tries"] == 1:
                end_at = None

        def time_left() -> float | None:
            return None if end_at is None else end_at - time.monotonic()

        def send(prepared_request: requests.PreparedRequest, context: t.Any) -> requests.Response:
            nonlocal end_at
            if end_at is not None and request_for_retry is not None:
                prepared_request = request_for_retry(prepared_request, context)
            self.request_limiter.acquire()
            self.progress.count_request()
            began = time.monotonic()
            retries_end_at = _RETRIES_END_AT.set(end_at)
            try:
                response = func(prepared_request, context)
            except RETRIABLE_ERRORS as error:
                if end_at is None:
                    end_at = time.monotonic() + retry_seconds
                first_contact.failed(
                    prepared_request.url,
                    error,
                    self.address_settings,
                    began=began,
                    within=self.read_timeout,
                )
                raise
            finally:
                _RETRIES_END_AT.reset(retries_end_at)
            first_contact.answered(prepared_request.url)
            return response

        retrying: RequestFunc = backoff.on_exception(
            functools.partial(retry_waits, time_left),
            RETRIABLE_ERRORS,
            max_tries=int(self.config.get("retry_max_tries", DEFAULT_RETRY_MAX_TRIES)),
            on_try=new_series,
            on_backoff=self.backoff_handler,
            jitter=None,
            logger=None,
        )(send)
        return retrying

    @property
    @override
    def requests_session(self) -> requests.Session:
        """A session per thread, shared by every stream: each keeps its connections alive."""
        session: requests.Session | None = getattr(_SESSIONS, "session", None)
        if session is None:
            session = _SESSIONS.session = requests.Session()
        return session

    def prepared_request(self, context: Context | None, token: t.Any) -> requests.PreparedRequest:
        """The request for one page, authenticated, built from the SDK's public hooks.

        As the SDK's own loop builds it: the URL, parameters and headers of
        `get_http_request`, and its body (`prepare_request_payload`) as JSON.
        """
        request = self.get_http_request(page=PageContext(context, token))
        body = {"json": request.data} if self.payload_as_json else {"data": request.data}
        return self.build_prepared_request(
            method=request.method,
            url=request.url,
            params=request.encode_params(),
            headers=request.headers,
            **body,
        )

    @override
    def backoff_handler(self, details: t.Any) -> None:
        self.logger.warning(
            "%s; try %d failed, trying again in %.1f s.",
            explain(details["exception"]),
            details["tries"],
            details["wait"],
        )

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        if self.name in self.run.skipped:
            return  # refused earlier this run (e.g. for another parent record)
        self.begin_progress()
        progress, key = self.progress, self.replication_key
        bookmark = self.bookmark(context)
        reread_until = to_epoch_ms(bookmark) if bookmark and key else None
        while True:
            try:
                # The SDK's `get_records` is `yield from request_records`: one generator less.
                for record in self.request_records(context):
                    progress.record()
                    if reread_until is not None:  # a lookback: count what is read again
                        moment = epoch_ms_of(record.get(key))
                        if moment is not None and moment <= reread_until:
                            progress.rereads += 1
                    yield record
            except PageSizeRefused as refusal:
                if progress.records == 0 and self.smaller_pages(refusal):
                    continue  # nothing was sent yet: read again from the start
                end_sync(self._tap, refusal, self.departures)
            except EndpointRefused as refusal:
                self.skip(refusal)
            except EXPLAINED_FAILURES as failure:
                end_sync(self._tap, failure, self.departures)
            break
        self.finish()

    def ask_core(self) -> None:
        """Send the core request, paced and retried like any (raises if refused)."""
        self.request_decorator(self._request)(self.core_request(), None)

    def bookmark(self, context: Context | None) -> dt.datetime | None:
        """The replication key value saved by an earlier run (None: a first or full run).

        Unlike the SDK's `get_starting_timestamp`, `start_date` plays no part: each stream
        says itself whether `start_date` bounds it (only the event history does).
        """
        if self.replication_method == REPLICATION_FULL_TABLE:
            return None  # forced full table (e.g. by catalog metadata): read everything
        # Read without writing: the SDK's accessors add an empty entry to the state, which a
        # stream asked early (its first page read ahead) must not do before its turn.
        state = (
            self.get_context_state(context)
            if context
            else self.tap_state.get("bookmarks", {}).get(self.name, {})
        )
        value = state.get("replication_key_value")
        return parse_setting_datetime(value) if value else None

    def check_delivered(self, response: requests.Response) -> None:
        """Refuse a redirect, and retry a 2xx whose body is not JSON.

        Raises:
            FatalAPIError: On a redirect: following it would carry the credential elsewhere.
            RetriableAPIError: On a body that is not JSON (a proxy's page, a body cut short).
        """
        status = response.status_code
        if status >= HTTPStatus.MULTIPLE_CHOICES:
            target = urlsplit(response.headers.get("Location", "")).netloc or "another address"
            raise FatalAPIError(
                f"{self.path} answered with a redirect (HTTP {status}) to {target}, not followed "
                f"because it would carry the {self.credential_name}; set "
                f"{self.address_settings} to the final address."
            )
        try:
            response_body(response)
        except ValueError:
            # The same request may well succeed.
            raise RetriableAPIError(
                f"{self.path} answered HTTP {status} with a body that is not JSON", response
            ) from None

    def first_request(self, context: Context | None, token: t.Any) -> requests.PreparedRequest:
        """The first request a sync sends, for one record: `pageSize=1` (PX), `limit: 1` (CS).

        `token` is the first page's token: the request is built by the stream's own hooks
        (`prepared_request`), so `--test` asks what a sync would. The stream keeps a page
        size of one: it is for `--test` only.
        """
        self.asked_page_size = 1
        return self.prepared_request(context, token)

    def probe(self, request: requests.PreparedRequest, context: Context | None = None) -> None:
        """Send `request` once, paced but not retried, and validate its answer (`--test`).

        Raises:
            FatalAPIError: If the key or the endpoint refuses it, or on any other 4xx.
            RetriableAPIError: On a 429 or 5xx, or a body that is not JSON.
            HostUnreachable: If no connection could be made, or the host kept silent.
        """
        self.request_limiter.acquire()
        try:
            self._request(request, context)
        except RETRIABLE_ERRORS as error:
            FirstContact(tries=1).failed(request.url, error, self.address_settings)
            raise

    @override
    def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest:
        request = super().build_prepared_request(*args, **kwargs)
        request.register_hook("response", self._answered)
        return request

    def _answered(self, response: requests.Response, **kwargs: t.Any) -> requests.Response:
        """Tell the pace an answer arrived: a quota counted on arrival starts its window."""
        self.request_limiter.answered()
        return response

    @override
    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> Iterable[Context | None]:
        # No stream here has children; the SDK's default builds a child context for every
        # record and hands it to an empty list of children.
        return ()

    @cached_property
    def schema_watch(self) -> SchemaWatch:
        """What keeps every record fitting the schema the target was told."""
        return SchemaWatch(self, self.departures)

    @property
    def departures(self) -> Departures:
        """The run's record of where the API differed from docs/api.md."""
        return self.run.departures

    def note_departure(self, what: str, consequence: str) -> None:
        """Say once that this stream's endpoint answered otherwise than documented."""
        self.departures.note(self.path, what, consequence)

    # Refusals: the key's, one endpoint's, or a page size's (docs/api.md, "PX and CS:
    # refusals"); a refusal is the key's only if the core endpoint refuses it too.

    @cached_property
    def asked_page_size(self) -> int:
        """The configured page size, clamped to this endpoint's maximum."""
        return max(
            1, min(int(self.config.get("page_size", self.max_page_size)), self.max_page_size)
        )

    @property
    def page_size(self) -> int:
        """The page size asked: as configured, or less where the API refused that much."""
        group = self.page_size_group or self.path
        return min(self.asked_page_size, self.run.page_sizes.get(group, 1 << 31))

    def smaller_pages(self, refusal: PageSizeRefused) -> bool:
        """Ask pages half as big from now on: the API refused this size. False at one record."""
        if self.page_size <= 1:
            return False
        self.run.page_sizes[self.page_size_group or self.path] = self.page_size // 2
        self.note_departure(
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
        next run resumes there.
        """
        self.run.skipped[self.name] = f"{refusal.path}, HTTP {refusal.status}"
        self.departures.note(
            refusal.path,
            f"refused with HTTP {refusal.status} while the key reads {self.core_name}",
            f"the tenant lacks this module or the key this right: {self.name} is skipped "
            f"this run (the API said: {refusal.message})",
        )

    def refusal(
        self, response: requests.Response, message: str, code: str | None = None
    ) -> FatalAPIError:
        """What a 401, 403 or 404 means: the key refused, or one endpoint the tenant lacks.

        A 401 is always the key's, and so is a refusal from the core endpoint itself;
        anywhere else, the core endpoint is asked (once a run, `run.CoreCheck`).
        """
        status = response.status_code
        if status == HTTPStatus.UNAUTHORIZED or self.at_core(response):
            return self.key_refused(status, code)
        if self.run.core_check.key_reads(self.core_name, self.ask_core):
            return EndpointRefused(urlsplit(response.url).path or self.path, status, message)
        if status == HTTPStatus.NOT_FOUND:  # the core unknown too: a wrong address
            return self.request_refused(response, message)
        return self.key_refused(status, code)

    # Progress: lines while the stream reads, a summary, counted into the run's totals.

    def new_progress(self) -> StreamProgress:
        """A fresh count of this stream's records and requests."""
        return StreamProgress(
            self.name,
            self.logger,
            self.progress_position,
            self.progress_total,
            full_table=self.replication_method == REPLICATION_FULL_TABLE,
        )

    def begin_progress(self) -> None:
        """Start counting this stream's records and requests.

        Requests sent before the stream's turn (its first page, read ahead) stay counted.
        """
        self.run.sync_started(sum(1 for s in self._tap.streams.values() if s.selected))
        self._syncing = True
        before = self.progress.requests
        self.progress = self.new_progress()
        self.progress.requests = before

    def finish(self) -> None:
        """Log the stream's summary and count it done in the sync's total."""
        self.logger.info(
            "Done: %s: %s%s.", self.name, self.progress.summary(), self.summary_extra()
        )
        self.run.stream_done(self.progress)

    def summary_extra(self) -> str:
        """What else the summary line says, if anything (e.g. ", 3 skipped")."""
        return ""

    def progress_position(self) -> str:
        """Where the stream is, for progress lines (e.g. "window 3 of 58, ")."""
        return ""

    def progress_total(self) -> Total | None:
        """The records the stream has and has done, where the API told (progress lines)."""
        return None

    # Records made to fit the schema the target was told: dates, text fields, new fields.

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        return self.checked(self.records_of(response))

    def checked(self, records: list[dict]) -> list[dict]:
        """A page's records, each made to fit the schema in force before it is handed on.

        Only while the stream syncs: a discovery read (the attribute models) has no target.
        """
        if self._syncing:
            for name in self.text_fields:
                for record in records:
                    value = record.get(name)
                    if value is not None and type(value) is not str:
                        record[name] = json.dumps(value)
            self.schema_watch.check_page(records)
        return records

    @cached_property
    def _epoch_ms_fields(self) -> tuple[str, ...]:
        """Top-level fields the API sends as epoch ms and the schema declares date-time."""
        return tuple(
            name
            for name, prop in self.schema["properties"].items()
            if prop.get("format") == "date-time"
        )

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        for field in self._epoch_ms_fields:
            value = row.get(field)
            if type(value) is int:  # JSON gives exactly int (bool is not one here)
                # PX reports unknown dates as 0; 1970-01-01 would be a false fact.
                row[field] = epoch_ms_to_rfc3339(value) if value else None
            elif type(value) is str and not is_rfc3339_utc(value):
                self.schema_watch.conform(row, field)
        return row

    @property
    @override
    def stream_maps(self) -> list[StreamMap]:
        # Always the mapper's current maps: `SchemaWatch` registers a grown schema there, and
        # the SDK's own property would keep the maps it saw first.
        return self._tap.mapper.stream_maps[self.name]
