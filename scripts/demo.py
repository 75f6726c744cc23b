"""`make demo`: a Meltano sync of Gainsight into DuckDB, then a row count per table.

With no Gainsight credentials in the environment the sync reads the local emulators
(tests/emulator: PX with its demo tenant, and CS); with TAP_GAINSIGHT_API_KEY and/or
TAP_GAINSIGHT_CS_API_URL + TAP_GAINSIGHT_CS_ACCESS_KEY, the real tenants they belong to.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
DUCKDB_FILE = ROOT / "output" / "gainsight.duckdb"
SCHEMA = "gainsight"
EMULATOR_KEY = "demo-key"
CS_EMULATOR_KEY = "cs-demo-key"
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


def main() -> None:
    """Sync, then report."""
    env = dict(os.environ)
    emulators = []
    if not env.get("TAP_GAINSIGHT_API_KEY") and not env.get("TAP_GAINSIGHT_CS_ACCESS_KEY"):
        px, px_url = start_emulator("tests.emulator", "--size", "demo", "--api-key", EMULATOR_KEY)
        cs, cs_url = start_emulator("tests.emulator.cs", "--api-key", CS_EMULATOR_KEY)
        emulators = [px, cs]
        env |= {
            "TAP_GAINSIGHT_API_KEY": EMULATOR_KEY,
            "TAP_GAINSIGHT_API_URL": px_url,
            "TAP_GAINSIGHT_CS_API_URL": cs_url,
            "TAP_GAINSIGHT_CS_ACCESS_KEY": CS_EMULATOR_KEY,
        }
        print(
            f"demo: no Gainsight credentials set, reading the local emulators ({px_url}, {cs_url})"
        )
    try:
        DUCKDB_FILE.parent.mkdir(exist_ok=True)
        meltano("install", env=env)
        # The emulator makes its tenant anew each time, so a bookmark from an earlier demo
        # means nothing to it; against a real tenant the run is incremental.
        refresh = ["--full-refresh"] if emulators else []
        meltano("run", *refresh, "tap-gainsight", "target-duckdb", env=env)
    finally:
        for emulator in emulators:
            emulator.terminate()
            emulator.wait(timeout=10)
    print_row_counts()


if __name__ == "__main__":
    main()
