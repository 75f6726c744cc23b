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

from tap_gainsight.cs.catalog import discover_objects, stream_name
from tap_gainsight.cs.fields import modified_date_field, schema_from_fields
from tap_gainsight.cs.keyset import KEY, NULLS, KeysetStream
from tap_gainsight.cs.select import named_fields, refused_field
from tap_gainsight.errors import SelectRefused

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
        #: `{field: dataType}` from describe; None: the built-in schema (Company, Person).
        self.fields = fields
        super().__init__(tap, name=stream_name(object_name), path=QUERY_PATH.format(object_name))
        self.replication_key = modified_date_field(fields) if fields else "ModifiedDate"
        #: The fields the API refused this run (left out of the select).
        self.refused_fields: set[str] = set()

    @cached_property
    def described(self) -> tuple[dict[str, t.Any], frozenset[str]] | None:
        """The schema typed from the describe API, and its text-read fields; None if none."""
        return schema_from_fields(self.fields) if self.fields else None

    @cached_property
    @override
    def schema(self) -> dict:  # type: ignore[override]
        if self.described is not None:
            return self.described[0]
        return copy.deepcopy(super().schema)  # the reviewed built-in schema

    @cached_property
    @override
    def text_fields(self) -> frozenset[str]:  # type: ignore[override]
        """Fields of a data type the tap does not know: kept as text, whatever they hold."""
        return self.described[1] if self.described is not None else frozenset()

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

    @property
    @override
    def select(self) -> list[str]:
        """The fields a query selects: the schema's, less those the API refused this run."""
        return [name for name in self.schema["properties"] if name not in self.refused_fields]

    @override
    def leave_out_refused(self, refusal: SelectRefused) -> None:
        """Leave out the field(s) the query refused, named in the error or found by halving.

        The key and the date the object is read by are never left out: a query that
        refuses them is refused whole.
        """
        optional = [name for name in self.select if name not in (KEY, self.date_field)]
        fields = named_fields(refusal.reason, optional)
        if not fields:
            found = refused_field(optional, self._refuses)
            fields = [found] if found else []
        if not fields:
            raise refusal
        for name in fields:
            self.refused_fields.add(name)
            self.departures.note(
                f"{self.name}.{name}",
                "a field describe lists that the query refuses",
                f"it is left out of {self.object_name}'s select this run (its column stays "
                f"empty) and every other field is read; the API said: {refusal.reason}",
            )

    def _refuses(self, fields: list[str]) -> bool:
        """Whether a one-record query selecting `fields` (and the key) is refused."""
        try:
            self.call("POST", self.path, body={"select": [KEY, *fields], "limit": 1})
        except SelectRefused:
            return True
        return False

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
