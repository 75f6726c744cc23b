"""Benchmark: `meltano run tap-gainsight <loader>` over a big event backfill, per loader and mode.

    .venv/bin/python scripts/bench_loaders.py [--loader duckdb|postgres|all]
                                              [--mode record|batch|all]
                                              [--days 180] [--events-per-day 100]

What a user sees on a large first load: one emulator process (`scripts/bench.py`'s
`emulator`, 0 ms latency) serves the backfill tenant of scripts/bench.py (`--days` of history,
`--events-per-day` times bench's `WEIGHTS` per event type: ~1,015,000 events at the defaults),
and each run is one `meltano run --no-install tap-gainsight <target>` from this project (the
plugins are installed by `meltano install` first), timed wall-clock from start to exit
(Meltano's start, catalog discovery, the tap, the loader, its last commit), with a Meltano
system database of its own (no state) and an empty warehouse:

  duckdb   record  target-duckdb (meltano.yml's pin), into a new DuckDB file.
  postgres record  target-postgres (meltanolabs 0.8.1), into a new database of a throwaway
                   PostgreSQL server (tests/postgres_server.py).
  postgres batch   the same, with the tap's SDK `batch_config` (`BATCH_CONFIG`: gzipped JSONL
                   files under /tmp/loaders/batches, one BATCH message per file).
  duckdb   batch   not run: target-duckdb 0.8.0 is not SDK-based and does not read BATCH.

The tap reads the 11 event streams only (`TAP_GAINSIGHT__SELECT`), over
`[NOW - days - 1, NOW + 1 minute)`, with `max_requests_per_second` 100,000 and `page_size`
1000 (as bench.py's `run_tap`); the rest of its settings are meltano.yml's.

A batch run sets `batch_config` (declared in meltano.yml) through
`TAP_GAINSIGHT_BATCH_CONFIG`, as a user would. Every run has its `.meltano` in
/tmp/loaders/meltano-sys (`MELTANO_SYS_DIR_ROOT`), linking to this project's installed
plugins: Meltano empties a plugin's `.meltano/run` directory on each
invocation, so a run sharing this project's would break, or be broken by, another `meltano`
running here at the same time (the tests).

Printed per run: loader, mode, rows loaded (counted in the warehouse afterwards) vs rows the
tap sent (its `Sync complete: N records` line), seconds, rows/s (loaded rows / seconds) and
whether the counts match, per stream as well; for a batch run, the BATCH files the tap wrote
(none would mean it sent RECORD messages after all). Exits 1 if any count differs, a run fails
or a batch run wrote no BATCH file.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import re
import shutil
import sys
import time
import typing as t
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench import API_KEY, NOW, PAGE_SIZE, SCENARIOS  # noqa: E402
from scripts.bench import emulator as bench_emulator  # noqa: E402
from tap_gainsight.px.events import PX_EVENT_ENDPOINTS  # noqa: E402
from tests import test_warehouse_duckdb, test_warehouse_postgres  # noqa: E402
from tests.meltano_project import install_plugins, meltano, meltano_env  # noqa: E402
from tests.postgres_server import PostgresServer, postgres_server  # noqa: E402

WORK = Path("/tmp/loaders")
BATCHES = WORK / "batches"
SYS_DIR = WORK / "meltano-sys"
BATCH_CONFIG = {
    "encoding": {"format": "jsonl", "compression": "gzip"},
    "storage": {"root": BATCHES.as_uri(), "prefix": "batch-"},
}
TARGETS = {"duckdb": "target-duckdb", "postgres": "target-postgres"}
#: The loaders that read BATCH messages (SDK targets).
READS_BATCH = {"postgres"}
EVENT_STREAMS = tuple(endpoint.name for endpoint in PX_EVENT_ENDPOINTS)
BACKFILL = next(s for s in SCENARIOS if s.name == "backfill" and s.latency_ms == 0)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One `meltano run`: what the tap sent and the warehouse holds, per stream."""

    loader: str
    mode: str
    seconds: float
    sent: int
    sent_per_stream: dict[str, int]
    loaded_per_stream: dict[str, int]
    #: BATCH files the tap wrote and their size in MB (none in record mode).
    batch_files: tuple[int, float] = (0, 0.0)

    @property
    def loaded(self) -> int:
        """Rows in the event tables."""
        return sum(self.loaded_per_stream.values())

    @property
    def differing(self) -> list[str]:
        """Streams whose loaded rows differ from the rows the tap sent."""
        sent, loaded = self.sent_per_stream, self.loaded_per_stream
        streams = sorted(set(sent) | set(loaded))
        return [name for name in streams if sent.get(name) != loaded.get(name)]

    @property
    def matches(self) -> bool:
        """Whether the warehouse holds exactly what the tap sent, in total and per stream."""
        return self.loaded == self.sent and not self.differing


# -- the tap's side ----------------------------------------------------------------------------


def tap_settings(url: str, days: int) -> dict[str, t.Any]:
    """The tap's settings for the backfill: every event since `NOW - days - 1`, unpaced."""
    return {
        "api_key": API_KEY,
        "api_url": url,
        "start_date": (NOW - dt.timedelta(days=days + 1)).isoformat(),
        "end_date": (NOW + dt.timedelta(minutes=1)).isoformat(),
        "max_requests_per_second": 100_000,
        "page_size": PAGE_SIZE,
    }


