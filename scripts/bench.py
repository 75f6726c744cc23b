"""Benchmark: the tap, with its own request plan, against the best plain client.

    make bench                                    # = .venv/bin/python scripts/bench.py
    .venv/bin/python scripts/bench.py [--scenario backfill|daily|all] [--latency-ms L]
                                      [--max-concurrency C] [--max-requests-per-second R]
                                      [--rounds N] [--without-http]

Each scenario (`SCENARIOS`) starts one emulator process (`python -m tests.emulator`, a real
HTTP server) with a generated tenant whose clock is `NOW` and the scenario's `--latency-ms`
per request, then times two clients, one after the other, each reading every event type over
the same range `[NOW - read_days, NOW + 1 minute)`, in `--rounds` rounds (default 2) that
alternate which goes first (tap, floor; floor, tap); each client's fastest run is compared:

  (a) tap: `python -m tap_gainsight` over the 11 event streams with its own defaults for the
      request plan (no `event_window_days`), `page_size` 1000, `max_requests_per_second`
      from `--max-requests-per-second` (default 100,000: no pace; the tap's own default is
      20, the API's documented ceiling 200) and `max_concurrency` from `--max-concurrency`
      (default: the tap's
      `DEFAULT_MAX_CONCURRENCY`); RECORD lines to /dev/null. Its records and requests come
      from its `Sync complete: N records, M requests` line, its peak RSS from wait4 on it.
  (b) floor: the best plain client: `requests` and msgspec, no SDK, serial, one event type
      after the other, in windows of the largest range the API allows (`MAX_WINDOW_DAYS`,
      190 days): `filter=date>=<start ms>;date<<end ms>`, `sort=date`, `pageSize=1000`, then
      `scrollId` pages until a page is shorter than the page size or has no scrollId. The
      same RECORD lines (dates converted, msgspec-encoded) to /dev/null. It counts its
      requests.

The scenarios, with realistic densities (`WEIGHTS`: page views ~2,300 a day down to survey
responses ~5 a day in the backfill, page views 20 times as frequent as leads):

  backfill  180 days of history, ~1,015,000 events, all read (one 181-day window per type
            for the floor); at 0 ms latency (no target: the tap's own pace when the API
            answers at once) and at 50 ms (targets: tap >= 1.8 x floor, and >= 0.8 x the
            tap's own records/s at 0 ms), one emulator process each.
  daily     the last day of a big tenant (~87,000 events that day, page views, feature and
            segment matches dominating), both clients reading only
            `[NOW - 1 day, NOW + 1 minute)` as a scheduled run would; at 200 ms (target
            >= 1.5 x floor).

The targets are set at `--max-requests-per-second 200` (the API's documented ceiling) and
judged at any pace given; the tap's peak RSS should stay under 250 MB.

Printed per scenario: each client's seconds in every round; then, of each client's fastest
run, records, seconds and records/s, the ratio tap / floor against the target, both request
counts (the most of any run) with the request budget check (the tap may send at most one
request per event type more than the floor: `requests: tap N, floor M, allowed M+11: ok/OVER`)
and the tap's peak RSS (the highest of any run).

`--latency-ms` runs every selected scenario at that latency instead (a scenario listed at
several latencies then runs once; a target is judged only at the latency it was set for).
`--without-http` also times both per-record paths with no HTTP at all: the page_view_events
pages of the first run's range, served from memory.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import msgspec
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tap_gainsight.px.events import PX_EVENT_ENDPOINTS, EventStream  # noqa: E402
from tap_gainsight.responses import find_records  # noqa: E402
from tap_gainsight.settings import DEFAULT_MAX_CONCURRENCY, MAX_WINDOW_DAYS  # noqa: E402
from tap_gainsight.tap import TapGainsight  # noqa: E402
from tap_gainsight.timestamps import epoch_ms_to_rfc3339, to_epoch_ms  # noqa: E402
from tests.sync import catalog_for  # noqa: E402

API_KEY = "bench-key"
#: The tenant's clock; both clients read up to a minute after it.
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc)
PAGE_SIZE = 1000
#: `max_requests_per_second` that paces nothing: the tap's requests are timed, not its pace.
UNPACED = 100_000
ENCODER = msgspec.json.Encoder()
#: The event type timed without HTTP.
PATH = "/events/pageView"

#: Mean events per day of each event type as a multiple of `Scenario.events_per_day`
#: (emulator `--event-weights` names): dense types over 1,000 a day in the backfill, sparse
#: ones under 10, page views 20 times as frequent as leads.
WEIGHTS: dict[str, float] = {
    "pageView": 24,
    "feature_match": 14,
    "segment_match": 11,
    "session": 4,
    "custom": 2.5,
    "lead": 1.2,
    "formSubmit": 0.5,
    "engagementView": 0.3,
    "email": 0.08,
    "identify": 0.06,
    "responses": 0.05,
}


@dataclass(frozen=True)
class Scenario:
    """One tenant, what both clients read of it, and at which latency."""

    name: str
    #: Days of event history generated.
    days: int
    #: Both clients read `[NOW - read_days, NOW + 1 minute)`.
    read_days: int
    #: Multiplied by each type's weight: that type's mean events per day.
    events_per_day: float
    weights: dict[str, float]
    latency_ms: int
    #: The tap's records/s must be at least this times the floor's (None: no target).
    target: float | None
    #: ... and at least this times its own records/s at 0 ms in the same scenario.
    of_own_0ms: float | None = None


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("backfill", days=180, read_days=181, events_per_day=100, weights=WEIGHTS,
             latency_ms=0, target=None),
    Scenario("backfill", days=180, read_days=181, events_per_day=100, weights=WEIGHTS,
             latency_ms=50, target=1.8, of_own_0ms=0.8),
    Scenario("daily", days=3, read_days=1, events_per_day=1200, weights=WEIGHTS,
             latency_ms=200, target=1.5),
)  # fmt: skip


@dataclass(frozen=True)
class Result:
    """What one client did."""

    records: int
    requests: int
    seconds: float
    peak_rss_mb: float | None = None

    @property
    def rate(self) -> float:
        """Records per second."""
        return self.records / self.seconds


# -- the emulator ------------------------------------------------------------------------------


@contextlib.contextmanager
def emulator(scenario: Scenario, latency_ms: int) -> t.Iterator[str]:
    """The scenario's tenant served by an emulator process of its own; yields its base URL."""
    weights = ",".join(f"{name}={weight}" for name, weight in scenario.weights.items())
    command = [
        sys.executable, "-m", "tests.emulator", "--api-key", API_KEY, "--now", NOW.isoformat(),
        "--history-days", str(scenario.days), "--events-per-day", str(scenario.events_per_day),
        "--event-weights", weights, "--users", "300", "--accounts", "30",
        "--latency-ms", str(latency_ms),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip() if process.stdout else ""
        if not line.startswith("EMULATOR_URL="):
            sys.exit(f"bench: the emulator did not start ({line!r})")
        yield line.removeprefix("EMULATOR_URL=")
    finally:
        process.terminate()
        process.wait(timeout=30)


# -- the tap -----------------------------------------------------------------------------------


def run_tap(
    url: str, start: dt.datetime, end: dt.datetime, concurrency: int, pace: int = UNPACED
) -> Result:
    """Time the tap over every event stream; its peak RSS comes from wait4 on it alone.

    That figure is at least this process's RSS when the tap starts (see `without_http_apart`),
    about 55 MB, well under the tap's own.
    """
    config = {
        "api_key": API_KEY, "api_url": url, "start_date": start.isoformat(),
        "end_date": end.isoformat(), "max_requests_per_second": pace,
        "page_size": PAGE_SIZE, "max_concurrency": concurrency,
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "config.json").write_text(json.dumps(config))
        catalog = catalog_for(config, [e.name for e in PX_EVENT_ENDPOINTS])
        Path(tmp, "catalog.json").write_text(json.dumps(catalog))
        command = [sys.executable, "-m", "tap_gainsight", "--config", f"{tmp}/config.json",
                   "--catalog", f"{tmp}/catalog.json"]  # fmt: skip
        log = Path(tmp, "stderr.log")
        with open(os.devnull, "wb") as sink, log.open("wb") as errors:
            began = time.perf_counter()
            tap = subprocess.Popen(command, stdout=sink, stderr=errors)
            _, status, usage = os.wait4(tap.pid, 0)
            seconds = time.perf_counter() - began
        if status != 0:
            sys.exit(f"bench: the tap failed:\n{log.read_text()[-2000:]}")
        total = re.search(r"Sync complete: ([\d,]+) records, ([\d,]+) requests", log.read_text())
    if not total:
        sys.exit("bench: the tap's 'Sync complete' summary line is missing")
    records, requests_made = (int(group.replace(",", "")) for group in total.groups())
    return Result(records, requests_made, seconds, peak_rss_mb=usage.ru_maxrss / 1024)


# -- the floor ---------------------------------------------------------------------------------


def api_session() -> requests.Session:
    """A plain requests session carrying the key."""
    session = requests.Session()
    session.headers["X-APTRINSIC-API-KEY"] = API_KEY
    return session


def widest_windows(start: dt.datetime, end: dt.datetime) -> t.Iterator[tuple[int, int]]:
    """`[start, end)` as consecutive windows of `MAX_WINDOW_DAYS`, in epoch ms."""
    step = dt.timedelta(days=MAX_WINDOW_DAYS)
    while start < end:
        stop = min(start + step, end)
        yield to_epoch_ms(start), to_epoch_ms(stop)
        start = stop


def scroll_pages(
    session: requests.Session, url: str, path: str, start: dt.datetime, end: dt.datetime
) -> t.Iterator[tuple[bytes, list[dict]]]:
    """Every page of one event type, widest window by widest window: raw body and records."""
    for lo, hi in widest_windows(start, end):
        window = f"date>={lo};date<{hi}"
        params: dict[str, str | int] = {"pageSize": PAGE_SIZE, "filter": window, "sort": "date"}
        while True:
            content = session.get(url + path, params=params).content
            body = msgspec.json.decode(content)
            page = next(v for v in body.values() if isinstance(v, list))
            yield content, page
            if len(page) < PAGE_SIZE or not body.get("scrollId"):
                break
            params["scrollId"] = body["scrollId"]


def write_records(sink: t.BinaryIO, stream: str, page: list[dict]) -> None:
    """The floor's RECORD lines: dates converted, msgspec-encoded."""
    for record in page:
        record["date"] = epoch_ms_to_rfc3339(record["date"])
        sink.write(ENCODER.encode({"type": "RECORD", "stream": stream, "record": record}) + b"\n")


def run_floor(url: str, start: dt.datetime, end: dt.datetime) -> Result:
    """Every event type, one request after the other, with nothing but requests and msgspec."""
    session = api_session()
    records = requests_made = 0
    began = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        for endpoint in PX_EVENT_ENDPOINTS:
            for _, page in scroll_pages(session, url, endpoint.path, start, end):
                requests_made += 1
                write_records(sink, endpoint.name, page)
                records += len(page)
    return Result(records, requests_made, time.perf_counter() - began)


# -- without HTTP ------------------------------------------------------------------------------


def records_of(content: bytes) -> list[dict]:
    """The records of a stored page body."""
    return next(v for v in msgspec.json.decode(content).values() if isinstance(v, list))


def run_without_http(url: str, start: dt.datetime, end: dt.datetime) -> tuple[float, float]:
    """Records/s of the tap's per-record path and of the floor's, pages served from memory.

    The tap's stream is fed the stored bodies instead of HTTP answers, so what is timed is
    everything between a page and its RECORD lines: decoding, the tap's `post_process`, the
    SDK's per-record work (selection, state, messages) and writing. It bounds what any
    amount of overlapping requests can reach.
    """
    bodies = [content for content, _ in scroll_pages(api_session(), url, PATH, start, end)]
    total = sum(len(records_of(content)) for content in bodies)

    def from_memory(self: EventStream, context: object) -> t.Iterator[dict]:
        for content in bodies:  # decoded and checked as each page is, in a sync
            records, _ = find_records(msgspec.json.decode(content), self.records_keys, self.path)
            yield from self.checked(records)

    config = {"api_key": API_KEY, "api_url": url, "start_date": start.isoformat()}
    tap = TapGainsight(
        config=config, catalog=catalog_for(config, ["page_view_events"]), parse_env_config=False
    )
    original = EventStream.request_records
    EventStream.request_records = from_memory  # type: ignore[method-assign]
    saved = os.dup(1), os.dup(2)
    sys.stdout.flush()
    with open(os.devnull, "wb") as sink:
        os.dup2(sink.fileno(), 1), os.dup2(sink.fileno(), 2)
        try:
            began = time.perf_counter()
            tap.sync_all()
            sys.stdout.flush()
            tap_seconds = time.perf_counter() - began
        finally:
            EventStream.request_records = original  # type: ignore[method-assign]
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)

        began = time.perf_counter()
        for content in bodies:
            write_records(sink, "page_view_events", records_of(content))
        raw_seconds = time.perf_counter() - began
    return total / tap_seconds, total / raw_seconds


