"""The HTTP side of the CS emulator: a real server on 127.0.0.1 speaking the CS Data API.

``base_url`` is the tenant's domain root; paths start with ``/v1/`` (docs/api.md, "CS:
transport and limits"): the objects list (GET) and describe (``metadata``), and the query of
any object or delete log (``query``, ``deletes``). Each request, in order, first match
answering: the body read; the ``accesskey`` header (name case-insensitive, else 401
``GS_APIG_2401``); ``faults.latency_ms``; the per-minute quota (``ratelimit``, 429 with
``Retry-After``); the gateway's ``Faults`` (a reset, a 5xx, an HTML page; not the PX
API's own); routing (404, 405, the ``CSQuirks``); the endpoint; ``truncate_rate``.
Every request is logged as a ``CSRequestRecord`` before its answer is written.
"""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from msgspec.json import encode

from tests.emulator.drift import drift_record
from tests.emulator.faults import Faults
from tests.emulator.serving import EmulatorHandler, Reply, ServedInBackground
from tests.emulator.tenant import uuid4

from .deletes import DELETE_LOG_FIELDS, DELETE_LOGS, HIGH_VOLUME_LOG
from .errors import (
    INVALID_ACCESS_KEY,
    LIMIT_TOO_HIGH,
    NO_ENTITY,
    NO_ENTITY_DESC,
    RATE_LIMITED,
    UNKNOWN_OBJECT,
    CSError,
    ObjectNotFound,
    bad_query,
    envelope,
)
from .metadata import describe, object_list
from .objects import find_object
from .query import parse_query
from .quirks import CSQuirks
from .ratelimit import RateLimiter
from .tenant import CSTenant
from .worlds import field_refusal, object_refusal, page_cap, text_dated

ACCESS_KEY_HEADER = "accesskey"
QUERY_PATH = re.compile(r"/v1/data/objects/query/([^/]+)")
DESCRIBE_PATH = "/v1/meta/services/objects/describe"
LIST_PATH = "/v1/meta/services/objects/list"


@dataclass(frozen=True)
class CSRequestRecord:
    """One request as the emulator saw it. ``path`` includes ``/v1`` and no query string,
    which is ``query`` (``"po=company&em=false"``); ``body`` is the parsed JSON (None if absent
    or not JSON); ``status`` is 0 when the connection was reset."""

    method: str
    path: str
    body: Any
    status: int
    query: str = ""


