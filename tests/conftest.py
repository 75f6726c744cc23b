"""Shared fixtures: PX and CS emulators on 127.0.0.1 and tap configs pointing at them."""

from __future__ import annotations

import gc
import logging
import typing as t

import pytest
import requests
from xdist.scheduler import LoadScopeScheduling

from tests.emulator import Emulator, Tenant, TenantSize
from tests.emulator.cs import CSEmulator, CSTenant
from tests.meltano_project import IN_THIS_PROJECT

if t.TYPE_CHECKING:
    from xdist.remote import Producer

API_KEY = "test-key-d0c4f3b2a1"
CS_ACCESS_KEY = "cs-test-key-7e6d5c4b3a"
SEED = 7


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that run Meltano in this project first: they take turns, the rest need not."""
    items.sort(key=lambda item: not item.nodeid.startswith(IN_THIS_PROJECT))


class MeltanoFirst(LoadScopeScheduling):
    """Under `pytest -n`: the Meltano tests as one unit of work, sent first; other modules whole.

    A module stays in one process, so its module-scoped emulators are built once.
    """

    def __init__(self, config: pytest.Config, log: Producer | None = None) -> None:
        super().__init__(config, log)
        config.option.loadscopereorder = False  # in collection order: the Meltano unit first

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(IN_THIS_PROJECT):
            return "meltano-project"
        return super()._split_scope(nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> MeltanoFirst:
    return MeltanoFirst(config, log)


def px_config(emulator: Emulator, **overrides: t.Any) -> dict[str, t.Any]:
    """A tap config that reads the given emulator, unpaced unless a test says otherwise."""
    return {
        "api_key": emulator.api_key,
        "api_url": emulator.base_url,
        "max_requests_per_second": 10_000,
        **overrides,
    }


def cs_config(emulator: CSEmulator, **overrides: t.Any) -> dict[str, t.Any]:
    """A tap config that reads the given CS emulator (and no PX), unpaced unless told."""
    return {
        "cs_api_url": emulator.base_url,
        "cs_access_key": emulator.access_key,
        "cs_requests_per_minute": 100_000,
        **overrides,
    }


@pytest.fixture
def cs_emulator() -> t.Iterator[CSEmulator]:
    """A CS emulator of its own (700 companies, 2,600 people), without its per-minute quota."""
    tenant = CSTenant.generate(seed=SEED)
    with CSEmulator(tenant, access_key=CS_ACCESS_KEY, requests_per_minute=None) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def shared_emulator() -> t.Iterator[Emulator]:
    """One emulator for tests that only read (never change the tenant or switch faults)."""
    with Emulator(Tenant.generate(seed=SEED, size=TenantSize.small()), api_key=API_KEY) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def emu() -> t.Iterator[Emulator]:
    """An emulator per test module of the emulator itself (its default key), read only."""
    with Emulator(Tenant.generate(seed=SEED, size=TenantSize.small())) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def http(emu) -> t.Iterator[requests.Session]:
    """A plain `requests` session carrying `emu`'s key."""
    session = requests.Session()
    session.headers["X-APTRINSIC-API-KEY"] = emu.api_key
    yield session
    session.close()


@pytest.fixture
def emulator() -> t.Iterator[Emulator]:
    """A fresh emulator of its own, for tests that change the tenant, quirks or faults."""
    with Emulator(Tenant.generate(seed=SEED, size=TenantSize.small()), api_key=API_KEY) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def api_key_never_in_output(caplog, capsys) -> t.Iterator[None]:
    """Every test, at every log level: no key appears in any log line or output."""
    caplog.set_level(logging.DEBUG)
    yield
    out, err = capsys.readouterr()
    for key in (API_KEY, CS_ACCESS_KEY):
        assert key not in caplog.text
        assert key not in out + err


@pytest.fixture(autouse=True)
def each_run_unfrozen_after() -> t.Iterator[None]:
    """What a sync run in this process froze (`Run.sync_started`) is thawed when its test ends.

    A real run freezes what exists once and then exits; this process holds many runs, and
    whatever stays frozen at its exit is never finalized (DuckDB's extension module then
    reports every one of its objects as leaked).
    """
    yield
    gc.unfreeze()


@pytest.fixture
def quick_retries(monkeypatch) -> None:
    """Retry waits of milliseconds, so fault tests take seconds (Retry-After still counts)."""
    monkeypatch.setattr("tap_gainsight.retries.INITIAL_WAIT_SECONDS", 0.02)
    monkeypatch.setattr("tap_gainsight.retries.MAX_WAIT_SECONDS", 0.2)