def without_http_apart(url: str, start: dt.datetime, end: dt.datetime) -> tuple[float, float]:
    """`run_without_http` in a fresh interpreter, so that this process stays small.

    A child's peak RSS as wait4 reports it is at least its parent's RSS when it was started
    (Linux carries it over the exec), so a tap started after an in-process sync would report
    the bench's memory, not its own.
    """
    # An executor ends its worker with a sentinel, not SIGTERM (which the SDK handles).
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as worker:
        return worker.submit(run_without_http, url, start, end).result()


# -- the report --------------------------------------------------------------------------------


def report(
    scenario: Scenario, latency_ms: int, tap: Result, floor: Result, own_0ms: float | None
) -> None:
    """Both clients, their ratios against the targets, and the request budget check.

    `own_0ms`: the tap's records/s in the same scenario at 0 ms, if it ran.
    """
    for name, result in (("tap", tap), ("floor", floor)):
        memory = f", peak RSS {result.peak_rss_mb:.0f} MB" if result.peak_rss_mb else ""
        print(f"  {name + ':':<7}{result.records:>10,} records in {result.seconds:6.1f} s = "
              f"{result.rate:>8,.0f} records/s, {result.requests:,} requests{memory}")  # fmt: skip
    if tap.records != floor.records:
        print(f"  records differ: tap {tap.records:,}, floor {floor.records:,}")
    judged = latency_ms == scenario.latency_ms
    for name, ratio, target in (
        ("tap / floor", tap.rate / floor.rate, scenario.target),
        ("tap / tap at 0 ms", tap.rate / own_0ms if own_0ms else None, scenario.of_own_0ms),
    ):
        if ratio is None or target is None:
            if ratio is not None:
                print(f"  {name}: {ratio:.2f}, no target")
            continue
        verdict = "met" if ratio >= target else "NOT MET"
        if not judged:
            verdict = f"not judged (set for {scenario.latency_ms} ms)"
        print(f"  {name}: {ratio:.2f}, target >= {target}: {verdict}")
    allowed = floor.requests + len(PX_EVENT_ENDPOINTS)
    budget = "ok" if tap.requests <= allowed else "OVER"
    print(f"  requests: tap {tap.requests:,}, floor {floor.requests:,}, "
          f"allowed {floor.requests:,}+{len(PX_EVENT_ENDPOINTS)}: {budget}")  # fmt: skip


