"""The HTTP side of the emulator: a real server on 127.0.0.1 speaking the PX REST API.

Each request, in order: the ``X-APTRINSIC-API-KEY`` header (else 401,
docs/api.md, "PX: hosts and authentication"); the faults (``faults.py``); routing (``/v1``,
and ``/v2/feature_ext`` outside it; else 404); the endpoint (``endpoints.py``, ``admin.py``).
Every request is logged as a ``RequestRecord`` before its answer is written, its ``path``
relative to ``/v1`` where it is under it, else whole.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from msgspec.json import encode

from .admin import PxAdmin
from .drift import Drift
from .endpoints import PxApi
from .errors import error_body
from .faults import DUPLICATE_MESSAGE, Faults
from .quirks import Quirks
from .scrolls import ScrollStore
from .serving import EmulatorHandler, Reply, ServedInBackground
from .tenant import Tenant

API_KEY_HEADER = "X-APTRINSIC-API-KEY"


@dataclass(frozen=True)
class RequestRecord:
    """One request as the emulator saw it. ``status`` is 0 when the connection was reset."""

    method: str
    path: str
    params: dict[str, list[str]]
    status: int


class _Handler(EmulatorHandler):
    server_version = "PX-Emulator/1.0"
    #: Whether the answer to the current request has started (it no longer counts in flight).
    answered = False


class Emulator(ServedInBackground[RequestRecord]):
    """A running (once ``start()``-ed) Gainsight PX API for one tenant.

    With ``warm`` (the default) ``start()`` first calls ``warm_up()``.
    """

    def __init__(
        self,
        tenant: Tenant | None = None,
        *,
        api_key: str = "emulator-key",
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        quirks: Quirks | None = None,
        warm: bool = True,
    ) -> None:
        #: The data being served (mutable: ``tenant.advance()``...).
        self.tenant = tenant if tenant is not None else Tenant.generate()
        #: The only accepted ``X-APTRINSIC-API-KEY``.
        self.api_key = api_key
        self._warm = warm
        super().__init__(host, port)
        #: Fault and quirk switches, mutable while serving.
        self.faults = faults if faults is not None else Faults()
        self.quirks = quirks if quirks is not None else Quirks()
        #: The data of the admin, monitoring and extended endpoints (``admin.py``).
        self.admin = PxAdmin(self.tenant)
        self._api = PxApi(self.tenant, self.quirks, ScrollStore(self.tenant.seed), self.admin)
        self._in_flight_lock = threading.Lock()
        self._in_flight = self._most_in_flight = 0

    handler = _Handler
    thread_name = "px-emulator"

    def before_start(self) -> None:
        """Warm up first unless made with ``warm=False``."""
        if self._warm:
            self.warm_up()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (only once started)."""
        host, port = self.bound_address()
        return f"http://{host}:{port}/v1"

    @property
    def drifted(self) -> dict[str, dict[Hashable, list[Drift]]]:
        """What ``Quirks.drifted_types`` has sent so far: stream -> record key -> ``Drift``s
        (``drift.py``; e.g. ``drifted["/users"][aptrinsicId]``)."""
        return self._api.drifted

    def warm_up(self) -> int:
        """Index and JSON-encode every event now, not on first read (``index.py``); later
        changes are indexed on use. Returns how many events."""
        return self._api.indexes.warm()

    @property
    def most_in_flight(self) -> int:
        """The most requests being answered at one time since the start (or ``reset_log()``)."""
        return self._most_in_flight

    def reset_log(self) -> None:
        """Clear the request log and the in-flight high-water mark."""
        super().reset_log()
        self._most_in_flight = 0

    def _serve(self, h: _Handler) -> None:
        with self._in_flight_lock:
            self._in_flight += 1
            self._most_in_flight = max(self._most_in_flight, self._in_flight)
        h.answered = False
        try:
            self._answer(h)
        finally:
            self._answering(h)

    def _answering(self, h: _Handler) -> None:
        """Stop counting a request in flight as its answer starts.

        The client may send its next request before this thread has finished writing.
        """
        if not h.answered:
            h.answered = True
            with self._in_flight_lock:
                self._in_flight -= 1

    def _route(self, url_path: str) -> tuple[bool, str]:
        """(whether the API serves it, the path it is known and logged by).

        Below ``/v1`` the path is relative (``/users``); outside it, whole (``/v2/feature_ext``);
        ``/v1/v2/...`` is not ``/v2/...``: it stays a whole, unknown path.
        """
        if url_path.startswith("/v1/") and not url_path.startswith("/v1/v2/"):
            return True, url_path[3:]
        return self._api.serves_root_path(url_path), url_path

    def _answer(self, h: _Handler) -> None:  # noqa: PLR0911 - one return per pipeline exit
        url = urlsplit(h.path)
        params = parse_qs(url.query, keep_blank_values=True)
        in_api, path = self._route(url.path)
        reply = _Reply(self, h, path, params)

        if h.headers.get(API_KEY_HEADER) != self.api_key:
            return reply.json(401, error_body(401, f"Missing or invalid {API_KEY_HEADER} header"))

        # Faults, in the order documented in faults.py.
        f = self.faults
        f.delay()
        if f.rate_limited():
            body = error_body(429, "Rate limit exceeded, please retry later")
            return reply.json(429, body, headers={"Retry-After": "1"})
        if f.gateway_fault(reply, lambda status, message: encode(error_body(status, message))):
            return None
        if not in_api:
            return reply.json(404, error_body(404, f"No handler found for GET {url.path}"))
        key = self._api.request_key(path, params)
        if f.is_duplicate(key):
            return reply.json(429, error_body(429, DUPLICATE_MESSAGE))
        scroll_id = self._api.continuation_id(path, params)
        if scroll_id is not None and f.take_expired_scroll():
            self._api.scrolls.expire(scroll_id)
            f.mark_answered(key)
            return reply.json(400, self._api.invalid_scroll(scroll_id).body)

        response = self._api.handle(path, params)
        f.mark_answered(key)
        return f.answer(reply, response.status, response.encode())


class _Reply(Reply):
    """Writes one answer (or none), logged first; from then on it no longer counts in flight."""

    def __init__(
        self, emulator: Emulator, h: _Handler, path: str, params: dict[str, list[str]]
    ) -> None:
        def log(status: int) -> None:
            emulator._log(RequestRecord(h.command, path, params, status))
            emulator._answering(h)

        super().__init__(h, log)

    def json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, encode(body), headers=headers)
