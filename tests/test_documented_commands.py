"""The commands README.md and docs/ show work as written, in a new shell, with the project's
Meltano: the plain Meltano path is run whole; every other `meltano` command has its syntax
checked against Meltano's own help."""

from __future__ import annotations

import shlex
import shutil

import pytest

from tests.documented import (
    DOCS,
    EMULATOR_PORTS,
    README,
    ROOT,
    emulators_held_counts,
    fenced_blocks,
    inline_meltano_commands,
    port_in_use,
    run_shell,
    section,
    shell_env,
    stop_emulators,
    tail,
)
from tests.meltano_project import MELTANO, project_turn
from tests.test_warehouse_duckdb import table_counts

PLAIN_PATH = "## The plain Meltano path, against the emulators"
PLAIN_WAREHOUSE = ROOT / "output" / "plain.duckdb"


def test_the_readme_plain_meltano_path_runs_as_written(tmp_path) -> None:
    (block,) = fenced_blocks(section(README.read_text(), PLAIN_PATH), "sh")
    assert "make stop-emulators" in block, "the block must say how to stop the emulators"
    busy = [port for port in EMULATOR_PORTS if port_in_use(port)]
    if busy or (ROOT / ".emulators.pids").exists():
        pytest.skip(f"ports {busy} or .emulators.pids already in use by emulators of another run")
    # A file the reader may have made by following the README is kept aside, then put back.
    kept = tmp_path / "plain.duckdb.kept"
    if PLAIN_WAREHOUSE.exists():
        shutil.move(PLAIN_WAREHOUSE, kept)
    try:
        with project_turn():  # the block's Meltano commands share this project's .meltano
            result = run_shell(block, shell_env(tmp_path))
        assert result.returncode == 0, tail(result)
        assert table_counts(PLAIN_WAREHOUSE) == emulators_held_counts()
    finally:
        stop_emulators()
        PLAIN_WAREHOUSE.unlink(missing_ok=True)
        PLAIN_WAREHOUSE.with_name(PLAIN_WAREHOUSE.name + ".wal").unlink(missing_ok=True)
        if kept.exists():
            shutil.move(kept, PLAIN_WAREHOUSE)
    assert not any(port_in_use(port) for port in EMULATOR_PORTS), "an emulator is left running"
    assert not (ROOT / ".emulators.pids").exists()


def documented_meltano_commands() -> list[str]:
    """Every meltano command of README.md and docs/, inline or in a shell block."""
    commands = []
    for path in (README, *DOCS):
        text = path.read_text()
        commands += inline_meltano_commands(text)
        for block in fenced_blocks(text, "sh"):
            for line in block.splitlines():
                code = line.split("#", 1)[0].strip()
                if code.startswith(("meltano ", ".venv/bin/meltano ")):
                    commands.append(code)
    return sorted(set(commands))


def test_the_docs_show_meltano_commands() -> None:
    assert len(documented_meltano_commands()) >= 8


@pytest.mark.parametrize("command", documented_meltano_commands())
def test_each_documented_meltano_command_is_one_meltano_4_4_knows(command, tmp_path) -> None:
    """`meltano <subcommand…> --help` succeeds and names each option given to Meltano, and
    each plugin named is one meltano.yml declares."""
    words = shlex.split(command.replace("…", ""))[1:]
    path: list[str] = []
    options: dict[tuple[str, ...], list[str]] = {}
    plugins = []
    for word in words:
        if word.startswith(("tap-", "target-")):
            plugins.append(word)
        elif plugins or word.startswith("<"):
            break  # the plugin's own arguments, or a placeholder
        elif word.startswith("-"):
            options.setdefault(tuple(path), []).append(word.split("=", 1)[0])
        else:
            path.append(word)
    env = shell_env(tmp_path)
    for prefix in {tuple(path), *options}:
        result = run_shell(shlex.join([str(MELTANO), *prefix, "--help"]), env, timeout=120)
        assert result.returncode == 0, tail(result)
        assert "Usage: meltano" in result.stdout, command
        for option in options.get(prefix, []):
            assert option in result.stdout, f"{command}: meltano {' '.join(prefix)} has no {option}"
    declared = (ROOT / "meltano.yml").read_text()
    for plugin in plugins:
        assert plugin in {"tap-", "target-"} or f"name: {plugin}\n" in declared, command