def best_of(runs: list[Result]) -> Result:
    """The fastest run, with the most requests and the highest peak RSS of any run."""
    fastest = min(runs, key=lambda result: result.seconds)
    rss = [result.peak_rss_mb for result in runs if result.peak_rss_mb is not None]
    return Result(
        fastest.records,
        max(result.requests for result in runs),
        fastest.seconds,
        peak_rss_mb=max(rss) if rss else None,
    )


def run(
    scenario: Scenario,
    latency_ms: int,
    concurrency: int,
    *,
    rounds: int,
    without_http: bool,
    pace: int = UNPACED,
    own_0ms: float | None = None,
) -> float:
    """One emulator process: both clients `rounds` times, then (if asked) no HTTP at all.

    Returns the tap's records/s (its fastest run); `own_0ms` is that of the same scenario
    at 0 ms, if it ran before.

    The rounds alternate which client goes first (tap, floor; floor, tap; ...), and each
    client's fastest run is compared: on a shared, noisy machine one run of either can be
    20 % off, and the one that goes first may meet a colder server.
    """
    start, end = NOW - dt.timedelta(days=scenario.read_days), NOW + dt.timedelta(minutes=1)
    began = time.perf_counter()
    with emulator(scenario, latency_ms) as url:
        print(f"{scenario.name} at {latency_ms} ms: {scenario.days} days of history, reading "
              f"[{start:%Y-%m-%d %H:%M}, {end:%Y-%m-%d %H:%M}) UTC, max_concurrency "
              f"{concurrency}, max_requests_per_second {pace:,}; emulator ready in "
              f"{time.perf_counter() - began:.0f} s")  # fmt: skip
        taps: list[Result] = []
        floors: list[Result] = []
        for number in range(rounds):
            order = ("tap", "floor") if number % 2 == 0 else ("floor", "tap")
            for client in order:
                if client == "tap":
                    taps.append(run_tap(url, start, end, concurrency, pace))
                else:
                    floors.append(run_floor(url, start, end))
        if rounds > 1:
            for name, runs in (("tap", taps), ("floor", floors)):
                seconds = ", ".join(f"{result.seconds:.1f}" for result in runs)
                print(f"  {name} runs: {seconds} s; the fastest is compared")
        tap = best_of(taps)
        report(scenario, latency_ms, tap, best_of(floors), own_0ms)
        if without_http:
            tap_rate, raw_rate = without_http_apart(url, start, end)
            print("  without HTTP (page_view_events of this range, pages from memory):")
            print(f"    tap per-record path:   {tap_rate:>8,.0f} records/s")
            print(f"    floor per-record path: {raw_rate:>8,.0f} records/s")
            print(f"    tap / floor: {tap_rate / raw_rate:.2f}")
    print(f"  ({time.perf_counter() - began:.0f} s in all)", flush=True)
    return tap.rate


