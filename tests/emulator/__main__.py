"""Run the emulator as a process: ``python -m tests.emulator [options]`` (from the repo root).

Prints exactly one line, ``EMULATOR_URL=http://127.0.0.1:PORT/v1``, to stdout, then serves until
SIGTERM or SIGINT and exits 0. Nothing else is written to stdout. The line comes once the tenant
is generated, its events indexed and encoded (``Emulator.warm_up``) and the server listening.

``--size`` picks a preset; ``--users``, ``--accounts``, ``--history-days`` and
``--events-per-day`` override parts of it, e.g. a throughput benchmark's million events::

    python -m tests.emulator --history-days 400 --events-per-day 230

``--event-weights`` gives event types means of their own: each named type's mean per day is
``--events-per-day`` times its weight (1 for a type not named). Types are named by the last
part of their path (``pageView`` for ``/events/pageView``, ``responses`` for
``/survey/responses``) or by the whole path; e.g. page views 20 times as frequent as leads::

    python -m tests.emulator --events-per-day 100 --event-weights pageView=20,lead=1,email=0.05

``--quirk NAME`` switches a ``Quirks`` flag on (``NAME=false`` off), ``--quirk NAME=VALUE``
sets a valued one; repeat it to play a world where the docs are silent, e.g.::

    python -m tests.emulator --quirk entity_sort_ignored --quirk renamed_records_key=items
    python -m tests.emulator --quirk refused_paths=/articles,/kcbot --quirk page_cap=7
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import math
import sys
from collections.abc import Callable

from .faults import Faults
from .quirks import Quirks, add_quirk_option
from .server import Emulator
from .serving import serve_until_signalled
from .tenant import EVENT_PATHS, Tenant, TenantSize

#: ``--event-weights`` names: the last part of each event path, and the path itself.
EVENT_NAMES: dict[str, str] = {
    **{path.rsplit("/", 1)[-1]: path for path in EVENT_PATHS},
    **{path: path for path in EVENT_PATHS},
}
_SHORT_NAMES = ", ".join(path.rsplit("/", 1)[-1] for path in EVENT_PATHS)


def _at_least(minimum: float, kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text}")
        return value

    return parse


def event_weights(text: str) -> dict[str, float]:
    """``pageView=20,lead=0.05`` -> ``{"/events/pageView": 20.0, "/events/lead": 0.05}``."""
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, equals, value = item.partition("=")
        path = EVENT_NAMES.get(name.strip())
        if path is None or not equals:
            raise argparse.ArgumentTypeError(
                f"{item!r}: expected NAME=WEIGHT, NAME one of {_SHORT_NAMES}"
            )
        try:
            weights[path] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r}: the weight is not a number") from None
        if not (math.isfinite(weights[path]) and weights[path] >= 0):
            raise argparse.ArgumentTypeError(f"{item!r}: a weight must be a finite number >= 0")
    return weights


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, serve until a signal, return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--size", choices=("small", "demo"), default="demo")
    count = _at_least(1, int)
    parser.add_argument("--users", type=count, help="users (overrides the --size preset)")
    parser.add_argument("--accounts", type=count, help="accounts (overrides the --size preset)")
    parser.add_argument(
        "--history-days", type=count, help="days of event history (overrides the --size preset)"
    )
    parser.add_argument(
        "--events-per-day",
        type=_at_least(0, float),
        help="mean events per type per day (overrides the --size preset; 11 types)",
    )
    parser.add_argument(
        "--event-weights",
        type=event_weights,
        metavar="NAME=W,...",
        help="per event type, a factor on --events-per-day, e.g. pageView=20,lead=1 "
        f"(a type not named: 1); names: {_SHORT_NAMES}",
    )
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
    add_quirk_option(parser, Quirks)
    args = parser.parse_args(argv)
    now = args.now or dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)

    size = TenantSize.small() if args.size == "small" else TenantSize.demo()
    overrides = {
        name: getattr(args, name)
        for name in ("users", "accounts", "history_days", "events_per_day", "event_weights")
        if getattr(args, name) is not None
    }
    size = dataclasses.replace(size, **overrides)
    emulator = Emulator(
        Tenant.generate(seed=args.seed, size=size, now=now),
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        faults=Faults(latency_ms=args.latency_ms),
        quirks=dataclasses.replace(Quirks(), **dict(args.quirk)),
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
