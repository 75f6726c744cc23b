"""Gainsight CS streams: `companies` (Company) and `people` (Person), incremental on ModifiedDate.

Each run reads `POST /v1/data/objects/query/{object}` sorted on `(ModifiedDate, Gsid)`, from
the bookmark less `cs_lookback_hours` (a first run reads everything), then the
records whose `ModifiedDate` is null in a last pass (px-api.md, section 8.3).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import typing as t
from dataclasses import dataclass
from functools import cached_property

from singer_sdk.pagination import BaseAPIPaginator
from typing_extensions import override

from tap_gainsight.cs.client import CS_MAX_LIMIT, CSStream
from tap_gainsight.errors import EXPLAINED_FAILURES, RecordsOutOfOrderError, UnexpectedResponseError
from tap_gainsight.responses import response_body
from tap_gainsight.settings import DEFAULT_CS_LOOKBACK_HOURS

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context, Record

DESCRIBE_PATH = "/v1/meta/services/objects/describe"
REPLICATION_KEY = "ModifiedDate"
KEY = "Gsid"
#: Format of DATETIME values in `where` conditions (px-api.md, section 8.2).
FILTER_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: JSON type of each Data Management `dataType`. Dates arrive as epoch ms and leave as
#: RFC 3339 (DATEs are UTC midnights); lookups and dropdowns are the referenced record's or
#: item's id. A type not listed here (a multi-select list, say) is read as text, lists and
#: objects JSON-encoded.
FIELD_TYPES: dict[str, str] = {
    **dict.fromkeys(
        ("STRING", "EMAIL", "DROPDOWN", "GSID", "LOOKUP", "PICKLIST", "RICHTEXTAREA", "URL"),
        "string",
    ),
    **dict.fromkeys(("NUMBER", "CURRENCY", "PERCENTAGE"), "number"),
    "BOOLEAN": "boolean",
    **dict.fromkeys(("DATE", "DATETIME"), "date-time"),
}


def schema_from_fields(fields: dict[str, str]) -> tuple[dict[str, t.Any], frozenset[str]]:
    """Return the JSON schema of described fields, and the names of those read as text."""
    properties: dict[str, t.Any] = {}
    loose = set()
    for name, data_type in fields.items():
        json_type = FIELD_TYPES.get(data_type.upper())
        if json_type is None:
            loose.add(name)
        prop: dict[str, t.Any] = {"type": [json_type or "string", "null"]}
        if json_type == "date-time":
            prop = {"type": ["string", "null"], "format": "date-time"}
        properties[name] = {**prop, "description": f"{name} ({data_type})."}
    properties[KEY]["type"] = "string"  # the key is never null
    schema = {"type": "object", "additionalProperties": False, "properties": properties}
    return schema, frozenset(loose)


#: What makes the describe API's answer unusable (the sync then reads the built-in fields).
DESCRIBE_FAILURES: tuple[type[Exception], ...] = (*EXPLAINED_FAILURES, ValueError)


class CSObjectModel:
    """The tenant's Company and Person fields, described once per run for both streams."""

    def __init__(self, object_names: Iterable[str]) -> None:
        self._object_names = list(object_names)
        self._fields: dict[str, dict[str, str]] | None = None

    def fields_of(self, stream: CSStream, object_name: str) -> dict[str, str] | None:
        """Return `{field: dataType}` of an object, or None if describe did not answer.

        The first call asks the describe API about every object in one request; when it
        fails, one warning says so and every stream falls back to its built-in schema.
        """
        if self._fields is None:
            self._fields = {}
            try:
                self._fields = described_fields(stream, self._object_names)
            except DESCRIBE_FAILURES as failure:
                stream.logger.warning(
                    "Could not describe the CS objects at %s (%s); reading only the built-in "
                    "fields of %s (custom fields are left out).",
                    DESCRIBE_PATH,
                    str(failure).rstrip("."),
                    ", ".join(self._object_names),
                )
        return self._fields.get(object_name.lower())


def described_fields(stream: CSStream, object_names: list[str]) -> dict[str, dict[str, str]]:
    """Ask the describe API for the objects' fields; `{object (lower case): {field: type}}`.

    Raises:
        UnexpectedResponseError: If the answer lacks an object or its key fields.
    """
    body = response_body(stream.post(DESCRIBE_PATH, {"objectNames": object_names}))
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict):
        data = data.get("records")
    described: dict[str, dict[str, str]] = {}
    for entry in data if isinstance(data, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("fields"), list):
            described[str(entry.get("objectName", "")).lower()] = {
                str(field["fieldName"]): str(field.get("dataType") or "STRING")
                for field in entry["fields"]
                if isinstance(field, dict) and field.get("fieldName")
            }
    for name in object_names:
        fields = described.get(name.lower(), {})
        if fields.get(KEY) is None or fields.get(REPLICATION_KEY) is None:
            msg = f"the answer lists no {KEY} and {REPLICATION_KEY} fields of {name}"
            raise UnexpectedResponseError(msg)
    return described


