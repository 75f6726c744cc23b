"""Reliability over a real socket: faults, pacing, budgets, clear failures, signals."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import signal
import subprocess
import sys
import threading
import time
from email.utils import format_datetime

import pytest
import requests

from tap_gainsight.px.entities import PX_ENTITY_ENDPOINTS
from tap_gainsight.px.events import PX_EVENT_ENDPOINTS
from tap_gainsight.rate_limit import READING_AHEAD, RequestLimiter
from tap_gainsight.retries import retry_after_seconds, retry_waits
from tests.conftest import API_KEY, px_config
from tests.sync import SyncResult, catalog_for, error_lines, one_error_line, run_cli, run_sync

ALL_ENDPOINTS = [*PX_ENTITY_ENDPOINTS, *PX_EVENT_ENDPOINTS]


def recent_events_config(emulator, days: int = 40, **overrides) -> dict:
    start = emulator.tenant.now - dt.timedelta(days=days)
    return px_config(emulator, start_date=start.isoformat(), **overrides)


def assert_exactly_once(emulator, result: SyncResult, endpoints, since_ms: int = 0) -> None:
    """Each endpoint's records once: every entity, and the events at or after `since_ms`."""
    for endpoint in endpoints:
        key = getattr(endpoint, "primary_key", "eventId")
        held = [
            r
            for r in emulator.tenant.collections[endpoint.path]
            if key != "eventId" or r["date"] >= since_ms
        ]
        sent = [r[key] for r in result.records[endpoint.name]]
        assert len(sent) == len(set(sent)), f"{endpoint.name} sent a record twice"
        assert set(sent) == {r[key] for r in held}, f"{endpoint.name} lost records"


def test_full_sync_through_every_fault_loses_nothing_and_repeats_nothing(
    emulator, quick_retries
) -> None:
    faults = emulator.faults
    faults.error_rate = faults.reset_rate = faults.truncate_rate = faults.html_rate = 0.03
    faults.rate_limit_per_second = 40
    faults.block_duplicates_ms = 50
    config = recent_events_config(
        emulator, days=120, page_size=200, event_window_days=10, retry_max_tries=20
    )
    result = run_sync(config, streams=[e.name for e in ALL_ENDPOINTS])

    since = emulator.tenant.now_ms - 120 * 86_400_000
    assert_exactly_once(emulator, result, ALL_ENDPOINTS, since_ms=since)
    for fault in ("reset", "error", "html", "truncate", "rate_limit"):
        assert faults.injected[fault] > 0, f"no {fault} fault was injected: the test proves less"


def test_windows_read_ahead_through_every_fault_lose_nothing_and_repeat_nothing(
    emulator, quick_retries
) -> None:
    """Read ahead through faults: later windows and streams, reopened scrolls included."""
    faults = emulator.faults
    faults.latency_ms = 30
    faults.error_rate = faults.reset_rate = faults.truncate_rate = faults.html_rate = 0.03
    faults.block_duplicates_ms = 50
    config = recent_events_config(
        emulator, days=120, page_size=50, max_concurrency=4, retry_max_tries=20
    )
    events = list(PX_EVENT_ENDPOINTS)
    result = run_sync(config, streams=[e.name for e in events])

    since = emulator.tenant.now_ms - 120 * 86_400_000
    assert_exactly_once(emulator, result, events, since_ms=since)
    for fault in ("reset", "error", "html", "truncate"):
        assert faults.injected[fault] > 0, f"no {fault} fault was injected: the test proves less"
    assert emulator.most_in_flight > 1, "nothing was read ahead: the test proves less"


def test_expired_scroll_reopens_the_scroll_not_the_sync(emulator, quick_retries) -> None:
    emulator.faults.expire_scrolls = True
    result = run_sync(px_config(emulator, page_size=100), streams=["users"])
    assert emulator.faults.injected["expired_scroll"] == 1
    assert_exactly_once(emulator, result, [PX_ENTITY_ENDPOINTS[0]])
    opened = [r for r in emulator.requests if r.path == "/users" and "scrollId" not in r.params]
    assert len(opened) == 2, "one scroll, reopened once"
    assert opened[1].params["filter"][0].startswith("lastModifiedDate>=")


