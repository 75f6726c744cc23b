"""`make emulators` / `make stop-emulators`: the PX and CS emulators in the background.

`start` runs both emulators as background processes on fixed ports (PX 8080, CS 8081 by
default), on one clock (the demo's, 2026-11-20 12:00 UTC, unless `--now` says otherwise), and
returns once both listen, printing their URLs. Their process ids go to `.emulators.pids` at
the project root; `stop` ends those processes and removes the file. The keys are the
emulators' defaults: `emulator-key` (PX) and `cs-emulator-key` (CS).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIDS = ROOT / ".emulators.pids"
#: The clock of `make demo` and the CS emulator's own default: both tenants on one clock.
NOW = "2026-11-20T12:00:00+00:00"


def start(px_port: int, cs_port: int, now: str) -> int:
    """Start both emulators, wait until each prints its URL, and record their process ids."""
    if PIDS.exists():
        sys.exit(f"emulators: already started ({PIDS.name} exists); `make stop-emulators` first")
    emulators = (
        ("tests.emulator", px_port),
        ("tests.emulator.cs", cs_port),
    )
    started: list[subprocess.Popen[str]] = []
    for module, port in emulators:
        process = subprocess.Popen(
            [sys.executable, "-m", module, "--port", str(port), "--now", now],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # outlives this script, untouched by the shell's Ctrl-C
        )
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if "EMULATOR_URL=" not in line:
            for p in started:
                p.terminate()
            sys.exit(f"emulators: {module} did not start on port {port} (is it in use?)")
        process.stdout.close()
        print(line, flush=True)
    PIDS.write_text("".join(f"{p.pid}\n" for p in started))
    print(f"emulators: clock at {now}; stop them with `make stop-emulators`", flush=True)
    return 0


def stop() -> int:
    """End the emulators `start` recorded and wait until they are gone."""
    if not PIDS.exists():
        print("emulators: none started")
        return 0
    pids = [int(line) for line in PIDS.read_text().split()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
    PIDS.unlink()
    print("emulators: stopped")
    return 0


def main() -> int:
    """Parse the command line and start or stop."""
    parser = argparse.ArgumentParser(prog="scripts/emulators.py", description=__doc__)
    parser.add_argument("command", choices=("start", "stop"))
    parser.add_argument("--px-port", type=int, default=8080)
    parser.add_argument("--cs-port", type=int, default=8081)
    parser.add_argument("--now", default=NOW, help=f"both tenants' clock (default {NOW})")
    args = parser.parse_args()
    if args.command == "start":
        return start(args.px_port, args.cs_port, args.now)
    return stop()


if __name__ == "__main__":
    sys.exit(main())
