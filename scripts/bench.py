"""Benchmark: the tap against a raw floor, over the same emulated event history.

    make bench                                   # 1M+ events, 0 ms and 50 ms latency
    .venv/bin/python scripts/bench.py [--events-per-day N] [--days D] [--latency-ms L ...]
                                      [--max-concurrency C]

The emulator runs in a process of its own with a generated tenant. For each latency it
times, one after the other:
  (a) `tap-gainsight` over every event stream, RECORD lines to /dev/null;
  (b) the raw floor: the same requests (same windows, same scroll pages) with plain
      `requests`, the same RECORD lines (dates converted, msgspec-encoded) to /dev/null.
It prints records/s of each, their ratio, the tap's peak RSS and the requests made.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

import msgspec
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tap_gainsight.px.events import PX_EVENT_ENDPOINTS, EventStream  # noqa: E402
from tap_gainsight.settings import DEFAULT_MAX_CONCURRENCY  # noqa: E402
from tap_gainsight.tap import TapGainsight  # noqa: E402
from tap_gainsight.timestamps import epoch_ms_to_rfc3339, to_epoch_ms  # noqa: E402
from tap_gainsight.windows import plan_windows  # noqa: E402
from tests.sync import catalog_for  # noqa: E402

API_KEY = "bench-key"
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc)
PAGE_SIZE = 1000
WINDOW_DAYS = 7
ENCODER = msgspec.json.Encoder()
#: The event type timed without HTTP.
PATH = "/events/pageView"


def start_emulator(events_per_day: int, days: int, latency_ms: int) -> tuple[subprocess.Popen, str]:
    """The emulator in its own process; returns it and its base URL."""
    command = [
        sys.executable, "-m", "tests.emulator", "--api-key", API_KEY, "--now", NOW.isoformat(),
        "--events-per-day", str(events_per_day), "--history-days", str(days),
        "--users", "300", "--accounts", "30", "--latency-ms", str(latency_ms),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip() if process.stdout else ""
    if not line.startswith("EMULATOR_URL="):
        process.kill()
        sys.exit(f"bench: the emulator did not start ({line!r})")
    return process, line.removeprefix("EMULATOR_URL=")


def run_tap(url: str, start: dt.datetime, end: dt.datetime, concurrency: int) -> dict:
    """Time the tap over every event stream; its peak RSS comes from wait4 on it alone."""
    config = {
        "api_key": API_KEY, "api_url": url, "start_date": start.isoformat(),
        "end_date": end.isoformat(), "max_requests_per_second": 100_000,
        "event_window_days": WINDOW_DAYS, "page_size": PAGE_SIZE,
        "max_concurrency": concurrency,
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
    assert total, "the tap's summary line is missing"
    records, requests_made = (int(group.replace(",", "")) for group in total.groups())
    return {"records": records, "requests": requests_made, "seconds": seconds,
            "peak_rss_mb": usage.ru_maxrss / 1024}  # fmt: skip


def scroll_pages(
    session: requests.Session, url: str, path: str, start: dt.datetime, end: dt.datetime
) -> t.Iterator[tuple[bytes, dict, list[dict]]]:
    """Every page of one event type, window by window: raw body, parsed body, records."""
    for window in plan_windows(start, end, WINDOW_DAYS):
        window_filter = f"date>={to_epoch_ms(window.start)};date<{to_epoch_ms(window.end)}"
        params = {"pageSize": PAGE_SIZE, "filter": window_filter, "sort": "date"}
        while True:
            content = session.get(url + path, params=params).content
            body = msgspec.json.decode(content)
            page = next(v for v in body.values() if isinstance(v, list))
            yield content, body, page
            if len(page) < PAGE_SIZE or not body.get("scrollId"):
                break
            params["scrollId"] = body["scrollId"]


def api_session() -> requests.Session:
    """A plain requests session carrying the key."""
    session = requests.Session()
    session.headers["X-APTRINSIC-API-KEY"] = API_KEY
    return session


def write_records(sink: t.BinaryIO, stream: str, page: list[dict]) -> None:
    """The raw floor's RECORD lines: dates converted, msgspec-encoded."""
    for record in page:
        record["date"] = epoch_ms_to_rfc3339(record["date"])
        sink.write(ENCODER.encode({"type": "RECORD", "stream": stream, "record": record}) + b"\n")