def events_only() -> dict[str, str]:
    """The Meltano `select` extra, as an environment variable: the event streams only."""
    return {"TAP_GAINSIGHT__SELECT": json.dumps([f"{name}.*" for name in EVENT_STREAMS])}


def sent_counts(log: str) -> tuple[int, dict[str, int]]:
    """The tap's total from its `Sync complete` line, and each stream's from its `Done` line.

    A `Done` line does not name its stream; streams sync one after the other, so it is the
    one of the last `Beginning sync of '<name>'` before it.
    """
    total = re.search(r"Sync complete: ([\d,]+) records", log)
    if not total:
        sys.exit("bench_loaders: the tap's 'Sync complete' line is missing from Meltano's log")
    per_stream: dict[str, int] = {}
    stream = None
    for line in log.splitlines():
        if begun := re.search(r"Beginning sync of '(\w+)'", line):
            stream = begun.group(1)
        elif (done := re.search(r"Done: ([\d,]+) records", line)) and stream:
            per_stream[stream] = int(done.group(1).replace(",", ""))
    return int(total.group(1).replace(",", "")), per_stream


def fresh_dir(path: Path) -> Path:
    """`path` as a new, empty directory (what an earlier run left there removed)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


# -- Meltano -----------------------------------------------------------------------------------


def private_sys_dir() -> Path:
    """A `.meltano` of the runs' own, holding this project's installed plugins."""
    fresh_dir(SYS_DIR)
    # The tap's plugin is an editable install of this checkout.
    for kind in ("extractors", "loaders"):
        (SYS_DIR / kind).symlink_to(ROOT / ".meltano" / kind)
    return SYS_DIR


def timed_run(target: str, mode: str, env: dict[str, str]) -> tuple[float, str]:
    """One `meltano run tap-gainsight <target>`: wall-clock seconds and its log."""
    env = env | {"MELTANO_SYS_DIR_ROOT": str(private_sys_dir())}
    if mode == "batch":
        fresh_dir(BATCHES)
        env["TAP_GAINSIGHT_BATCH_CONFIG"] = json.dumps(BATCH_CONFIG)
    began = time.perf_counter()
    # Installed beforehand: nothing to install inside the timing.
    result = meltano("run", "--no-install", "tap-gainsight", target, env=env)
    seconds = time.perf_counter() - began
    return seconds, result.stdout + result.stderr


# -- the warehouses ----------------------------------------------------------------------------


class Warehouse(t.Protocol):
    """An empty place to load into: the loader's settings, and the rows it holds afterwards."""

    def prepare(self, mode: str) -> dict[str, str]:
        """Empty the warehouse of this mode; return the loader's settings as env vars."""
        ...

    def counts(self) -> dict[str, int]:
        """Rows per event table."""
        ...


class DuckDB:
    """A new DuckDB file per mode."""

    path: Path

    def prepare(self, mode: str) -> dict[str, str]:
        """A DuckDB file of this mode's, removed first."""
        self.path = WORK / f"warehouse-{mode}.duckdb"
        self.path.unlink(missing_ok=True)
        return {"TARGET_DUCKDB_FILEPATH": str(self.path)}

    def counts(self) -> dict[str, int]:
        """Rows per event table, as tests/test_warehouse_duckdb.py counts them."""
        return only_events(test_warehouse_duckdb.table_counts(self.path))


class Postgres:
    """A new database per mode on one throwaway server."""

    db: PostgresServer

    def __init__(self, server: PostgresServer) -> None:
        self.server = server

    def prepare(self, mode: str) -> dict[str, str]:
        """A database of this mode's, dropped first."""
        self.db = dataclasses.replace(self.server, database=f"bench_{mode}")
        self.server.psql(f"drop database if exists {self.db.database}")
        self.server.psql(f"create database {self.db.database}")
        return {
            "TARGET_POSTGRES_HOST": self.db.host,
            "TARGET_POSTGRES_PORT": str(self.db.port),
            "TARGET_POSTGRES_USER": self.db.user,
            "TARGET_POSTGRES_PASSWORD": "unused-trust-auth",
            "TARGET_POSTGRES_DATABASE": self.db.database,
        }

    def counts(self) -> dict[str, int]:
        """Rows per event table, as tests/test_warehouse_postgres.py counts them."""
        return only_events(test_warehouse_postgres.table_counts(self.db))


def only_events(counts: dict[str, int]) -> dict[str, int]:
    """The event tables of a warehouse's counts (a loader may lower-case names)."""
    return {name: rows for name, rows in counts.items() if name.lower() in EVENT_STREAMS}


@contextlib.contextmanager
def postgres() -> t.Iterator[Postgres]:
    """tests/postgres_server.py's server, outside pytest (its fixture is a plain generator)."""
    server = contextlib.contextmanager(postgres_server.__wrapped__)  # type: ignore[attr-defined]
    try:
        with server() as running:
            yield Postgres(running)
    except pytest.skip.Exception as skipped:
        sys.exit(f"bench_loaders: {skipped.msg}")