def test_duplicate_blocking_is_waited_out(emulator, quick_retries) -> None:
    emulator.faults.block_duplicates_ms = 60_000  # any repeat is blocked: none may happen
    result = run_sync(recent_events_config(emulator, days=30), streams=["session_events"])
    assert emulator.faults.injected["duplicate"] == 0
    assert result.records["session_events"]


@pytest.mark.parametrize("concurrency", [1, 8])
@pytest.mark.parametrize(("tap_pace", "expect_429"), [(20, False), (1000, True)])
def test_limiter_keeps_under_the_api_rate(emulator, tap_pace, expect_429, concurrency) -> None:
    emulator.faults.rate_limit_per_second = 25
    config = recent_events_config(
        emulator,
        days=30,
        event_window_days=1,
        max_requests_per_second=tap_pace,
        max_concurrency=concurrency,
    )
    run_sync(config, streams=["custom_events", "identify_events"])
    answered_429 = sum(r.status == 429 for r in emulator.requests)
    assert len(emulator.requests) >= 60
    if expect_429:
        assert answered_429 > 0, "without the limiter this API answers 429: the test can fail"
    else:
        # Paced at 20/s against the API's 25/s: what arrives late or early on a busy
        # machine has room, whichever thread sent it.
        assert answered_429 <= 2


