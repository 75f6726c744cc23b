"""A host that cannot be reached fails the run fast, in one line; a passing outage is waited out."""

from __future__ import annotations

import json
import socket
import ssl
import time

import pytest
import requests
from urllib3.exceptions import MaxRetryError, ProtocolError, SSLError

from tap_gainsight.errors import HostUnreachable, connect_failure, explain
from tap_gainsight.px.entities import PX_ENTITY_ENDPOINTS
from tap_gainsight.retries import FirstContact
from tap_gainsight.tap import TapGainsight
from tests.conftest import API_KEY, CS_ACCESS_KEY, px_config
from tests.sync import catalog_for, error_lines, run_cli, run_sync


def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def refused_error(url: str) -> requests.exceptions.ConnectionError:
    """The error `requests` raises for a refused connection, made for real."""
    try:
        requests.get(url, timeout=5)
    except requests.exceptions.ConnectionError as error:
        return error
    raise AssertionError(f"{url} answered")


PX_DOWN = {"api_key": API_KEY, "api_url": "http://127.0.0.1:{port}/v1"}
CS_DOWN = {"cs_access_key": CS_ACCESS_KEY, "cs_api_url": "http://127.0.0.1:{port}"}


def down(config: dict, port: int) -> dict:
    return {key: value.format(port=port) for key, value in config.items()}


def assert_one_line_naming(result, started: float, base_url: str, setting: str) -> str:
    assert result.returncode == 1
    assert time.monotonic() - started < 60
    assert "Traceback" not in result.stderr
    errors = error_lines(result.stderr)
    assert len(errors) == 1, errors
    (line,) = errors
    assert f"Cannot connect to {base_url}/" in line
    assert "(connection refused)" in line
    assert f"Check the {setting} setting" in line
    assert "HTTPConnectionPool" not in line
    assert "Max retries" not in result.stderr
    return line


@pytest.mark.parametrize(
    ("config", "base", "setting"),
    [(PX_DOWN, "/v1", "region or api_url"), (CS_DOWN, "", "cs_api_url")],
    ids=["px", "cs"],
)
@pytest.mark.parametrize("args", [("--discover",), ()], ids=["discover", "sync"])
def test_an_unreachable_host_fails_fast_in_one_line(tmp_path, config, base, setting, args) -> None:
    port = closed_port()
    started = time.monotonic()
    result = run_cli(down(config, port), tmp_path, *args)
    line = assert_one_line_naming(result, started, f"http://127.0.0.1:{port}{base}", setting)
    assert line.split("| ")[-1].startswith("Discovery failed:" if args else "Sync failed:")
    # Two quick tries, at most one warning between them.
    assert len([x for x in result.stderr.splitlines() if "| WARNING" in x]) <= 1
    assert result.stdout == ""


def test_a_sync_of_a_catalog_fails_fast_at_its_first_request(tmp_path, shared_emulator) -> None:
    """No discovery request here (events only): the first stream's request fails fast."""
    port = closed_port()
    config = down(PX_DOWN, port)
    catalog = catalog_for(px_config(shared_emulator), ["custom_events", "segments"])
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    started = time.monotonic()
    result = run_cli(config, tmp_path, "--catalog", str(tmp_path / "catalog.json"))
    line = assert_one_line_naming(
        result, started, f"http://127.0.0.1:{port}/v1", "region or api_url"
    )
    assert "Sync failed: Cannot connect" in line


def test_a_connection_test_of_an_unreachable_host_is_one_line(tmp_path) -> None:
    port = closed_port()
    result = run_cli(down(PX_DOWN, port), tmp_path, "--test")
    assert result.returncode == 1
    (line,) = error_lines(result.stderr)
    assert f"Connection test failed: Cannot connect to http://127.0.0.1:{port}/v1/" in line
    assert "tried once" in line


def test_a_reset_in_the_middle_of_a_run_is_retried(emulator, quick_retries) -> None:
    emulator.faults.reset_rate = 0.3
    names = [e.name for e in PX_ENTITY_ENDPOINTS]
    result = run_sync(px_config(emulator, page_size=50), streams=names)
    assert emulator.faults.injected["reset"] >= 3
    users = emulator.tenant.collections["/users"]
    assert len(result.records["users"]) == len(users)


def test_refused_after_the_host_answered_keeps_the_full_retry_budget(
    shared_emulator, quick_retries
) -> None:
    """An outage in the middle of a run (a restart, say) is waited out, not cut short."""
    tap = TapGainsight(config=px_config(shared_emulator, retry_max_tries=6), parse_env_config=False)
    stream = tap.streams["segments"]
    url = f"{shared_emulator.base_url}/segment"
    refused = refused_error(f"http://127.0.0.1:{closed_port()}/v1/segment")
    tries = []

    def send(request, context):
        tries.append(request.url)
        if len(tries) == 1:
            return "the first answer"
        if len(tries) <= 5:
            raise refused
        return "answered again"

    request = requests.Request("GET", url).prepare()
    send_retried = stream.retrying(send)
    assert send_retried(request, None) == "the first answer"
    assert send_retried(request, None) == "answered again"
    assert len(tries) == 6


def test_first_contact_allows_two_tries_of_a_host_never_reached() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1/users"
    refused = refused_error(url)
    assert connect_failure(refused) == "connection refused"
    assert explain(refused).startswith(f"Cannot connect to {url} (connection refused)")
    contact = FirstContact()
    contact.failed(url, refused, "api_url")
    with pytest.raises(HostUnreachable, match=r"tried 2 times\. Check the api_url setting"):
        contact.failed(url, refused, "api_url")
    # Another host has its own tries.
    contact.failed("http://localhost:1/v1/users", refused, "api_url")


def test_failures_once_connected_are_not_connect_failures() -> None:
    reset = requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
    )
    assert connect_failure(reset) is None
    assert connect_failure(requests.exceptions.ReadTimeout("read timed out")) is None
    assert connect_failure(requests.exceptions.ConnectTimeout("connect")) == "connecting timed out"


def test_a_host_name_that_does_not_resolve_fails_fast_in_one_line(tmp_path) -> None:
    # `.invalid` never resolves (RFC 6761).
    config = {"api_key": API_KEY, "api_url": "https://no-such-host.invalid/v1"}
    started = time.monotonic()
    result = run_cli(config, tmp_path, "--discover")
    assert result.returncode == 1
    assert time.monotonic() - started < 60
    (line,) = error_lines(result.stderr)
    assert "Discovery failed: Cannot connect to https://no-such-host.invalid/v1/" in line
    assert "(no such host: the name does not resolve), tried 2 times" in line
    assert "Traceback" not in result.stderr


def test_a_certificate_refused_says_why() -> None:
    fault = ssl.SSLCertVerificationError(1, "certificate verify failed")
    fault.verify_message = "self-signed certificate"
    wrapped = MaxRetryError(None, "/v1/users", reason=SSLError(fault))
    error = requests.exceptions.SSLError(wrapped)
    assert connect_failure(error) == "the TLS handshake failed: self-signed certificate"
    plain = requests.exceptions.SSLError(MaxRetryError(None, "/v1/users", reason=SSLError("x")))
    assert connect_failure(plain) == "the TLS handshake failed"
