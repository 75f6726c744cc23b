"""What both emulators share: a threaded loopback HTTP server, run and stopped cleanly."""

from __future__ import annotations

import contextlib
import signal
import socket
import struct
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, TypeVar

from typing_extensions import Self

RecordT = TypeVar("RecordT")
JSON_TYPE = "application/json;charset=UTF-8"


class Reply:
    """Writes one answer (or none) on a handler's connection, calling ``log(status)`` first
    (status 0: the connection was reset)."""

    def __init__(self, h: BaseHTTPRequestHandler, log: Callable[[int], None]) -> None:
        self.h, self.log = h, log

    def send(
        self,
        status: int,
        raw: bytes,
        content_type: str = JSON_TYPE,
        *,
        headers: dict[str, str] | None = None,
        close: bool = False,
    ) -> None:
        """Write one whole answer (``close``: and end the connection)."""
        self.log(status)
        h = self.h
        try:
            h.send_response(status)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                h.send_header(name, value)
            if close:
                h.send_header("Connection", "close")
                h.close_connection = True
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(raw)
        except OSError:  # the client went away
            h.close_connection = True

    def reset(self) -> None:
        """Close the socket with an RST and no answer at all."""
        self.log(0)
        self.h.close_connection = True
        with contextlib.suppress(OSError):
            linger = struct.pack("ii", 1, 0)
            self.h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.h.connection.close()


class EmulatorHandler(BaseHTTPRequestHandler):
    """One HTTP/1.1 connection to an emulator: every method goes to ``emulator._serve``."""

    protocol_version = "HTTP/1.1"
    sys_version = ""
    timeout = 30  # idle keep-alive connections are closed after 30 s
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        # Headers and body are two writes: without NODELAY, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no per-request logging."""

    def do_GET(self) -> None:
        self.server.emulator._serve(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server that knows its open connections, so it can cut them on stop.

    Clients keep connections alive (HTTP/1.1); without cutting them, their handler threads
    would outlive the server. Handlers reach the emulator as ``self.server.emulator``.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], emulator: Any
    ) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut kept-alive connections so that their handler threads end."""
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class ServedInBackground(Generic[RecordT]):
    """``start()``, ``stop()``, ``with`` and a request log for an emulator served from a daemon
    thread.

    A subclass names its request handler and thread, and may prepare itself in
    ``before_start()``.
    """

    handler: type[BaseHTTPRequestHandler]
    thread_name = "emulator"

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self._requests: list[RecordT] = []
        self._requests_lock = threading.Lock()

    @property
    def requests(self) -> list[RecordT]:
        """A copy of the request log, oldest first."""
        with self._requests_lock:
            return list(self._requests)

    def reset_log(self) -> None:
        """Clear the request log."""
        with self._requests_lock:
            self._requests.clear()

    def _log(self, record: RecordT) -> None:
        with self._requests_lock:
            self._requests.append(record)

    def before_start(self) -> None:
        """Called by ``start()`` before the server binds."""

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns self."""
        self.before_start()
        self._server = LoopbackServer(self._address, self.handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        server, self._server = self._server, None
        assert server is not None, "stop() of an emulator not started"
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def bound_address(self) -> tuple[str, int]:
        """Host and port served on (only once started)."""
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return str(host), int(port)


def serve_until_signalled(emulator: ServedInBackground[Any], announce: str) -> int:
    """Serve, print ``announce`` (the URL line) once listening, stop on SIGTERM or SIGINT.

    Returns the process exit code (0).
    """
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with emulator:
        print(announce.format(url=emulator.base_url), flush=True)
        while not stop.wait(0.5):
            pass
    return 0
