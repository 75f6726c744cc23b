"""A host that accepts connections but never answers ends the run by itself, in one line.

Before the host has answered once, its silence for one read timeout ends the run; once it has
answered, silence is an outage and keeps the retry budget, which `retry_max_wait_seconds`
bounds from the first failure, the tries' own time included. Each test runs a real socket
(`tests/silent_host.py`).
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests

from tap_gainsight.client import CONNECT_TIMEOUT_SECONDS
from tap_gainsight.errors import HostUnreachable
from tap_gainsight.retries import FirstContact
from tap_gainsight.tap import TapGainsight
from tests.conftest import API_KEY, CS_ACCESS_KEY, px_config
from tests.meltano_project import install_plugins, meltano, meltano_env
from tests.silent_host import SilentHost
from tests.sync import SyncResult, catalog_for, error_lines, one_error_line, run_cli

#: `request_timeout_seconds` of these tests: short, so that they take seconds.
TIMEOUT = 3


def one_try(timeout: float) -> float:
    """The longest a try can take: connecting, then the read timeout."""
    return min(CONNECT_TIMEOUT_SECONDS, timeout) + timeout


def log_time(line: str) -> float:
    """When a log line was written (`time.time()`), from its stamp."""
    stamp = line.split(" | ", maxsplit=1)[0]
    return dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def px_silent(host: SilentHost, **settings: object) -> dict:
    return {"api_key": API_KEY, "api_url": f"{host.base_url}/v1", **settings}


def cs_silent(host: SilentHost, **settings: object) -> dict:
    return {"cs_access_key": CS_ACCESS_KEY, "cs_api_url": host.base_url, **settings}


@pytest.mark.parametrize(
    ("config", "setting", "args"),
    [
        (px_silent, "region or api_url", ()),
        (px_silent, "region or api_url", ("--discover",)),
        (px_silent, "region or api_url", ("--test",)),
        (cs_silent, "cs_api_url", ()),
    ],
    ids=["px-sync", "px-discover", "px-test", "cs-sync"],
)
def test_a_host_silent_from_the_start_ends_the_run_after_one_read_timeout(
    tmp_path, config, setting, args
) -> None:
    with SilentHost(lifetime=4 * TIMEOUT) as host:
        started = time.monotonic()
        result = run_cli(config(host, request_timeout_seconds=TIMEOUT), tmp_path, *args)
        elapsed = time.monotonic() - started
        tries = host.requests
    line = one_error_line(result)
    assert f"No answer from {host.base_url}/" in line
    assert "?" not in line, "no query string in a log line"
    assert f"within {TIMEOUT} s, tried once" in line
    assert f"Check the {setting} setting" in line
    assert "request_timeout_seconds" in line
    # One try (the old retry budget gave it 8 tries, over 8 timeouts), after a whole timeout.
    assert tries == 1
    assert elapsed >= TIMEOUT
    assert "WARNING" not in result.stderr


def test_events_of_a_catalog_from_a_silent_host_end_the_run_after_one_read_timeout(
    tmp_path, shared_emulator
) -> None:
    """No discovery request: the first request is an event window's, on a reading thread."""
    catalog = catalog_for(px_config(shared_emulator), ["custom_events", "page_view_events"])
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    with SilentHost(lifetime=4 * TIMEOUT) as host:
        started = time.monotonic()
        result = run_cli(
            px_silent(host, request_timeout_seconds=TIMEOUT),
            tmp_path,
            "--catalog",
            str(tmp_path / "catalog.json"),
        )
        elapsed = time.monotonic() - started
        targets = host.targets
    line = one_error_line(result)
    assert line.startswith(f"Sync failed: No answer from {host.base_url}/v1/events/")
    # Windows opened on reading threads, each once: none was tried again.
    assert targets
    assert len(targets) == len(set(targets)), targets
    assert elapsed >= TIMEOUT
    assert json.loads(result.stdout.splitlines()[-1])["type"] == "STATE"


