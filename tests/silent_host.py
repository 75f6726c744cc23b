"""A host on 127.0.0.1 that accepts connections and answers a few requests, then keeps silent.

A real listening socket: the tap's requests connect, are read, and (past the first
`answers`) get no byte back, as from a host behind a dead proxy or a hung backend. The
answered ones are passed on to an upstream server (an emulator) and its answer sent back.
It stops by itself after `lifetime` seconds, whatever the test does.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import typing as t
from urllib.parse import urlsplit

#: Headers that belong to one connection, not to the answer passed on.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class SilentHost:
    """Listens on 127.0.0.1; answers the first `answers` requests from `upstream`, then none.

    `silent_since` is when the first request went unanswered (`time.time()`, as log lines
    stamp it); `requests` counts the requests received, answered or not.
    """

    def __init__(self, *, answers: int = 0, upstream: str | None = None, lifetime: float = 120):
        if answers and upstream is None:
            raise ValueError("answering requests needs an upstream")
        self._answers = answers
        self._upstream = urlsplit(upstream) if upstream else None
        self._deadline = time.monotonic() + lifetime
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        #: The port it listens on.
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self.requests = 0
        #: The target (path and query) of every request, in the order they came.
        self.targets: list[str] = []
        self.silent_since: float | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> SilentHost:
        self._start(self._accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _start(self, target: t.Callable[..., None], *args: t.Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _running(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self._deadline

    def _accept(self) -> None:
        while self._running():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self._start(self._serve, connection)

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(0.1)
        buffer = b""
        with connection:
            while self._running():
                request, buffer = _one_request(connection, buffer, self._running)
                if request is None:
                    return
                with self._lock:
                    self.requests += 1
                    self.targets.append(request[1])
                    answer = self.requests <= self._answers
                    if not answer and self.silent_since is None:
                        self.silent_since = time.time()
                if not answer:
                    while self._running():  # the connection stays open, and silent
                        time.sleep(0.05)
                    return
                connection.sendall(self._pass_on(*request))

    def _pass_on(self, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        upstream = self._upstream
        assert upstream is not None
        client = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            client.request(method, target, body=body or None, headers=sent)
            answer = client.getresponse()
            content = answer.read()
            lines = [f"HTTP/1.1 {answer.status} {answer.reason}"]
            lines += [f"{k}: {v}" for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP]
            lines += [f"Content-Length: {len(content)}", "Connection: keep-alive"]
            return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + content
        finally:
            client.close()


def _one_request(
    connection: socket.socket, buffer: bytes, running: t.Callable[[], bool]
) -> tuple[tuple[str, str, dict[str, str], bytes] | None, bytes]:
    """Read one HTTP/1.1 request: (method, target, headers, body), and what follows it."""
    while b"\r\n\r\n" not in buffer:
        chunk = _receive(connection, running)
        if not chunk:
            return None, b""
        buffer += chunk
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = dict(line.split(": ", 1) for line in header_lines if ": " in line)
    length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), 0))
    while len(buffer) < length:
        chunk = _receive(connection, running)
        if not chunk:
            return None, b""
        buffer += chunk
    return (method, target, headers, buffer[:length]), buffer[length:]


def _receive(connection: socket.socket, running: t.Callable[[], bool]) -> bytes:
    """The next bytes the client sends; empty once it closed or the host stops."""
    while running():
        try:
            return connection.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return b""
    return b""
