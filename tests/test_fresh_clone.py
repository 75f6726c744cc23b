"""The README's plain Meltano path works in a fresh clone: `meltano install`, `meltano run`."""

from __future__ import annotations

import subprocess

import duckdb

from tests.conftest import API_KEY, SEED
from tests.emulator import Emulator, Tenant, TenantSize
from tests.meltano_project import ROOT, meltano, meltano_env

TINY = TenantSize(
    users=20,
    accounts=5,
    features=3,
    segments=3,
    engagements=3,
    articles=3,
    kc_bots=1,
    history_days=3,
    events_per_day=2,
)


def test_fresh_clone_installs_and_loads_duckdb_with_plain_meltano(tmp_path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    assert not (clone / "output" / "gainsight.duckdb").exists()
    tenant = Tenant.generate(seed=SEED, size=TINY)
    with Emulator(tenant, api_key=API_KEY) as emulator:
        settings = {"api_key": API_KEY, "api_url": emulator.base_url}
        env = meltano_env(tmp_path, settings)
        meltano("install", env=env, project=clone)
        meltano("run", "tap-gainsight", "target-duckdb", env=env, project=clone)

    with duckdb.connect(str(clone / "output" / "gainsight.duckdb"), read_only=True) as db:
        (users,) = db.execute('select count(*) from "gainsight"."gainsight"."users"').fetchone()
    assert users == len(tenant.collections["/users"])
