"""`make demo`: a Meltano sync of Gainsight into DuckDB, then a row count per table.

With no Gainsight credentials in the environment the sync reads the local emulators
(tests/emulator: PX with its demo tenant, and CS); with TAP_GAINSIGHT_API_KEY and/or
TAP_GAINSIGHT_CS_API_URL + TAP_GAINSIGHT_CS_ACCESS_KEY, the real tenants they belong to.

Against the emulators every run loads the same tables: both tenants are generated from a
fixed seed and a fixed clock (DEMO_NOW), the tap reads the 190 days of events before that
clock, and the run starts from an empty warehouse and ignores the state of earlier demo runs,
which Meltano keeps under a state ID of its own (suffix `demo-emulator`), apart from a real
tenant's. The demo replaces output/gainsight.duckdb only if an emulator demo made it (a
marker file beside it says so): a warehouse loaded from a real tenant is never deleted.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
DUCKDB_FILE = ROOT / "output" / "gainsight.duckdb"
#: Beside DUCKDB_FILE while it holds emulator data, so the next demo may replace it.
EMULATOR_MARKER = DUCKDB_FILE.with_name(".gainsight.duckdb.from-emulator")
SCHEMA = "gainsight"
EMULATOR_KEY = "demo-key"
CS_EMULATOR_KEY = "cs-demo-key"
#: The emulators' seed and clock: equal ones give equal tenants, record for record.
EMULATOR_SEED = "1"
DEMO_NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)
#: The tap's default history, anchored at DEMO_NOW rather than at the time of the run.
DEMO_HISTORY = dt.timedelta(days=190)
STATE_ID_SUFFIX = "demo-emulator"
SAMPLE = """\
  select a.name, count(*) as page_views
  from page_view_events as e join accounts as a on a.id = e.accountid
  where e.date >= (select max(date) from page_view_events) - interval 30 days
  group by a.name order by page_views desc limit 5"""


def start_emulator(module: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Start an emulator (`python -m <module>`) and return it with its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    name, _, url = process.stdout.readline().strip().partition("=")
    if not name.endswith("EMULATOR_URL") or not url:
        process.kill()
        sys.exit(f"demo: {module} did not start")
    return process, url


def meltano(*args: str, env: dict[str, str]) -> None:
    """Run a Meltano command from this project, stopping the demo if it fails."""
    command = [str(Path(sys.executable).with_name("meltano")), *args]
    print("$", "meltano", *args, flush=True)
    if subprocess.run(command, cwd=ROOT, env=env, check=False).returncode != 0:
        sys.exit(f"demo: `meltano {' '.join(args)}` failed (see its log above)")


def print_row_counts() -> None:
    """Print the row count of every table the sync loaded."""
    with duckdb.connect(str(DUCKDB_FILE), read_only=True) as connection:
        tables = connection.execute(
            "select table_catalog, table_name from information_schema.tables "
            "where table_schema = ? order by table_name",
            [SCHEMA],
        ).fetchall()
        print(f"\nRows loaded into {DUCKDB_FILE.relative_to(ROOT)} (schema {SCHEMA}):")
        total = 0
        for catalog, table in tables:
            # The file's catalog is also called gainsight: name all three parts.
            query = f'select count(*) from "{catalog}"."{SCHEMA}"."{table}"'
            (count,) = connection.execute(query).fetchone()
            total += count
            print(f"  {table:<28} {count:>9,}")
        print(f"  {'total':<28} {total:>9,}")
        # The file's catalog is named like the schema: make the schema the default.
        connection.execute(f"use gainsight.{SCHEMA}")
        print(f"\nSample query, the accounts with most page views in their last 30 days:\n{SAMPLE}")
        for name, views in connection.execute(SAMPLE).fetchall():
            print(f"  {name or '(unnamed)':<40} {views:>7,}")


def remove_warehouse() -> None:
    """Delete the DuckDB file (and its write-ahead log) and the emulator marker."""
    for path in (DUCKDB_FILE, DUCKDB_FILE.with_name(DUCKDB_FILE.name + ".wal"), EMULATOR_MARKER):
        path.unlink(missing_ok=True)


def empty_warehouse_for_the_emulators() -> None:
    """Start an emulator demo from an empty warehouse, unless it holds a real tenant's data."""
    if DUCKDB_FILE.exists() and not EMULATOR_MARKER.exists():
        sys.exit(
            f"demo: {DUCKDB_FILE.relative_to(ROOT)} was not loaded by an emulator demo (a real "
            "tenant's data?); move it away or delete it, then run `make demo` again"
        )
    remove_warehouse()
    EMULATOR_MARKER.touch()


def main() -> None:
    """Sync, then report."""
    env = dict(os.environ)
    emulators: list[subprocess.Popen[str]] = []
    DUCKDB_FILE.parent.mkdir(exist_ok=True)
    on_emulators = not env.get("TAP_GAINSIGHT_API_KEY") and not env.get(
        "TAP_GAINSIGHT_CS_ACCESS_KEY"
    )
    if on_emulators:
        empty_warehouse_for_the_emulators()
    elif EMULATOR_MARKER.exists():
        # Emulator data must not mix with a real tenant's.
        remove_warehouse()
    try:
        if on_emulators:
            clock = ("--seed", EMULATOR_SEED, "--now", DEMO_NOW.isoformat())
            px, px_url = start_emulator(
                "tests.emulator", "--size", "demo", "--api-key", EMULATOR_KEY, *clock
            )
            emulators.append(px)
            cs, cs_url = start_emulator("tests.emulator.cs", "--api-key", CS_EMULATOR_KEY, *clock)
            emulators.append(cs)
            env |= {
                "TAP_GAINSIGHT_API_KEY": EMULATOR_KEY,
                "TAP_GAINSIGHT_API_URL": px_url,
                "TAP_GAINSIGHT_CS_API_URL": cs_url,
                "TAP_GAINSIGHT_CS_ACCESS_KEY": CS_EMULATOR_KEY,
                "TAP_GAINSIGHT_START_DATE": (DEMO_NOW - DEMO_HISTORY).isoformat(),
                "TAP_GAINSIGHT_END_DATE": (DEMO_NOW + dt.timedelta(minutes=1)).isoformat(),
            }
            print(
                "demo: no Gainsight credentials set, reading the local emulators "
                f"({px_url}, {cs_url}) with their clock at {DEMO_NOW:%Y-%m-%d %H:%M} UTC, "
                "into an empty warehouse"
            )
        meltano("install", env=env)
        # Against the emulators: every run reads everything (the tenants are the same each
        # time) under a state ID of its own; against a real tenant the run is incremental.
        demo_run = ["--full-refresh", "--state-id-suffix", STATE_ID_SUFFIX] if on_emulators else []
        meltano("run", *demo_run, "tap-gainsight", "target-duckdb", env=env)
    finally:
        for emulator in emulators:
            emulator.terminate()
            emulator.wait(timeout=10)
    print_row_counts()


if __name__ == "__main__":
    main()
