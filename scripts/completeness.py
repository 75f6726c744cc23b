"""Rows expected and rows loaded, per stream, with `start_date` set: is the warehouse whole?

    .venv/bin/python scripts/completeness.py [--start-days-ago 60]

Runs `meltano install` and `meltano run tap-gainsight target-duckdb` from this project
against the PX and CS emulators (default-sized tenants), with `start_date` that many days
before the tenants' clock, into a DuckDB file of its own. Expected: every entity, every
record of every CS object and every deletion of its delete log, whatever `start_date` says,
and the events dated from `start_date` on. Prints both
per stream and exits 1 if any differs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tap_gainsight.timestamps import to_epoch_ms  # noqa: E402
from tests.emulator import Emulator, Tenant  # noqa: E402
from tests.emulator.cs import CSEmulator, CSTenant  # noqa: E402
from tests.meltano_project import install_plugins, meltano, meltano_env  # noqa: E402
from tests.test_warehouse_duckdb import (  # noqa: E402
    cs_held_counts,
    held_counts,
    table_counts,
)

PX_KEY, CS_KEY, SEED = "completeness-key", "completeness-cs-key", 11


def main() -> int:
    """Load, count, compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-days-ago", type=int, default=60)
    args = parser.parse_args()
    px, cs = Tenant.generate(seed=SEED), CSTenant.generate(seed=SEED)
    start = px.now - dt.timedelta(days=args.start_days_ago)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulator(px, api_key=PX_KEY) as px_emulator,
        CSEmulator(cs, access_key=CS_KEY, requests_per_minute=None) as cs_emulator,
    ):
        warehouse = Path(tmp) / "completeness.duckdb"
        settings = {
            "api_key": PX_KEY,
            "api_url": px_emulator.base_url,
            "cs_api_url": cs_emulator.base_url,
            "cs_access_key": CS_KEY,
            "cs_requests_per_minute": 100_000,
            "max_requests_per_second": 10_000,
            "start_date": start.isoformat(),
        }
        env = meltano_env(Path(tmp), settings, TARGET_DUCKDB_FILEPATH=str(warehouse))
        install_plugins(env, "tap-gainsight", "target-duckdb")
        meltano("run", "tap-gainsight", "target-duckdb", env=env)
        loaded = table_counts(warehouse)
        # Every entity, admin list, CS record and deletion; events and collisions since start.
        expected = held_counts(px_emulator, to_epoch_ms(start)) | cs_held_counts(cs)
    print(f"start_date {start.isoformat()} ({args.start_days_ago} days before the tenant clock)")
    print(f"{'stream':<24} {'expected':>9} {'loaded':>9}")
    for stream, rows in expected.items():
        mark = "" if loaded.get(stream) == rows else "  <- differs"
        print(f"{stream:<24} {rows:>9,} {loaded.get(stream, 0):>9,}{mark}")
    whole = all(loaded.get(stream) == rows for stream, rows in expected.items())
    print("every stream whole" if whole else "NOT WHOLE")
    return 0 if whole else 1


if __name__ == "__main__":
    sys.exit(main())
