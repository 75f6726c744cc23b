"""Time a sync of the event history against the local emulator.

    .venv/bin/python scripts/bench.py [--events-per-day N] [--days D] [--latency-ms L]

Starts the emulator in this process with a generated tenant, runs `tap-gainsight` in a
child process over every event stream with its output sent to /dev/null, and prints the
wall time, records, records per second, requests made and the tap's peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tap_gainsight.px_events import PX_EVENT_ENDPOINTS  # noqa: E402
from tests.emulator import Emulator, Faults, Tenant, TenantSize  # noqa: E402
from tests.sync import catalog_for  # noqa: E402


def main() -> None:
    """Generate, sync, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events-per-day", type=int, default=20, help="per event type")
    parser.add_argument("--days", type=int, default=400, help="days of history")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    args = parser.parse_args()

    started = time.perf_counter()
    size = TenantSize(
        users=500, accounts=50, history_days=args.days, events_per_day=args.events_per_day
    )
    tenant = Tenant.generate(seed=1, size=size)
    events = sum(len(tenant.collections[e.path]) for e in PX_EVENT_ENDPOINTS)
    print(
        f"tenant: {events:,} events over {args.days} days ({time.perf_counter() - started:.1f} s)"
    )

    with (
        Emulator(tenant, faults=Faults(latency_ms=args.latency_ms)) as emulator,
        tempfile.TemporaryDirectory() as tmp,
    ):
        start = (tenant.now - dt.timedelta(days=args.days + 2)).isoformat()
        config = {"api_key": emulator.api_key, "api_url": emulator.base_url, "start_date": start}
        streams = [e.name for e in PX_EVENT_ENDPOINTS]
        (Path(tmp) / "config.json").write_text(json.dumps(config))
        (Path(tmp) / "catalog.json").write_text(json.dumps(catalog_for(config, streams)))
        command = [
            sys.executable,
            "-m",
            "tap_gainsight",
            "--config",
            f"{tmp}/config.json",
            "--catalog",
            f"{tmp}/catalog.json",
        ]
        began = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        elapsed = time.perf_counter() - began
        requests = len(emulator.requests)

    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"tap: {events:,} records in {elapsed:.1f} s = {events / elapsed:,.0f} records/s, "
        f"{requests:,} requests, peak RSS {peak_rss_mb:.0f} MB "
        f"(latency {args.latency_ms} ms per request)"
    )


if __name__ == "__main__":
    main()
