"""Run the tap in this process and collect the Singer messages it writes."""

from __future__ import annotations

import contextlib
import io
import json
import typing as t
from collections import defaultdict
from dataclasses import dataclass, field

from tap_gainsight.tap import TapGainsight


@dataclass
class SyncResult:
    """The messages of one sync, grouped the way tests ask about them."""

    records: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    schemas: dict[str, dict] = field(default_factory=dict)
    states: list[dict] = field(default_factory=list)

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
