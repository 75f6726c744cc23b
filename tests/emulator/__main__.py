"""Run the emulator as a process: ``python -m tests.emulator [options]`` (from the repo root).

Prints exactly one line, ``EMULATOR_URL=http://127.0.0.1:PORT/v1``, to stdout, then serves until
SIGTERM or SIGINT and exits 0. Nothing else is written to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
from types import FrameType

from .faults import Faults
from .server import Emulator
from .tenant import Tenant, TenantSize


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, serve until a signal, return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--size", choices=("small", "demo"), default="demo")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--api-key", default="emulator-key")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--now",
        type=dt.datetime.fromisoformat,
        default=None,
        help="the tenant's clock (ISO 8601 with offset); default: the current time, so a "
        "tap's default of the last 190 days always finds events",
    )
    args = parser.parse_args(argv)
    now = args.now or dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)

    size = TenantSize.small() if args.size == "small" else TenantSize.demo()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator = Emulator(
        Tenant.generate(seed=args.seed, size=size, now=now),
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        faults=Faults(latency_ms=args.latency_ms),
    )
    with emulator:
        print(f"EMULATOR_URL={emulator.base_url}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