class KeysetPosition:
    """The last `(ModifiedDate, Gsid)` delivered; each record must come strictly after it.

    Noted from the raw record, before `post_process` turns its epoch ms into text.
    """

    def __init__(self) -> None:
        self._last: tuple[bool, int, str] | None = None

    @property
    def modified_ms(self) -> int | None:
        """`ModifiedDate` of the last record delivered (None: none yet, or a null one)."""
        return None if self._last is None or self._last[0] else self._last[1]

    @property
    def gsid(self) -> str | None:
        """`Gsid` of the last record delivered."""
        return None if self._last is None else self._last[2]

    def advance(self, modified_ms: int | None, gsid: str) -> None:
        """Note a record about to be delivered.

        Raises:
            RecordsOutOfOrderError: If it does not come after the previous one (nulls last).
        """
        position = (modified_ms is None, modified_ms or 0, gsid)
        if self._last is not None and position <= self._last:
            msg = (
                f"records out of (ModifiedDate, Gsid) order: {position[1:]} after {self._last[1:]}"
            )
            raise RecordsOutOfOrderError(msg)
        self._last = position


@dataclass(frozen=True)
class KeysetPage:
    """Token of one query: where the previous page ended, and which pass this is.

    `after_ms`/`after_gsid` are the last `(ModifiedDate, Gsid)` delivered (None: first page);
    `nulls` is the last pass, over the records whose `ModifiedDate` is null, keyed by `Gsid`
    alone. `number` keeps consecutive tokens distinct for the SDK's loop check.
    """

    after_ms: int | None = None
    after_gsid: str | None = None
    nulls: bool = False
    number: int = 0


class KeysetPaginator(BaseAPIPaginator[KeysetPage]):
    """Pages on `(ModifiedDate, Gsid)`, then on `Gsid` through the null-`ModifiedDate` pass.

    Keyset, not `offset`: an offset counts rows of a result that changes while it is read.
    A record modified during the sync moves to the end of the order, so every row behind it
    shifts one place forward and the next offset skips one; a new record shifts them back
    and one is sent twice. A keyset asks for the rows after the last one delivered, so it
    resumes exactly there whatever moved (a moved record is simply read again, later, with
    its new ModifiedDate). `Gsid` breaks the ties of records modified in the same
    millisecond, which a page boundary may split.
    """

    def __init__(
        self,
        page_size: int,
        records_of: Callable[[requests.Response], list],
        position: KeysetPosition,
    ) -> None:
        super().__init__(KeysetPage())
        self._page_size = page_size
        self._records_of = records_of
        self._position = position

    @override
    def has_more(self, response: requests.Response) -> bool:
        full = len(self._records_of(response)) >= self._page_size
        return full or not self.current_value.nulls

    @override
    def get_next(self, response: requests.Response) -> KeysetPage:
        current = self.current_value
        records = self._records_of(response)
        if len(records) < self._page_size:  # this pass is done: on to the null pass
            return KeysetPage(nulls=True, number=current.number + 1)
        # Every record of the page went through the stream's `KeysetPosition` already.
        gsid, after_ms = self._position.gsid, self._position.modified_ms
        if gsid is None or gsid != records[-1].get(KEY) or (after_ms is None) != current.nulls:
            msg = f"the page's last record is not where the keyset stands ({gsid}, {after_ms})"
            raise UnexpectedResponseError(msg)
        return KeysetPage(after_ms, gsid, current.nulls, current.number + 1)

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        return not self.current_value.nulls  # an empty dated pass still has the null pass


def condition(alias: str, name: str, operator: str, *values: t.Any) -> dict[str, t.Any]:
    """One `where` condition of the Data API."""
    return {"name": name, "alias": alias, "operator": operator, "value": list(values)}


