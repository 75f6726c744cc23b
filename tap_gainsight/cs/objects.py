"""Gainsight CS object streams: one per object of the tenant, read through the Data API.

Each run reads `POST /v1/data/objects/query/{object}` by keyset (`keyset.py`). An object with
a modified date (`ModifiedDate`, or `LastModifiedDate` for the timeline) is incremental on it:
a run reads from the bookmark less `cs_lookback_hours` (a first run reads everything), then
the records whose date is null. An object without one is read whole each run.
"""

from __future__ import annotations

import copy
import typing as t
from functools import cached_property

from typing_extensions import override

from tap_gainsight.cs.catalog import (
    discover_objects,
    modified_date_field,
    schema_from_fields,
    stream_name,
)
from tap_gainsight.cs.keyset import KEY, NULLS, KeysetStream

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_gainsight.cs.client import CSStream

#: The Data API's query path of an object.
QUERY_PATH = "/v1/data/objects/query/{}"


class CSObjectStream(KeysetStream):
    """One CS object, read in `(modified date, Gsid)` order (or by `Gsid`, if it has none)."""

    primary_keys = (KEY,)
    STATE_MSG_FREQUENCY = 1000

    def __init__(self, tap: Tap, object_name: str, fields: dict[str, str] | None) -> None:
        self.object_name = object_name
        self._described: dict[str, t.Any] | None = None  # the built-in schema (Company, Person)
        if fields:  # typed from describe's `{field: dataType}`
            self._described, self.text_fields = schema_from_fields(fields)
        super().__init__(tap, name=stream_name(object_name), path=QUERY_PATH.format(object_name))
        self.replication_key = modified_date_field(fields) if fields else "ModifiedDate"

    @cached_property
    @override
    def schema(self) -> dict:  # type: ignore[override]
        return self._described or copy.deepcopy(super().schema)  # the reviewed built-in one

    @override
    def log_read(self, context: Context | None) -> None:
        if self.date_field is None:
            self.logger.info(
                "Reading every %s record (no modified date: full table).", self.object_name
            )
        else:
            self.logger.info(
                "Reading %s records modified %s, then those never modified.",
                self.object_name,
                f"since {self._since.isoformat()}" if self._since else "at any time",
            )

    @override
    def progress_position(self) -> str:
        paginator = getattr(self, "_paginator", None)
        if paginator is not None and paginator.current_value.pass_name == NULLS:
            return "never-modified records, "
        return ""


def discover_cs_streams(tap: Tap) -> list[CSStream]:
    """The CS streams of the tenant's objects (see `catalog.py`)."""
    return [CSObjectStream(tap, name, fields) for name, fields in discover_objects(tap).items()]


def probe_stream(tap: Tap) -> CSObjectStream:
    """The `companies` stream, built without discovery: what `--test` probes."""
    return CSObjectStream(tap, "Company", None)
