"""``python -m tests.emulator.cs [--port 0] [--api-key KEY] [--seed 1] [--now ISO]``: serve a
generated CS tenant (its quota of 100 requests a minute included) as a process, for demos.

It prints exactly one line, ``CS_EMULATOR_URL=http://127.0.0.1:PORT``, to stdout once it
listens, then serves until SIGTERM or SIGINT and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from tests.emulator.serving import serve_until_signalled

from .server import CSEmulator
from .tenant import CSTenant

parser = argparse.ArgumentParser(prog="python -m tests.emulator.cs", description=__doc__)
parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
parser.add_argument("--api-key", default="cs-emulator-key", help="the accesskey to accept")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--now", type=dt.datetime.fromisoformat, help="default 2026-11-20T12:00Z")
args = parser.parse_args()
emulator = CSEmulator(
    CSTenant.generate(seed=args.seed, now=args.now), access_key=args.api_key, port=args.port
)
sys.exit(serve_until_signalled(emulator, "CS_EMULATOR_URL={url}"))
