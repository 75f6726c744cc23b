"""Run this repository's Meltano project against an emulator, isolated per test."""

from __future__ import annotations

import os
import subprocess
import sys
import typing as t
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MELTANO = Path(sys.executable).with_name("meltano")


def meltano_env(tmp_path: Path, tap_settings: dict[str, t.Any], **extra: str) -> dict[str, str]:
    """Environment for `meltano`: its own system database (so its own state) per test."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TAP_GAINSIGHT_", "MELTANO_", "TARGET_"))
    }
    env["MELTANO_DATABASE_URI"] = f"sqlite:///{tmp_path / 'meltano.db'}"
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env |= {f"TAP_GAINSIGHT_{key.upper()}": str(value) for key, value in tap_settings.items()}
    return env | extra


def meltano(
    *args: str, env: dict[str, str], project: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run a Meltano command in a project (this one); fail the test with its log if it fails."""
    result = subprocess.run(
        [str(MELTANO), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        msg = f"meltano {' '.join(args)} failed ({result.returncode}):\n{tail}"
        raise AssertionError(msg)
    return result


def install_plugins(env: dict[str, str], *plugins: str) -> None:
    """Install the named plugins into the project's `.meltano` (quick once installed)."""
    meltano("install", *plugins, env=env)