def test_a_host_that_answered_then_goes_silent_keeps_the_retry_budget(tmp_path, emulator) -> None:
    timeout, retry_seconds = 1, 5
    catalog = catalog_for(px_config(emulator), ["users"])
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    upstream = emulator.base_url.removesuffix("/v1")
    with SilentHost(answers=3, upstream=upstream, lifetime=60) as host:
        config = px_silent(
            host,
            request_timeout_seconds=timeout,
            retry_max_wait_seconds=retry_seconds,
            page_size=10,
        )
        result = run_cli(config, tmp_path, "--catalog", str(tmp_path / "catalog.json"))
        silent_since, tries = host.silent_since, host.requests - 3
    assert silent_since is not None
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    (error,) = error_lines(result.stderr)
    line = error.split("| ")[-1]
    assert line.startswith(f"Sync failed after retrying: No answer from {host.base_url}/v1/users ")
    assert "?" not in line
    assert "The state so far has been emitted" in line
    # Retried, each retry said in one line, all within the first try and the retry time.
    assert tries >= 2
    retried = [x for x in result.stderr.splitlines() if "failed, trying again in" in x]
    assert len(retried) == tries - 1
    assert log_time(error) - silent_since < one_try(timeout) + retry_seconds
    # The records before the silence are kept, and the state resumes after them.
    synced = SyncResult.from_lines(result.stdout.splitlines())
    assert result.stdout.splitlines()[-1].startswith('{"type":"STATE"')
    users = synced.records["users"]
    assert users
    assert synced.bookmark("users") == users[-1]["lastModifiedDate"]


def test_a_read_timeout_counts_for_a_host_never_answered_and_not_after_an_answer() -> None:
    url = "http://127.0.0.1:9/v1/users"
    silent = requests.exceptions.ReadTimeout(
        "Read timed out. (read timeout=60)", request=requests.Request("GET", url).prepare()
    )
    contact = FirstContact()
    # A quick failure leaves time for a second try; a whole read timeout does not.
    began = time.monotonic()
    contact.failed(url, silent, "api_url", began=began, within=60)
    with pytest.raises(HostUnreachable, match="tried 2 times"):
        contact.failed(url, silent, "api_url", began=began, within=60)
    contact = FirstContact()
    with pytest.raises(HostUnreachable, match=r"within 60 s, tried once\. Check the api_url"):
        contact.failed(url, silent, "api_url", began=time.monotonic() - 60, within=60)
    answered = FirstContact()
    answered.answered(url)
    for _ in range(5):
        answered.failed(url, silent, "api_url", began=time.monotonic() - 60, within=60)


def test_the_retries_of_a_request_end_within_the_retry_time_tries_included(
    shared_emulator,
) -> None:
    """`retry_max_wait_seconds` counts from the first failure; a retry's timeout is cut."""
    retry_seconds = 3
    config = px_config(shared_emulator, retry_max_wait_seconds=retry_seconds)
    stream = TapGainsight(config=config, parse_env_config=False).streams["segments"]
    request = requests.Request("GET", f"{shared_emulator.base_url}/segment").prepare()
    stream.run.first_contact.answered(request.url)
    timeouts: list[float] = []
    failed_at: list[float] = []

    def silent(prepared, context):
        timeouts.append(stream.timeout[1])
        failed_at.append(time.monotonic())
        raise requests.exceptions.ReadTimeout("Read timed out.", request=prepared)

    with pytest.raises(requests.exceptions.ReadTimeout):
        stream.retrying(silent)(request, None)
    assert timeouts[0] == 60, "the first try has the whole request_timeout_seconds"
    assert len(timeouts) >= 2
    assert all(t <= retry_seconds - 1 for t in timeouts[1:])
    assert failed_at[-1] - failed_at[0] < retry_seconds
    assert stream.timeout[1] == 60, "outside retries the timeout is whole again"


def test_meltano_run_ends_on_a_silent_host_in_one_line(tmp_path) -> None:
    with SilentHost(lifetime=60) as host:
        settings = px_silent(host, request_timeout_seconds=TIMEOUT)
        env = meltano_env(tmp_path, settings)
        install_plugins(env, "tap-gainsight", "target-jsonl")
        result = meltano("run", "tap-gainsight", "target-jsonl", env=env, check=False, timeout=120)
        tries = host.requests
    assert result.returncode == 1
    log = (result.stdout + result.stderr).splitlines()
    said = [x for x in log if "[error    ] tap-gainsight" in x]
    assert len(said) == 1, said
    assert f"No answer from {host.base_url}/v1/" in said[0]
    assert "Check the region or api_url setting" in said[0]
    assert "request_timeout_seconds" in said[0]
    assert not [x for x in log if "Unknown setting" in x], "Meltano adds no key of its own"
    # Discovery's first request, tried once, ends the run.
    assert tries == 1