# -- the runs ----------------------------------------------------------------------------------


def load(
    loader: str, mode: str, warehouse: Warehouse, url: str, args: argparse.Namespace
) -> Outcome | None:
    """One run into an empty warehouse; None (and its log's tail printed) if it failed."""
    # A Meltano system database of its own, new: no state from an earlier run.
    system = fresh_dir(WORK / f"meltano-{loader}-{mode}")
    env = meltano_env(system, tap_settings(url, args.days))
    env |= events_only() | warehouse.prepare(mode)
    try:
        seconds, log = timed_run(TARGETS[loader], mode, env)
    except AssertionError as failure:
        print(f"{loader:<9}{mode:<7} FAILED: {failure}", flush=True)
        return None
    sent, sent_per_stream = sent_counts(log)
    loaded = warehouse.counts()
    files = batch_files() if mode == "batch" else (0, 0.0)
    return Outcome(loader, mode, seconds, sent, sent_per_stream, loaded, files)


def batch_files() -> tuple[int, float]:
    """How many files the last batch run left in `BATCHES`, and their MB."""
    files = list(BATCHES.glob("*")) if BATCHES.is_dir() else []
    return len(files), sum(f.stat().st_size for f in files) / 1e6


def report(outcome: Outcome) -> None:
    """One line per run, and the streams whose counts differ, if any."""
    verdict = "match" if outcome.matches else "DIFFER"
    rate = outcome.loaded / outcome.seconds
    print(f"{outcome.loader:<9}{outcome.mode:<7}{outcome.loaded:>10,} of {outcome.sent:>10,}"
          f"{outcome.seconds:>9.1f} s{rate:>10,.0f} rows/s  {verdict}", flush=True)  # fmt: skip
    for name in outcome.differing:
        print(f"  {name}: sent {outcome.sent_per_stream.get(name, 0):,}, "
              f"loaded {outcome.loaded_per_stream.get(name, 0):,}")  # fmt: skip
    if outcome.mode == "batch":
        files, megabytes = outcome.batch_files
        print(f"  {files} BATCH files, {megabytes:.1f} MB" if files else
              "  NO BATCH files written: the tap sent RECORD messages")  # fmt: skip


def chosen(option: str, names: t.Iterable[str]) -> list[str]:
    """The names an `all`-or-one option selects."""
    return [name for name in names if option in ("all", name)]


def run_all(args: argparse.Namespace, warehouses: dict[str, Warehouse], url: str) -> bool:
    """Every selected (loader, mode) in turn; whether every run worked and every count matched."""
    whole = True
    print(f"{'loader':<9}{'mode':<7}{'loaded':>10} of {'sent':>10}{'time':>11}{'rate':>17}")
    for loader in chosen(args.loader, TARGETS):
        for mode in chosen(args.mode, ("record", "batch")):
            if mode == "batch" and loader not in READS_BATCH:
                print(f"{loader:<9}{mode:<7} not run: {TARGETS[loader]} 0.8.0 is not SDK-based "
                      "and does not read BATCH messages")  # fmt: skip
                continue
            outcome = load(loader, mode, warehouses[loader], url, args)
            if outcome is None:
                whole = False
                continue
            report(outcome)
            # A batch run that wrote no batch file measured RECORD messages instead.
            whole &= outcome.matches and (mode != "batch" or outcome.batch_files[0] > 0)
    return whole


def main() -> int:
    """Start the emulator (and PostgreSQL if needed), run each selected load, report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loader", choices=("duckdb", "postgres", "all"), default="all")
    parser.add_argument("--mode", choices=("record", "batch", "all"), default="all")
    parser.add_argument("--days", type=int, default=BACKFILL.days, help="of event history")
    parser.add_argument(
        "--events-per-day", type=float, default=BACKFILL.events_per_day, help="times WEIGHTS"
    )
    args = parser.parse_args()
    scenario = dataclasses.replace(
        BACKFILL, days=args.days, read_days=args.days + 1, events_per_day=args.events_per_day
    )
    WORK.mkdir(parents=True, exist_ok=True)
    loaders = chosen(args.loader, TARGETS)
    install_plugins(meltano_env(fresh_dir(WORK / "meltano-install"), {}), "tap-gainsight",
                    *(TARGETS[loader] for loader in loaders))  # fmt: skip
    began = time.perf_counter()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(bench_emulator(scenario, latency_ms=0))
        ready = time.perf_counter() - began
        print(f"backfill: {args.days} days of history, {args.events_per_day:g} events a day x "
              f"WEIGHTS, 0 ms latency; emulator ready in {ready:.0f} s")  # fmt: skip
        warehouses: dict[str, Warehouse] = {"duckdb": DuckDB()}
        if "postgres" in loaders:
            warehouses["postgres"] = stack.enter_context(postgres())
        whole = run_all(args, warehouses, url)
    print(f"({time.perf_counter() - began:.0f} s in all)")
    return 0 if whole else 1


if __name__ == "__main__":
    sys.exit(main())
