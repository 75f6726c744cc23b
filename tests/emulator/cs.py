"""An in-process emulator of the Gainsight CS (NXT) Data API read endpoints (px-api.md §8).

Start it, point a client at ``base_url`` (the tenant's domain; paths start with ``/v1/…``) with
header ``accesskey: <access_key>``, and it serves a seeded, deterministic tenant of Company and
Person records through the query and describe APIs, with the real API's envelope, operators,
paging limits, per-minute quota and documented quirks, plus the PX emulator's switchable
``Faults``.

Modules, one concern each:

* ``cs_tenant``    -- the data (``CSTenant``, ``OBJECT_FIELDS``), clock and mutations;
* ``cs_query``     -- the query body: ``select``, ``where`` (+ expression parser), ``orderBy``,
  ``limit``/``offset``;
* ``cs_quirks``    -- documented behaviours as flags (``CSQuirks``);
* ``cs_ratelimit`` -- the sliding-window per-minute quota;
* ``cs_errors``    -- the ``{"result", "errorCode", "errorDesc", ...}`` envelope and codes;
* ``cs_server``    -- HTTP plumbing and routing (``CSEmulator``, ``CSRequestRecord``);
* ``cs`` (this)    -- ``python -m tests.emulator.cs`` for demos.

Run as a process (from the repo root)::

    python -m tests.emulator.cs [--port 0] [--api-key KEY] [--seed 1]
        [--requests-per-minute 100] [--latency-ms 0]

prints exactly one line, ``CS_EMULATOR_URL=http://127.0.0.1:PORT``, to stdout, then serves
until SIGTERM or SIGINT and exits 0.

Example::

    with CSEmulator(CSTenant.generate(seed=1)) as emu:
        requests.post(f"{emu.base_url}/v1/data/objects/query/Company",
                      headers={"accesskey": emu.access_key},
                      json={"select": ["Gsid", "Name"], "limit": 10})
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from .cs_errors import CSError
from .cs_query import DEFAULT_LIMIT, MAX_LIMIT, OPERATORS
from .cs_quirks import CSQuirks
from .cs_ratelimit import RateLimiter
from .cs_server import CSEmulator, CSRequestRecord
from .cs_tenant import OBJECT_FIELDS, CSTenant
from .faults import Faults
from .serving import serve_until_signalled

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "OBJECT_FIELDS",
    "OPERATORS",
    "CSEmulator",
    "CSError",
    "CSQuirks",
    "CSRequestRecord",
    "CSTenant",
    "RateLimiter",
    "main",
]


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
        "--requests-per-minute", type=int, default=100, help="the quota; 0 disables it"
    )
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--now",
        type=dt.datetime.fromisoformat,
        default=None,
        help="the tenant's clock (ISO 8601 with offset); default 2026-11-20T12:00:00Z",
    )
    args = parser.parse_args(argv)

    emulator = CSEmulator(
        CSTenant.generate(
            seed=args.seed, companies=args.companies, people=args.people, now=args.now
        ),
        access_key=args.api_key,
        host=args.host,
        port=args.port,
        requests_per_minute=args.requests_per_minute or None,
        faults=Faults(latency_ms=args.latency_ms),
    )
    return serve_until_signalled(emulator, "CS_EMULATOR_URL={url}")


if __name__ == "__main__":
    sys.exit(main())
