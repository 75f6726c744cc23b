"""Benchmark: the users stream with stream maps or flattening against the same stream without.

    .venv/bin/python scripts/bench_maps.py [--users N] [--rounds N]

Starts one emulator process (`python -m tests.emulator`, a real HTTP server, no latency) with
`--users` users (default 30,000), discovers the catalog once and selects `users`, then runs
`python -m tap_gainsight --catalog ...` once per case and round (default 3 rounds, the cases
alternating within each), RECORD lines to a file. Per case it prints the fastest round: the
stream's records/s from its `Done:` line (its own time, without start-up), the whole
process's seconds, the SCHEMA messages written, the ratio to the case without a map (the
rule: at least 0.5) and whether any line says a field is new or the API departed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sync import catalog_for  # noqa: E402

API_KEY = "bench-maps-key"
CASES: dict[str, dict[str, t.Any]] = {
    "no map": {},
    "remove email": {"stream_maps": {"users": {"email": "__NULL__"}}},
    "rename email": {"stream_maps": {"users": {"mail": "email", "email": "__NULL__"}}},
    "derive from email, remove it": {
        "stream_maps": {
            "users": {"email_domain": "email.split('@')[-1] if email else None", "email": None}
        }
    },
    "alias": {"stream_maps": {"users": {"__alias__": "px_users"}}},
    "flattening, depth 1": {"flattening_enabled": True, "flattening_max_depth": 1},
}
DONE = re.compile(r"tap-gainsight\.users +\| Done: ([\d,]+) records.* \(([\d,]+) records/s\)")


@contextlib.contextmanager
def emulator(users: int) -> t.Iterator[str]:
    """The emulator's base URL, while its process serves."""
    command = [
        sys.executable, "-m", "tests.emulator", "--api-key", API_KEY,
        "--users", str(users), "--history-days", "5", "--events-per-day", "1",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip() if process.stdout else ""
        if not line.startswith("EMULATOR_URL="):
            sys.exit(f"bench_maps: the emulator did not start ({line!r})")
        yield line.removeprefix("EMULATOR_URL=")
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_tap(config: dict, catalog: Path, work: Path) -> tuple[int, int, float, int, bool]:
    """Records, the stream's records/s, the process's seconds, SCHEMA lines, a false alarm."""
    (work / "config.json").write_text(json.dumps(config))
    command = [
        sys.executable, "-m", "tap_gainsight",
        "--config", str(work / "config.json"), "--catalog", str(catalog),
    ]  # fmt: skip
    out, log = work / "out.jsonl", work / "tap.log"
    with out.open("wb") as sink, log.open("wb") as errors:
        began = time.perf_counter()
        subprocess.run(command, stdout=sink, stderr=errors, check=True)
        seconds = time.perf_counter() - began
    text = log.read_text()
    done = DONE.search(text)
    if not done:
        sys.exit(f"bench_maps: no 'Done:' line for users:\n{text[-2000:]}")
    records, per_second = (int(group.replace(",", "")) for group in done.groups())
    with out.open("rb") as lines:
        schemas = sum(line.startswith(b'{"type":"SCHEMA"') for line in lines)
    alarm = "the schema lacks" in text or "API departure:" in text
    return records, per_second, seconds, schemas, alarm


def main() -> None:
    """Time every case and print the fastest round of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with emulator(args.users) as url, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = {"api_key": API_KEY, "api_url": url, "max_requests_per_second": 100_000}
        catalog = work / "catalog.json"
        catalog.write_text(json.dumps(catalog_for(base, ["users"])))
        best: dict[str, tuple[int, int, float, int, bool]] = {}
        for _ in range(args.rounds):
            for name, settings in CASES.items():
                result = run_tap({**base, **settings}, catalog, work)
                if name not in best or result[1] > best[name][1]:
                    best[name] = result
    plain = best["no map"][1]
    print(f"users: {args.users:,}, fastest of {args.rounds} rounds")
    print(f"{'case':30} {'records':>8} {'records/s':>10} {'process s':>9} {'SCHEMA':>6}  ratio")
    for name, (records, per_second, seconds, schemas, alarm) in best.items():
        flag = "  (a false new field or departure!)" if alarm else ""
        print(
            f"{name:30} {records:>8,} {per_second:>10,} {seconds:>9.2f} {schemas:>6}  "
            f"{per_second / plain:.2f}{flag}"
        )


if __name__ == "__main__":
    main()
