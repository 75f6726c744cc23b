"""``python -m tests.emulator.cs``: serve a generated CS tenant as a process, for demos.

Run from the repo root::

    python -m tests.emulator.cs [--port 0] [--api-key KEY] [--seed 1]
        [--requests-per-minute 100] [--latency-ms 0] [--high-volume-log]
        [--quirk NAME[=VALUE]]...

``--quirk NAME`` switches a ``CSQuirks`` flag on, ``--quirk NAME=false`` off, ``--quirk
NAME=VALUE`` sets a valued world; repeat it, e.g. ``--quirk order_ignored --quirk
page_cap=7`` for a world where the docs are silent.

It prints exactly one line, ``CS_EMULATOR_URL=http://127.0.0.1:PORT``, to stdout once it
listens, then serves until SIGTERM or SIGINT and exits 0. Nothing else goes to stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

from tests.emulator.faults import Faults
from tests.emulator.quirks import add_quirk_option
from tests.emulator.serving import serve_until_signalled

from .quirks import CSQuirks
from .server import CSEmulator
from .tenant import CSTenant


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, serve until a signal, return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator.cs", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default="cs-emulator-key", help="the accesskey to accept")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--companies", type=int, default=700)
    parser.add_argument("--people", type=int, default=2600)
    parser.add_argument(
        "--high-volume-log",
        action="store_true",
        help="give the tenant record_delete_log_high_volume (default: OBJECT_NOT_FOUND)",
    )
    parser.add_argument(
        "--requests-per-minute", type=int, default=100, help="the quota; 0 disables it"
    )
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--now",
        type=dt.datetime.fromisoformat,
        default=None,
        help="the tenant's clock (ISO 8601 with offset); default 2026-11-20T12:00:00Z",
    )
    add_quirk_option(parser, CSQuirks)
    args = parser.parse_args(argv)

    emulator = CSEmulator(
        CSTenant.generate(
            seed=args.seed,
            companies=args.companies,
            people=args.people,
            now=args.now,
            high_volume_log=args.high_volume_log,
        ),
        access_key=args.api_key,
        host=args.host,
        port=args.port,
        requests_per_minute=args.requests_per_minute or None,
        faults=Faults(latency_ms=args.latency_ms),
        quirks=dataclasses.replace(CSQuirks(), **dict(args.quirk)),
    )
    return serve_until_signalled(emulator, "CS_EMULATOR_URL={url}")
