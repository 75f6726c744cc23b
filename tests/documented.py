"""What the README and docs/ show, read from them: shell and YAML blocks, meltano commands."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import typing as t
from pathlib import Path

from tests.emulator import Emulator, Tenant, TenantSize
from tests.emulator.cs import CSTenant
from tests.meltano_project import ROOT
from tests.test_warehouse_duckdb import cs_held_counts, held_counts

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
#: The clock and history of `make emulators` and `make demo`.
EMULATORS_NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)
EMULATORS_SINCE = EMULATORS_NOW - dt.timedelta(days=190)
EMULATOR_PORTS = (8080, 8081)
#: The README section of the loader blocks to copy.
LOADERS = "## Loaders that keep every row"


def section(text: str, heading: str) -> str:
    """The text under a Markdown heading, up to the next heading of any level."""
    start = text.index(heading + "\n") + len(heading) + 1
    following = re.search(r"^#{1,6} ", text[start:], flags=re.MULTILINE)
    return text[start : start + following.start()] if following else text[start:]


def fenced_blocks(text: str, language: str) -> list[str]:
    """The bodies of the ```<language> blocks of a Markdown text."""
    pattern = rf"^```{language}\n(.*?)^```$"
    return re.findall(pattern, text, flags=re.MULTILINE | re.DOTALL)


def inline_meltano_commands(text: str) -> list[str]:
    """Every `meltano …` command a Markdown text shows in backticks (not in a code block)."""
    prose = re.sub(r"^```.*?^```$", "", text, flags=re.MULTILINE | re.DOTALL)
    return re.findall(r"`((?:\.venv/bin/)?meltano [^`]+)`", prose)


def port_in_use(port: int) -> bool:
    with contextlib.closing(socket.socket()) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def shell_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A new shell's environment: nothing of Gainsight, Meltano or a target set, no venv on
    PATH, and Meltano's system database (so its state) of the test's own."""
    venv_bin = str(Path(sys.executable).parent)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TAP_GAINSIGHT_", "MELTANO_", "TARGET_", "VIRTUAL_ENV"))
    }
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["MELTANO_DATABASE_URI"] = f"sqlite:///{tmp_path / 'meltano.db'}"
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env | extra


def run_shell(
    script: str, env: dict[str, str], cwd: Path = ROOT, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a block as written with `bash -e`, stopping at its first failing command."""
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stop_emulators() -> None:
    """End the emulators `make emulators` left running, if any."""
    if (ROOT / ".emulators.pids").exists():
        subprocess.run([sys.executable, "scripts/emulators.py", "stop"], cwd=ROOT, check=True)


def emulators_held_counts() -> dict[str, int]:
    """Rows a load of `make emulators`' tenants holds, over the documented 190 days."""
    px = Emulator(Tenant.generate(seed=1, size=TenantSize.demo(), now=EMULATORS_NOW))
    since_ms = int(EMULATORS_SINCE.timestamp() * 1000)
    return held_counts(px, since_ms) | cs_held_counts(CSTenant.generate(seed=1, now=EMULATORS_NOW))


def tail(result: subprocess.CompletedProcess[str], lines: int = 40) -> str:
    return "\n".join((result.stdout + result.stderr).splitlines()[-lines:])


def documented_loaders() -> dict[str, dict[str, t.Any]]:
    """The loader blocks README.md gives to copy, by name (parsed from its ```yaml blocks)."""
    import yaml

    loaders: dict[str, dict[str, t.Any]] = {}
    text = section(README.read_text(), LOADERS)
    for block in fenced_blocks(text, "yaml"):
        for loader in yaml.safe_load(block)["plugins"]["loaders"]:
            loaders[loader["name"]] = loader
    return loaders