def run_raw_floor(url: str, start: dt.datetime, end: dt.datetime) -> dict:
    """The same requests and RECORD lines with nothing but requests and msgspec."""
    session = api_session()
    records = requests_made = 0
    began = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        for endpoint in PX_EVENT_ENDPOINTS:
            for _, _, page in scroll_pages(session, url, endpoint.path, start, end):
                requests_made += 1
                write_records(sink, endpoint.name, page)
                records += len(page)
    seconds = time.perf_counter() - began
    return {"records": records, "requests": requests_made, "seconds": seconds}


def records_of(content: bytes) -> list[dict]:
    """The records of a stored page body."""
    return next(v for v in msgspec.json.decode(content).values() if isinstance(v, list))


def run_without_http(url: str, start: dt.datetime, end: dt.datetime) -> tuple[float, float]:
    """Records/s of the tap's per-record path and of the raw one, pages served from memory.

    The tap's stream is fed the stored bodies instead of HTTP answers, so what is timed is
    everything between a page and its RECORD lines: decoding, the tap's `post_process`, the
    SDK's per-record work (selection, state, messages) and writing. It bounds what any
    amount of overlapping requests can reach.
    """
    bodies = [content for content, _, _ in scroll_pages(api_session(), url, PATH, start, end)]
    total = sum(len(records_of(content)) for content in bodies)

    def from_memory(self: EventStream, context: object) -> t.Iterator[dict]:
        for content in bodies:
            yield from records_of(content)

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


def main() -> None:
    """Generate once per latency, run both clients, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events-per-day", type=int, default=230, help="per event type")
    parser.add_argument("--days", type=int, default=400, help="days of history")
    parser.add_argument("--latency-ms", type=int, nargs="+", default=[0, 50])
    parser.add_argument(
        "--without-http", action="store_true", help="also time both per-record paths alone"
    )
    parser.add_argument(
        "--max-concurrency", type=int, default=DEFAULT_MAX_CONCURRENCY, help="the tap's setting"
    )
    args = parser.parse_args()
    start, end = NOW - dt.timedelta(days=args.days + 1), NOW + dt.timedelta(minutes=1)

    for latency in args.latency_ms:
        began = time.perf_counter()
        emulator, url = start_emulator(args.events_per_day, args.days, latency)
        print(f"latency {latency} ms: emulator ready in {time.perf_counter() - began:.0f} s")
        try:
            tap = run_tap(url, start, end, args.max_concurrency)
            raw = run_raw_floor(url, start, end)
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)
        tap_rate, raw_rate = tap["records"] / tap["seconds"], raw["records"] / raw["seconds"]
        print(f"  tap:        {tap['records']:>9,} records in {tap['seconds']:6.1f} s = "
              f"{tap_rate:>8,.0f} records/s, {tap['requests']:,} requests, "
              f"peak RSS {tap['peak_rss_mb']:.0f} MB, max_concurrency "
              f"{args.max_concurrency}")  # fmt: skip
        print(f"  raw floor:  {raw['records']:>9,} records in {raw['seconds']:6.1f} s = "
              f"{raw_rate:>8,.0f} records/s, {raw['requests']:,} requests")  # fmt: skip
        print(f"  tap / raw floor: {tap_rate / raw_rate:.2f}")
    if args.without_http:
        emulator, url = start_emulator(args.events_per_day, args.days, 0)
        try:
            tap_rate, raw_rate = run_without_http(url, start, end)
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)
        print("without HTTP (page_view_events, pages from memory):")
        print(f"  tap per-record path: {tap_rate:>8,.0f} records/s")
        print(f"  raw per-record path: {raw_rate:>8,.0f} records/s")
        print(f"  tap / raw: {tap_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
