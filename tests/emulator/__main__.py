"""Run the emulator as a process: ``python -m tests.emulator [options]`` (from the repo root).

Prints exactly one line, ``EMULATOR_URL=http://127.0.0.1:PORT/v1``, to stdout once the tenant
is generated, its events indexed and encoded and the server listening, then serves until
SIGTERM or SIGINT and exits 0.

``--size`` picks a preset; ``--users``, ``--accounts``, ``--history-days`` and
``--events-per-day`` override parts of it. ``--event-weights`` gives event types means of their
own (the mean per day times the weight; 1 for a type not named), named by the last part of
their path, e.g. a benchmark's dense page views and sparse emails::

    python -m tests.emulator --events-per-day 100 --event-weights pageView=20,email=0.05
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import sys

from .faults import Faults
from .server import Emulator
from .serving import serve_until_signalled
from .tenant import EVENT_PATHS, Tenant, TenantSize

#: ``--event-weights`` names: the last part of each event path.
EVENT_NAMES = {path.rsplit("/", 1)[-1]: path for path in EVENT_PATHS}


def event_weights(text: str) -> dict[str, float]:
    """``pageView=20,lead=0.05`` -> ``{"/events/pageView": 20.0, "/events/lead": 0.05}``."""
    weights = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        if name not in EVENT_NAMES:
            raise argparse.ArgumentTypeError(
                f"{item!r}: NAME=WEIGHT, NAME one of {list(EVENT_NAMES)}"
            )
        weights[EVENT_NAMES[name]] = float(value)
    return weights


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, serve until a signal, return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--size", choices=("small", "demo"), default="demo")
    parser.add_argument("--users", type=int)
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--history-days", type=int)
    parser.add_argument("--events-per-day", type=float, help="mean per event type (11 types)")
    parser.add_argument("--event-weights", type=event_weights, metavar="NAME=W,...")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--api-key", default="emulator-key")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--now",
        type=dt.datetime.fromisoformat,
        help="the tenant's clock (ISO 8601 with offset); default: the current minute, so a "
        "tap's default of the last 190 days always finds events",
    )
    args = parser.parse_args(argv)
    now = args.now or dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    size = TenantSize.small() if args.size == "small" else TenantSize.demo()
    overrides = {
        name: getattr(args, name)
        for name in ("users", "accounts", "history_days", "events_per_day", "event_weights")
        if getattr(args, name) is not None
    }
    emulator = Emulator(
        Tenant.generate(seed=args.seed, size=dataclasses.replace(size, **overrides), now=now),
        api_key=args.api_key,
        port=args.port,
        faults=Faults(latency_ms=args.latency_ms),
        warm=False,  # done here, before the freeze
    )
    emulator.warm_up()
    # The tenant lives as long as the process: keep the cyclic GC from rescanning its millions
    # of objects while serving.
    gc.collect()
    gc.freeze()
    return serve_until_signalled(emulator, "EMULATOR_URL={url}")


if __name__ == "__main__":
    sys.exit(main())
