"""Run this repository's Meltano project against an emulator, isolated per test."""

from __future__ import annotations

import contextlib
import fcntl
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
    *args: str,
    env: dict[str, str],
    project: Path = ROOT,
    check: bool = True,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run a Meltano command in a project (this one); fail the test with its log if it fails.

    Meltano keeps one `.meltano/run/<plugin>/` per project (the catalog it discovers, the
    config it writes), so commands in one project take turns, whichever test process (`pytest
    -n`) sends them: each holds a lock on the project's `meltano.yml` while it runs.
    """
    with project_turn(project):
        result = subprocess.run(
            [str(MELTANO), *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if check and result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        msg = f"meltano {' '.join(args)} failed ({result.returncode}):\n{tail}"
        raise AssertionError(msg)
    return result


@contextlib.contextmanager
def project_turn(project: Path = ROOT) -> t.Iterator[None]:
    """Hold the project's turn: a lock on its `meltano.yml`, for one Meltano command or more.

    A project `meltano init` is still making is its test's alone: nothing to lock.
    """
    definition = project / "meltano.yml"
    with contextlib.ExitStack() as held:
        if definition.exists():
            fcntl.flock(held.enter_context(definition.open()), fcntl.LOCK_EX)
        yield


def install_plugins(env: dict[str, str], *plugins: str) -> None:
    """Install the named plugins into the project's `.meltano` (quick once installed)."""
    meltano("install", *plugins, env=env)


#: The tests that run Meltano in this project, by node id. The lock above keeps them correct
#: wherever they run; this list only schedules them (`tests/conftest.py`): first, one after
#: another in one test process, so that the others run beside them instead of waiting.
IN_THIS_PROJECT = (
    "tests/test_warehouse_deletes.py::",
    "tests/test_warehouse_postgres.py::",
    "tests/test_warehouse_duckdb.py::",
    "tests/test_docs_sql.py::",
    "tests/test_silent_host.py::test_meltano_run_",
    "tests/test_stream_maps.py::test_meltano_run_",
    "tests/test_documented_commands.py::test_the_readme_plain_meltano_path_runs_as_written",
    "tests/test_meltano_debug_log.py::",
)
