"""A throwaway PostgreSQL server for tests, from the machine's server binaries."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import tempfile
import time
import typing as t
from pathlib import Path

import pytest

SKIP_REASON = (
    "PostgreSQL server binaries not found: install them (Debian: apt-get install postgresql) "
    "to run the PostgreSQL load test"
)
SERVER_USER = "postgres"  # the system user running the server when the tests run as root


@dataclasses.dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    database: str
    psql_path: str

    def psql(self, sql: str) -> list[list[str]]:
        """Rows of `sql` as text fields (`psql -At`); fails the test if the query fails."""
        result = subprocess.run(
            [self.psql_path, "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            env=os.environ
            | {
                "PGHOST": self.host,
                "PGPORT": str(self.port),
                "PGUSER": self.user,
                "PGDATABASE": self.database,
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            msg = f"psql failed ({result.returncode}) on {sql!r}:\n{result.stderr}"
            raise AssertionError(msg)
        return [line.split("\t") for line in result.stdout.splitlines()]


def server_bin_dir() -> Path | None:
    """Directory holding initdb, pg_ctl and postgres: PATH first, else the newest Debian one."""
    on_path = [shutil.which(name) for name in ("initdb", "pg_ctl", "postgres")]
    if all(on_path):
        return Path(t.cast("str", on_path[0])).resolve().parent
    debian = [
        path for path in Path("/usr/lib/postgresql").glob("*/bin") if path.parent.name.isdigit()
    ]
    for path in sorted(debian, key=lambda p: int(p.parent.name), reverse=True):
        if all((path / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return path
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> t.Iterator[PostgresServer]:
    """Start a PostgreSQL server on 127.0.0.1 with trust auth; stop it and delete its files."""
    bin_dir = server_bin_dir()
    if bin_dir is None:
        pytest.skip(SKIP_REASON)
    psql = (bin_dir / "psql") if (bin_dir / "psql").is_file() else shutil.which("psql")
    if psql is None:
        pytest.skip("psql not found: install the PostgreSQL client to run the load test")

    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="pg-test-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        prefix = ["runuser", "-u", SERVER_USER, "--"]
        shutil.chown(root, user=SERVER_USER)
    data, log = root / "data", root / "server.log"

    def run(*args: str) -> None:
        subprocess.run(
            [*prefix, *args], cwd=root, check=True, capture_output=True, text=True, timeout=120
        )

    port = free_port()
    started = False
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "--auth=trust", "--username=postgres")
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {port}\n"
                f"unix_socket_directories = '{root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        try:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "start")
        except subprocess.CalledProcessError as error:
            detail = log.read_text() if log.exists() else error.stderr
            msg = f"PostgreSQL did not start:\n{detail}"
            raise RuntimeError(msg) from error
        started = True
        server = PostgresServer("127.0.0.1", port, "postgres", "postgres", str(psql))
        wait_ready(server, bin_dir)
        yield server
    finally:
        if started:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def wait_ready(server: PostgresServer, bin_dir: Path, timeout: float = 30) -> None:
    """Block until the server accepts connections (pg_isready if present, else a query)."""
    pg_isready = bin_dir / "pg_isready"
    deadline = time.monotonic() + timeout
    while True:
        if pg_isready.is_file():
            args = ["-h", server.host, "-p", str(server.port), "-U", server.user, "-q"]
            ready = subprocess.run([str(pg_isready), *args], check=False).returncode == 0
        else:
            try:
                ready = server.psql("select 1") == [["1"]]
            except AssertionError:
                ready = False
        if ready:
            return
        if time.monotonic() > deadline:
            msg = f"PostgreSQL on port {server.port} not ready after {timeout} s"
            raise RuntimeError(msg)
        time.sleep(0.1)
