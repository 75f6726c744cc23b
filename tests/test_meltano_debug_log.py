"""The tap's DEBUG lines under `meltano run`, the way docs/operating.md says: Meltano's
logging file puts the tap alone at DEBUG, where `TAP_GAINSIGHT_LOGLEVEL` does nothing."""

from __future__ import annotations

import re
import shlex

from tests.conftest import API_KEY, SEED
from tests.documented import DOCS, ROOT, inline_meltano_commands
from tests.emulator import Emulator, Tenant, TenantSize
from tests.meltano_project import install_plugins, meltano, meltano_env

#: One of these per request the tap sends, at DEBUG.
REQUEST_LINE = re.compile(r"\[debug\s*\] tap-gainsight METRIC\s.*metric_name=http_request_duration")


def documented_debug_run() -> list[str]:
    """The arguments of the `meltano … run` docs/operating.md gives for DEBUG lines."""
    (operating,) = [path for path in DOCS if path.name == "operating.md"]
    (command,) = [c for c in inline_meltano_commands(operating.read_text()) if "--log-config" in c]
    return shlex.split(command)[1:]


def test_the_documented_logging_file_shows_the_taps_debug_lines_alone(tmp_path) -> None:
    args = documented_debug_run()
    log_config = next(a.split("=", 1)[1] for a in args if a.startswith("--log-config="))
    assert (ROOT / log_config).is_file()
    tenant = Tenant.generate(seed=SEED, size=TenantSize.small())
    with Emulator(tenant, api_key=API_KEY) as emulator:
        settings = {"api_key": API_KEY, "api_url": emulator.base_url}
        warehouse = str(tmp_path / "debug.duckdb")
        env = meltano_env(tmp_path, settings, TARGET_DUCKDB_FILEPATH=warehouse)
        install_plugins(env, "tap-gainsight", "target-duckdb")

        plain = meltano(
            "run", "tap-gainsight", "target-duckdb", env=env | {"TAP_GAINSIGHT_LOGLEVEL": "DEBUG"}
        )
        assert "[debug" not in plain.stderr + plain.stdout

        run = meltano(*args, env=env)
        sent = len(emulator.requests)
    log = (run.stderr + run.stdout).splitlines()
    requests = [line for line in log if REQUEST_LINE.search(line)]
    # The second run's requests, one DEBUG line each (discovery runs before the sync).
    assert 0 < len(requests) <= sent
    debug = [line for line in log if "[debug" in line]
    assert debug
    assert all("] tap-gainsight " in line for line in debug), "only the tap at DEBUG"
    assert len(log) < 2_000
    assert API_KEY not in "\n".join(log)