class _Handler(EmulatorHandler):
    server_version = "CS-Emulator/1.0"

    def read_body(self) -> bytes:
        """The request body (of ``Content-Length``)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


class CSEmulator(ServedInBackground[CSRequestRecord]):
    """A running (once ``start()``-ed) Gainsight CS Data API for one tenant."""

    def __init__(
        self,
        tenant: CSTenant | None = None,
        *,
        access_key: str = "cs-emulator-key",
        host: str = "127.0.0.1",
        port: int = 0,
        requests_per_minute: int | None = 100,
        faults: Faults | None = None,
        quirks: CSQuirks | None = None,
    ) -> None:
        #: The data being served (mutable: ``advance()``, ``touch()``, ``delete()``).
        self.tenant = tenant if tenant is not None else CSTenant.generate()
        #: The only accepted ``accesskey`` header value.
        self.access_key = access_key
        super().__init__(host, port)
        #: Fault and quirk switches, mutable while serving.
        self.faults = faults if faults is not None else Faults()
        self.quirks = quirks if quirks is not None else CSQuirks()
        #: The per-minute quota (``per_minute`` is mutable; ``refused`` counts 429s).
        self.rate_limiter = RateLimiter(requests_per_minute)
        self._ids = random.Random(self.tenant.seed)
        self._ids_lock = threading.Lock()

    handler = _Handler
    thread_name = "cs-emulator"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, the tenant's domain (no ``/v1``; only once started)."""
        host, port = self.bound_address()
        return f"http://{host}:{port}"

    def _request_id(self) -> str:
        with self._ids_lock:
            return uuid4(self._ids)

    def _serve(self, h: _Handler) -> None:
        try:
            raw_body = h.read_body()
        except (OSError, ValueError):
            h.close_connection = True
            return None
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        path = urlsplit(h.path).path
        reply = _Reply(self, h, body, self._request_id())

        if h.headers.get(ACCESS_KEY_HEADER) != self.access_key:
            return reply.error(CSError(401, INVALID_ACCESS_KEY, "Invalid access key"))

        f = self.faults
        f.delay()
        wait = self.rate_limiter.acquire()
        if wait is not None:
            error = CSError(429, RATE_LIMITED, "Rate limit exceeded: too many requests per minute")
            return reply.error(error, headers={"Retry-After": str(wait)})
        if f.gateway_fault(reply, lambda status, desc: reply.body_of(CSError(status, None, desc))):
            return None

        try:
            status, data = self._route(h.command, path, raw_body, body, reply.request_id)
        except CSError as error:
            return reply.error(error)
        return f.answer(reply, status, encode(data))

    def _route(
        self, method: str, path: str, raw_body: bytes, body: Any, request_id: str
    ) -> tuple[int, Any]:
        match = QUERY_PATH.fullmatch(path)
        if match is not None or path == DESCRIBE_PATH:
            allowed = "POST"
        elif path == LIST_PATH:
            allowed = "GET"
        else:
            raise CSError(404, None, f"No handler found for {method} {path}")
        if method != allowed:
            raise CSError(405, None, f"Request method '{method}' not supported")
        if path == DESCRIBE_PATH and self.quirks.describe_unavailable:
            raise CSError(404, None, f"No handler found for {method} {path}")
        if allowed == "POST" and raw_body and body is None:
            raise bad_query("Malformed JSON request body")
        if match is not None:
            return self._query(match.group(1), body, request_id)
        if path == LIST_PATH:
            data = object_list(
                self.tenant.objects, person_missing=self.quirks.person_missing_from_list
            )
        else:
            data = describe(body, self._instance())
        return 200, {"requestId": request_id, "result": True, "data": data}

    def _instance(self) -> str:
        """The ``instance`` of an OBJECT_NOT_FOUND answer: the tenant clock."""
        return self.tenant.now.strftime("%Y-%m-%d %H:%M:%S UTC")

    def _query(self, name: str, body: Any, request_id: str) -> tuple[int, Any]:
        """``POST /v1/data/objects/query/{objectName}`` (docs/api.md, "CS: query, paging and
        order"), with the worlds of ``CSQuirks`` in the order ``worlds`` gives; only
        ``page_cap`` applies to the delete logs, and drifts come before ``select``."""
        log = name.lower() if name.lower() in DELETE_LOGS else None
        if log == HIGH_VOLUME_LOG and not self.tenant.high_volume_log:
            raise ObjectNotFound(self._instance())
        quirks = self.quirks
        obj = None if log is not None else find_object(name)
        if log is not None:
            key, fields = log, DELETE_LOG_FIELDS
        elif obj is None:
            raise CSError(400, UNKNOWN_OBJECT, f"Invalid object name: {name}")
        else:
            key, fields = obj.name, obj.field_types
            if (refusal := object_refusal(quirks, obj, name)) is not None:
                raise refusal
        text_dates = quirks.text_dates if obj is not None else None
        limit = body.get("limit") if isinstance(body, dict) else None
        if quirks.max_limit and isinstance(limit, int) and limit > int(quirks.max_limit):
            raise CSError(
                400, LIMIT_TOO_HIGH, f"limit must not exceed {quirks.max_limit}, got {limit}"
            )
        query = parse_query(body, fields, text_dates=text_dates is not None)
        if obj is not None and (refusal := field_refusal(quirks, obj, query.select)) is not None:
            raise refusal
        with self.tenant.lock:
            page = query.page(
                self.tenant.collections[key],
                order_ignored=quirks.order_ignored,
                cap=page_cap(quirks),
            )
        if log is None and quirks.drifted_types:
            page = [drift_record(key, record)[0] for record in page]
        records = query.project(page)
        if text_dates is not None:
            records = text_dated(records, fields, text_dates)
        if not records:
            if quirks.empty_as_http_400:
                raise CSError(400, NO_ENTITY, NO_ENTITY_DESC)
            return 200, envelope(request_id, error_code=NO_ENTITY, error_desc=NO_ENTITY_DESC)
        if log is not None:  # the delete-log sample: data.records, plus two localized keys
            answer = envelope(request_id, data={"records": records})
            return 200, {**answer, "localizedErrorDesc": None, "localizedMessage": None}
        data: Any = records if quirks.data_as_list else {"records": records}
        return 200, envelope(request_id, data=data)


class _Reply(Reply):
    """Writes one answer (or none), logged first; ``error`` in the CS envelope."""

    def __init__(self, emulator: CSEmulator, h: _Handler, body: Any, request_id: str) -> None:
        path, _, query = h.path.partition("?")

        def log(status: int) -> None:
            emulator._log(CSRequestRecord(h.command, path, body, status, query))

        super().__init__(h, log)
        self.request_id = request_id

    def body_of(self, error: CSError) -> bytes:
        return encode(error.body(self.request_id))

    def error(self, error: CSError, headers: dict[str, str] | None = None) -> None:
        self.send(error.status, self.body_of(error), headers=headers)