def test_limiter_paces_requests_from_many_threads() -> None:
    limiter = RequestLimiter(10, window_ms=500)
    granted: list[float] = []
    lock = threading.Lock()

    def take(times: int) -> None:
        for _ in range(times):
            limiter.acquire()
            with lock:
                granted.append(time.monotonic())

    threads = [threading.Thread(target=take, args=(5,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    granted.sort()
    assert len(granted) == 40
    # No 500 ms holds more than 10 grants; so 40 grants span at least three full windows.
    for first, later in zip(granted, granted[10:], strict=False):
        assert later - first >= 0.45  # 50 ms for a thread slow to note its grant
    assert limiter.requests_sent == 40


def test_limiter_lets_the_request_waited_for_go_before_reading_ahead() -> None:
    """Under a pace, reading ahead takes only the slots the sync's own requests leave."""
    limiter = RequestLimiter(20, window_ms=1000)
    granted = {"waited for": 0, "ahead": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def take(kind: str) -> None:
        if kind == "ahead":
            READING_AHEAD.set(lambda: True)
        while not stop.is_set():
            limiter.acquire()
            with lock:
                granted[kind] += 1

    threads = [threading.Thread(target=take, args=(kind,)) for kind in ("waited for", "ahead")]
    threads += [threading.Thread(target=take, args=("ahead",)) for _ in range(2)]
    for thread in threads:
        thread.start()
    while sum(granted.values()) < 30:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    # Without the rule each of the three threads would take about a third.
    assert granted["waited for"] > 3 * granted["ahead"], granted

    # Nothing waited for: reading ahead has every slot.
    ahead_only = RequestLimiter(1000, window_ms=1000)
    READING_AHEAD.set(lambda: True)
    try:
        for _ in range(5):
            ahead_only.acquire()
    finally:
        READING_AHEAD.set(None)
    assert ahead_only.requests_sent == 5


@pytest.mark.parametrize(("args", "failed"), [((), "Sync failed"), (("--test",), "test failed")])
def test_rejected_key_is_one_line_naming_region_and_url(emulator, tmp_path, args, failed) -> None:
    secret = "wrong-key-4f9e1c2d7a"
    config = px_config(emulator, api_key=secret)
    result = run_cli(config, tmp_path, *args, env={"TAP_GAINSIGHT_LOGLEVEL": "DEBUG"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = [line for line in error_lines(result.stderr) if failed in line]
    assert "refused the API key (HTTP 401)" in line
    assert emulator.base_url in line
    assert "Read permission" in line
    assert secret not in result.stdout + result.stderr


def test_a_refused_px_key_fails_discovery_in_one_line(emulator, tmp_path) -> None:
    secret = "wrong-key-8c7b6a5d4e"
    result = run_cli(px_config(emulator, api_key=secret), tmp_path, "--discover")
    line = one_error_line(result)
    assert line.startswith("Discovery failed: Gainsight PX refused the API key (HTTP 401)")
    assert f"api_url {emulator.base_url}" in line
    assert "Read permission" in line
    assert "WARNING" not in result.stderr
    assert result.stdout == ""
    assert secret not in result.stdout + result.stderr
    # Refused once: the key is not tried again (the other model, or retries).
    assert len(emulator.requests) == 1


def test_connection_test_of_accounts_is_one_request_that_says_where(emulator, tmp_path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_for(px_config(emulator), ["accounts"])))
    emulator.reset_log()
    result = run_cli(px_config(emulator), tmp_path, "--test", "--catalog", str(catalog))
    assert result.returncode == 0
    assert f"Connection test passed: the API key is accepted at api_url {emulator.base_url}" in (
        result.stderr
    )
    assert [(r.path, r.params) for r in emulator.requests] == [
        ("/accounts", {"pageSize": ["1"]})
    ], "the core request, which the accounts stream need not repeat"
    assert result.stdout == ""


def test_other_client_errors_carry_the_apis_own_message(emulator, tmp_path) -> None:
    base_url = emulator.base_url + "/no-such-prefix"
    answer = requests.get(
        f"{base_url}/segment", headers={"X-APTRINSIC-API-KEY": API_KEY}, timeout=5
    )
    api_message = answer.json()["externalapierror"]["message"]
    result = run_cli(px_config(emulator, api_url=base_url), tmp_path, streams=["segments"])
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = [line for line in error_lines(result.stderr) if "Sync failed" in line]
    assert f"rejected /segment (HTTP 404): {api_message}" in line


def test_read_timeouts_are_retried_then_explained(emulator, tmp_path, monkeypatch) -> None:
    """Once the host has answered (silent from the start: tests/test_silent_host.py)."""
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_for(px_config(emulator), ["segments"])))
    answered: list[bool] = []

    def slow_after_the_first_answer() -> None:
        if answered:
            time.sleep(1.5)
        answered.append(True)

    monkeypatch.setattr(emulator.faults, "delay", slow_after_the_first_answer)
    config = px_config(emulator, request_timeout_seconds=1, retry_max_tries=2, page_size=5)
    result = run_cli(config, tmp_path, "--catalog", str(catalog))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = [line for line in error_lines(result.stderr) if "Sync failed" in line]
    assert "after retrying" in line
    assert f"No answer from {emulator.base_url}/segment within 1 s" in line
    retries = [line for line in result.stderr.splitlines() if "try 1 failed" in line]
    assert len(retries) == 1, "one retry: retry_max_tries counts the first try"


def test_request_budget_stops_cleanly_with_state(emulator, tmp_path) -> None:
    config = recent_events_config(emulator, days=60, max_requests_per_day=5, event_window_days=7)
    result = run_cli(config, tmp_path, streams=["custom_events"])
    assert result.returncode == 0
    assert "max_requests_per_day (5) reached" in result.stderr
    assert len([r for r in emulator.requests if r.path == "/events/custom"]) == 5
    stopped = SyncResult.from_lines(result.stdout.splitlines())
    assert (
        result.stdout.splitlines()[-1].startswith('{"type":"STATE"')
        or '"STATE"' in (result.stdout.splitlines()[-1])
    )
    last_date = stopped.records["custom_events"][-1]["date"]
    assert stopped.bookmark("custom_events") == last_date

    resumed = run_sync(
        px_config(emulator, start_date=config["start_date"], lookback_minutes=0),
        state=stopped.final_state,
        streams=["custom_events"],
    )
    sent = {r["eventId"] for r in stopped.records["custom_events"]}
    sent |= {r["eventId"] for r in resumed.records["custom_events"]}
    since = emulator.tenant.now_ms - 60 * 86_400_000
    held = emulator.tenant.collections["/events/custom"]
    assert sent == {e["eventId"] for e in held if e["date"] >= since}


class Redirecting(http.server.BaseHTTPRequestHandler):
    """Answers every request with a redirect to another host."""

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "https://collector.example.net/steal")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_redirects_are_not_followed(tmp_path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/v1"
        result = run_cli({"api_key": API_KEY, "api_url": url}, tmp_path, streams=["segments"])
    finally:
        server.shutdown()
    assert result.returncode == 1
    (line,) = [line for line in error_lines(result.stderr) if "Sync failed" in line]
    assert "redirect (HTTP 302) to collector.example.net" in line
    assert API_KEY not in result.stdout + result.stderr


def test_sigterm_ends_with_the_latest_state(emulator, tmp_path) -> None:
    config = recent_events_config(emulator, days=400, page_size=50, lookback_minutes=0)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog_for(config, ["page_view_events"])))
    command = [sys.executable, "-m", "tap_gainsight", "--config", str(config_file)]
    tap = subprocess.Popen(
        [*command, "--catalog", str(catalog_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert tap.stdout is not None
    lines = []
    for line in tap.stdout:
        lines.append(line)
        if sum('"RECORD"' in x for x in lines) == 300:
            tap.send_signal(signal.SIGTERM)
            break
    lines += tap.stdout.readlines()
    tap.wait(timeout=30)

    stopped = SyncResult.from_lines(lines)
    assert json.loads(lines[-1])["type"] == "STATE", "the last word is the state"
    sent = stopped.records["page_view_events"]
    assert 300 <= len(sent) < len(emulator.tenant.collections["/events/pageView"])
    # The SDK writes a RECORD, then advances the bookmark: a signal between the two leaves
    # the bookmark one record behind, which re-sends that record and loses nothing.
    assert stopped.bookmark("page_view_events") in {sent[-1]["date"], sent[-2]["date"]}

    resumed = run_sync(config, state=stopped.final_state, streams=["page_view_events"])
    since = emulator.tenant.now_ms - 400 * 86_400_000
    held = emulator.tenant.collections["/events/pageView"]
    together = {r["eventId"] for r in sent} | {
        r["eventId"] for r in resumed.records["page_view_events"]
    }
    assert together == {e["eventId"] for e in held if e["date"] >= since}


def test_retry_after_header_forms() -> None:
    def failure(value: str | None) -> Exception:
        response = requests.Response()
        if value is not None:
            response.headers["Retry-After"] = value
        error = Exception("x")
        error.response = response  # type: ignore[attr-defined]
        return error

    assert retry_after_seconds(failure("7")) == 7.0
    in_ten = format_datetime(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=10))
    assert 8 <= (retry_after_seconds(failure(in_ten)) or 0) <= 10
    assert retry_after_seconds(failure(None)) is None
    assert retry_after_seconds(Exception("no response")) is None


def test_retry_waits_stop_when_the_retry_time_left_is_too_short() -> None:
    left = [10.0]
    waits = retry_waits(lambda: left[0])
    next(waits)
    assert waits.send(Exception("503")) == 1.0
    left[0] = 1.9  # the next wait is at least 1 s: under a second would be left to try
    with pytest.raises(StopIteration):
        waits.send(Exception("503"))


def test_retry_waits_honour_retry_after_and_otherwise_grow() -> None:
    waits = retry_waits()
    next(waits)
    response = requests.Response()
    response.headers["Retry-After"] = "5"
    told = Exception("429")
    told.response = response  # type: ignore[attr-defined]
    assert waits.send(told) == 5.0
    untold = [waits.send(Exception("503")) for _ in range(8)]
    assert all(wait >= 1.0 for wait in untold), "never re-send without a wait"
    assert untold[-1] > untold[0]
    assert max(untold) <= 60.0