def selected(name: str, latency_ms: int | None) -> list[tuple[Scenario, int]]:
    """The scenarios to run and the latency of each, once per (name, latency)."""
    runs: dict[tuple[str, int], Scenario] = {}
    for scenario in SCENARIOS:
        if name not in ("all", scenario.name):
            continue
        latency = scenario.latency_ms if latency_ms is None else latency_ms
        key = (scenario.name, latency)
        # At an overridden latency, prefer the entry whose target was set for it.
        if key not in runs or scenario.latency_ms == latency:
            runs[key] = scenario
    return [(scenario, latency) for (_, latency), scenario in runs.items()]


def main() -> None:
    """Run each selected scenario and print the comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario", choices=("backfill", "daily", "all"), default="all", help="default: all"
    )
    parser.add_argument(
        "--latency-ms", type=int, help="instead of each scenario's (backfill 0 and 50, daily 200)"
    )
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=DEFAULT_MAX_CONCURRENCY,
        help=f"the tap's setting (default: its default, {DEFAULT_MAX_CONCURRENCY})",
    )
    parser.add_argument(
        "--max-requests-per-second",
        type=int,
        default=UNPACED,
        help=f"the tap's pace (default: {UNPACED:,}, no pace; the tap's default is 20)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of each client, alternating (default: 2)"
    )
    parser.add_argument(
        "--without-http", action="store_true", help="also time both per-record paths alone"
    )
    args = parser.parse_args()
    at_0ms: dict[str, float] = {}  # scenario name: the tap's records/s at 0 ms
    for number, (scenario, latency) in enumerate(selected(args.scenario, args.latency_ms)):
        without_http = args.without_http and number == 0
        rate = run(
            scenario,
            latency,
            args.max_concurrency,
            rounds=max(1, args.rounds),
            pace=args.max_requests_per_second,
            without_http=without_http,
            own_0ms=at_0ms.get(scenario.name),
        )
        if latency == 0:
            at_0ms[scenario.name] = rate


if __name__ == "__main__":
    main()
