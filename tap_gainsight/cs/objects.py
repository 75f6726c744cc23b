"""Gainsight CS object streams: one per object of the tenant, read through the Data API.

Each run reads `POST /v1/data/objects/query/{object}` with keyset paging (`keyset.py`). An
object with a modified date (`ModifiedDate`, or `LastModifiedDate` for the timeline) is
incremental on it: a run reads from the bookmark less `cs_lookback_hours` (a first run reads
everything, whatever `start_date` says), then the records whose date is null. An object
without one is read whole each run (full table).
"""

from __future__ import annotations

import copy
import datetime as dt
import typing as t
from functools import cached_property

from typing_extensions import override

from tap_gainsight.cs.catalog import COMPANIES, PEOPLE, CSObject, TenantObjects, discover_objects
from tap_gainsight.cs.client import CS_MAX_LIMIT, CSStream
from tap_gainsight.cs.fields import modified_date_field, schema_from_fields
from tap_gainsight.cs.keyset import (
    DATED,
    KEY,
    NULLS,
    KeysetPage,
    KeysetPaginator,
    KeysetPosition,
    KeysetStream,
    offset_of,
    where_clause,
)
from tap_gainsight.cs.select import named_fields, refused_field
from tap_gainsight.errors import SelectRefused
from tap_gainsight.settings import DEFAULT_CS_LOOKBACK_HOURS

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

    from tap_gainsight.tap import TapGainsight

#: The Data API's query path of an object.
QUERY_PATH = "/v1/data/objects/query/{}"


class CSObjectStream(KeysetStream):
    """One CS object, read in `(modified date, Gsid)` order (or by `Gsid`, if it has none)."""

    primary_keys = (KEY,)
    is_sorted = True
    # The SDK compares each record with the saved bookmark, which the lookback deliberately
    # re-reads behind; `KeysetPosition` checks the order of what is read instead.
    check_sorted = False
    STATE_MSG_FREQUENCY = 1000
    #: Records per query: the API's maximum. A class attribute so that tests can page small.
    page_limit: int = CS_MAX_LIMIT

    def __init__(
        self, tap: TapGainsight, cs_object: CSObject, fields: dict[str, str] | None
    ) -> None:
        self.object_name = cs_object.object_name
        #: `{field: dataType}` from describe; None: the built-in schema (Company, Person).
        self.fields = fields
        super().__init__(tap, name=cs_object.name, path=QUERY_PATH.format(cs_object.object_name))
        self.replication_key = modified_date_field(fields) if fields else "ModifiedDate"

    @cached_property
    @override
    def asked_page_size(self) -> int:
        return self.page_limit

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

    @cached_property
    def _date_field(self) -> str | None:
        """The field records are sorted on (None: by `Gsid` alone, a full-table read)."""
        return self.replication_key or None

    def history_start(self, context: Context | None) -> dt.datetime | None:
        """Where this run starts: the bookmark less the lookback, else None (the whole object).

        `start_date` plays no part: it bounds event history, and a company untouched for
        years is still a company.
        """
        bookmark = self.bookmark(context)
        if bookmark is None:
            return None
        hours = self.config.get("cs_lookback_hours", DEFAULT_CS_LOOKBACK_HOURS)
        return bookmark - dt.timedelta(hours=hours)

    @override
    def request_records(self, context: Context | None) -> Iterable[dict]:
        self._since = self.history_start(context) if self._date_field else None
        if self._date_field is None:
            self.logger.info(
                "Reading every %s record (no modified date: full table).", self.object_name
            )
        else:
            self.logger.info(
                "Reading %s records modified %s, then those never modified.",
                self.object_name,
                f"since {self._since.isoformat()}" if self._since else "at any time",
            )
        yield from super().request_records(context)

    _since: dt.datetime | None = None

    @cached_property
    def _refused_fields(self) -> set[str]:
        return set()

    @property
    def select(self) -> list[str]:
        """The fields a query selects: the schema's, less those the API refused this run."""
        return [name for name in self.schema["properties"] if name not in self._refused_fields]

    @override
    def leave_out_refused(self, refusal: SelectRefused) -> None:
        """Leave out the field(s) the query refused, named in the error or found by halving.

        The key and the date the object is read by are never left out: a query that
        refuses them is refused whole.
        """
        needed = {KEY, self._date_field}
        optional = [name for name in self.select if name not in needed]
        fields = named_fields(refusal.reason, optional)
        if not fields:
            found = refused_field(optional, self._refuses)
            fields = [found] if found else []
        if not fields:
            raise refusal
        for name in fields:
            self._refused_fields.add(name)
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
    def get_new_paginator(self) -> KeysetPaginator:
        if self._resume is not None:
            return self._resume
        self._position = KeysetPosition(self._date_field)
        self._paginator = KeysetPaginator(
            self.page_size,
            self.records_of,
            self._position,
            dated=self._date_field is not None,
            note=self.note_departure,
        )
        return self._paginator

    @override
    def progress_position(self) -> str:
        paginator = getattr(self, "_paginator", None)
        if paginator is not None and paginator.current_value.pass_name == NULLS:
            return "never-modified records, "
        return ""

    @override
    def prepare_request_payload(
        self, context: Context | None, next_page_token: KeysetPage | None
    ) -> dict[str, t.Any]:
        page = next_page_token or self._paginator.current_value
        order = {self._date_field: "asc", KEY: "asc"} if page.pass_name == DATED else {KEY: "asc"}
        payload: dict[str, t.Any] = {"select": self.select}
        where = where_clause(page, self._date_field, self._since)
        if where is not None:
            payload["where"] = where
        return {**payload, "orderBy": order, "limit": self.page_size, **offset_of(page)}


def discover_cs_streams(tap: TapGainsight) -> list[CSStream]:
    """The CS streams of the tenant's objects (see `catalog.py`)."""
    found: TenantObjects = discover_objects(tap)
    streams: list[CSStream] = []
    for cs_object in found.objects:
        fields = found.fields_of(cs_object)
        if fields is not None or cs_object in (COMPANIES, PEOPLE):
            streams.append(CSObjectStream(tap, cs_object, fields))
    return streams


def probe_stream(tap: TapGainsight) -> CSObjectStream:
    """The `companies` stream, built without discovery: what `--test` probes."""
    return CSObjectStream(tap, COMPANIES, None)
