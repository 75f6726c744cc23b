"""Run the tap in this process and collect the Singer messages it writes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import typing as t
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tap_gainsight.tap import TapGainsight


@dataclass
class SyncResult:
    """The messages of one sync, grouped the way tests ask about them."""

    records: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    schemas: dict[str, dict] = field(default_factory=dict)
    states: list[dict] = field(default_factory=list)
    #: Every message, in the order written.
    messages: list[dict] = field(default_factory=list)

    @property
    def final_state(self) -> dict:
        """The last STATE the tap emitted (what Meltano would store)."""
        return self.states[-1] if self.states else {}

    def bookmark(self, stream: str) -> t.Any:
        """The replication key value the final state holds for a stream."""
        return self.final_state["bookmarks"][stream].get("replication_key_value")

    @classmethod
    def from_lines(cls, lines: t.Iterable[str]) -> SyncResult:
        """Parse Singer messages, one JSON document per line."""
        result = cls()
        for line in lines:
            if not line.strip():
                continue
            message = json.loads(line)
            result.messages.append(message)
            if message["type"] == "RECORD":
                result.records[message["stream"]].append(message["record"])
            elif message["type"] == "SCHEMA":
                result.schemas[message["stream"]] = message["schema"]
            elif message["type"] == "STATE":
                result.states.append(message["value"])
        return result


def catalog_for(config: dict, streams: t.Iterable[str] | None) -> dict:
    """Discover the catalog and select only the named streams (all when None)."""
    wanted = None if streams is None else set(streams)
    catalog = TapGainsight(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = (
                    wanted is None or entry["tap_stream_id"] in wanted
                )
    return catalog


def run_sync(
    config: dict,
    *,
    state: dict | None = None,
    streams: t.Iterable[str] | None = None,
    catalog: dict | None = None,
) -> SyncResult:
    """Sync the selected streams in-process and return what the tap wrote to stdout."""
    tap = TapGainsight(
        config=config,
        state=state,
        catalog=catalog or catalog_for(config, streams),
        parse_env_config=False,
    )
    # A byte buffer underneath, as on a real stdout: the tap writes encoded lines to it.
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(out):
        tap.sync_all()
    out.flush()
    return SyncResult.from_lines(out.buffer.getvalue().decode().splitlines())


def run_cli(
    config: dict,
    tmp_path: Path,
    *args: str,
    streams: t.Iterable[str] | None = None,
    env: dict[str, str] | None = None,
    state: dict | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m tap_gainsight` as a user would, with config (and catalog, state) files."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    command = [sys.executable, "-m", "tap_gainsight", "--config", str(config_file), *args]
    if streams is not None:
        catalog_file = tmp_path / "catalog.json"
        catalog_file.write_text(json.dumps(catalog_for(config, streams)))
        command += ["--catalog", str(catalog_file)]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def error_lines(stderr: str) -> list[str]:
    """The ERROR lines of the tap's log."""
    return [line for line in stderr.splitlines() if "| ERROR" in line]


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one ERROR line of a run that failed (exit 1, no traceback), without its prefix."""
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    return line.split("| ")[-1]
