"""Shared fixtures: PX emulators on 127.0.0.1 and tap configs pointing at them."""

from __future__ import annotations

import typing as t

import pytest

from tests.emulator import Emulator, Tenant, TenantSize

API_KEY = "test-key-d0c4f3b2a1"
SEED = 7


def px_config(emulator: Emulator, **overrides: t.Any) -> dict[str, t.Any]:
    """A tap config that reads the given emulator."""
    return {"api_key": emulator.api_key, "api_url": emulator.base_url, **overrides}


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