def where_clause(page: KeysetPage, since: dt.datetime | None) -> dict[str, t.Any]:
    """The `where` of one page (see `KeysetPaginator`).

    The lower bound is `yyyy-MM-dd HH:mm:ss` (the documented DATETIME filter format, in a
    time zone the lookback absorbs); keyset values are the epoch ms the API sent, compared
    exactly to the millisecond, with no time zone to interpret.
    """
    if page.nulls:
        if page.after_gsid is None:
            return {"conditions": [condition("A", REPLICATION_KEY, "IS_NULL")], "expression": "A"}
        return {
            "conditions": [
                condition("A", REPLICATION_KEY, "IS_NULL"),
                condition("B", KEY, "GT", page.after_gsid),
            ],
            "expression": "A AND B",
        }
    if page.after_ms is not None:
        return {
            "conditions": [
                condition("A", REPLICATION_KEY, "EQ", page.after_ms),
                condition("B", KEY, "GT", page.after_gsid),
                condition("C", REPLICATION_KEY, "GT", page.after_ms),
            ],
            "expression": "(A AND B) OR C",
        }
    if since is None:
        return {"conditions": [condition("A", REPLICATION_KEY, "IS_NOT_NULL")], "expression": "A"}
    lower = condition("A", REPLICATION_KEY, "GTE", since.strftime(FILTER_DATETIME_FORMAT))
    return {"conditions": [lower], "expression": "A"}


class CSObjectStream(CSStream):
    """One CS object, read in `(ModifiedDate, Gsid)` order, incremental on `ModifiedDate`."""

    object_name: str = ""
    primary_keys = (KEY,)
    replication_key = REPLICATION_KEY
    is_sorted = True
    # The SDK compares each record with the saved bookmark, which the lookback deliberately
    # re-reads behind; `KeysetPosition` checks the order of what is read instead.
    check_sorted = False
    STATE_MSG_FREQUENCY = 1000
    #: Records per query: the API's maximum. A class attribute so that tests can page small.
    page_limit: int = CS_MAX_LIMIT
    model: CSObjectModel | None = None

    @cached_property
    @override
    def page_size(self) -> int:
        return self.page_limit

    @cached_property
    def described(self) -> tuple[dict[str, t.Any], frozenset[str]] | None:
        """The schema typed from the describe API, and its text-read fields; None if none."""
        fields = self.model.fields_of(self, self.object_name) if self.model else None
        return schema_from_fields(fields) if fields else None

    @cached_property
    @override
    def schema(self) -> dict:  # type: ignore[override]
        if self.described is not None:
            return self.described[0]
        return copy.deepcopy(super().schema)  # the reviewed built-in schema

    @cached_property
    def _loose_fields(self) -> frozenset[str]:
        return self.described[1] if self.described is not None else frozenset()

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
        self._since = self.history_start(context)
        self.logger.info(
            "Reading %s records modified %s, then those never modified.",
            self.object_name,
            f"since {self._since.isoformat()}" if self._since else "at any time",
        )
        yield from super().request_records(context)

    _since: dt.datetime | None = None

    @override
    def get_new_paginator(self) -> KeysetPaginator:
        self._position = KeysetPosition()
        self._paginator = KeysetPaginator(self.page_size, self.records_of, self._position)
        return self._paginator

    @override
    def progress_position(self) -> str:
        paginator = getattr(self, "_paginator", None)
        if paginator is not None and paginator.current_value.nulls:
            return "never-modified records, "
        return ""

    @override
    def prepare_request_payload(
        self, context: Context | None, next_page_token: KeysetPage | None
    ) -> dict[str, t.Any]:
        page = next_page_token or KeysetPage()
        order = {KEY: "asc"} if page.nulls else {REPLICATION_KEY: "asc", KEY: "asc"}
        return {
            "select": list(self.schema["properties"]),
            "where": where_clause(page, self._since),
            "orderBy": order,
            "limit": self.page_size,
        }

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        modified = row.get(REPLICATION_KEY)
        self._position.advance(modified if isinstance(modified, int) else None, str(row.get(KEY)))
        for name in self._loose_fields:
            value = row.get(name)
            if value is not None and not isinstance(value, str):
                row[name] = json.dumps(value)
        return super().post_process(row, context)

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        # A never-modified record has no bookmark value: skip it here rather than have the
        # SDK log "New replication value is null" once per record.
        if latest_record.get(REPLICATION_KEY) is not None:
            super()._increment_stream_state(latest_record, context=context)


@dataclass(frozen=True)
class CSObject:
    """One CS object read as a stream."""

    name: str
    object_name: str

    def build(self, tap: Tap, model: CSObjectModel) -> CSObjectStream:
        """Instantiate the stream for a tap."""
        stream = CSObjectStream(
            tap, name=self.name, path=f"/v1/data/objects/query/{self.object_name}"
        )
        stream.object_name = self.object_name
        stream.model = model
        return stream


CS_OBJECTS: tuple[CSObject, ...] = (
    CSObject("companies", "Company"),
    CSObject("people", "Person"),
)


def discover_cs_streams(tap: Tap) -> list[CSObjectStream]:
    """The CS streams, sharing one description of their objects."""
    model = CSObjectModel(cs_object.object_name for cs_object in CS_OBJECTS)
    return [cs_object.build(tap, model) for cs_object in CS_OBJECTS]
