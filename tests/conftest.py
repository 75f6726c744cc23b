"""Shared fixtures: PX emulators on 127.0.0.1 and tap configs pointing at them."""

from __future__ import annotations

import logging
import typing as t

import pytest

from tests.emulator import Emulator, Tenant, TenantSize

API_KEY = "test-key-d0c4f3b2a1"
SEED = 7


def px_config(emulator: Emulator, **overrides: t.Any) -> dict[str, t.Any]:
    """A tap config that reads the given emulator, unpaced unless a test says otherwise."""
    return {
        "api_key": emulator.api_key,
        "api_url": emulator.base_url,
        "max_requests_per_second": 10_000,
        **overrides,
    }


@pytest.fixture(scope="session")
def shared_emulator() -> t.Iterator[Emulator]:
    """One emulator for tests that only read (never change the tenant or switch faults)."""
    with Emulator(Tenant.generate(seed=SEED, size=TenantSize.small()), api_key=API_KEY) as emulator:
        yield emulator


@pytest.fixture
def emulator() -> t.Iterator[Emulator]:
    """A fresh emulator of its own, for tests that change the tenant, quirks or faults."""
    with Emulator(Tenant.generate(seed=SEED, size=TenantSize.small()), api_key=API_KEY) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def api_key_never_in_output(caplog, capsys) -> t.Iterator[None]:
    """Every test, at every log level: the API key appears in no log line and no output."""
    caplog.set_level(logging.DEBUG)
    yield
    out, err = capsys.readouterr()
    assert API_KEY not in caplog.text
    assert API_KEY not in out + err


@pytest.fixture
def quick_retries(monkeypatch) -> None:
    """Retry waits of milliseconds, so fault tests take seconds (Retry-After still counts)."""
    monkeypatch.setattr("tap_gainsight.retries.INITIAL_WAIT_SECONDS", 0.02)
    monkeypatch.setattr("tap_gainsight.retries.MAX_WAIT_SECONDS", 0.2)
