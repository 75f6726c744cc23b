"""Every RECORD fits the SCHEMA the target was told, whatever the API sends.

Loaders built on the SDK validate each record against the stream's latest SCHEMA and stop at
the first that does not fit, and the API's types are known only from documentation and
third-party code (docs/api.md). So each record is checked against the schema in force, and
one that does not fit is made to, before it is written:

- a top-level field the schema lacks is added to it, typed from its first non-null value;
- a value of another JSON type than declared is converted where that is exact (`12.0` or
  `"12"` to an integer, `"7.5"` to a number, `"true"` to a boolean, a number or boolean in a
  string field to its text, epoch milliseconds in any form to a date-time);
- otherwise its property is widened: a date-time seeing text that is no date becomes plain
  text, and anything else accepts both types (SQL loaders keep such a column as text or
  JSON, the value whole). The tap declares every number a number, never an integer: SQL
  loaders built on the SDK keep an integer column's type when a later SCHEMA widens it, and
  would round a fraction (an integer declared by a catalog still widens to number).

A grown schema goes to the target as a new SCHEMA before the record that needs it, and each
departure is said once (`departures.py`). A page that fits costs one `msgspec.convert`.
"""

from __future__ import annotations

import copy
import json
import math
import re
import typing as t

import msgspec
from singer_sdk.helpers._catalog import get_selected_schema
from singer_sdk.mapper import RemoveRecordTransform
from singer_sdk.singerlib import SchemaMessage

from tap_gainsight.timestamps import epoch_ms_to_rfc3339, is_rfc3339_utc, text_to_rfc3339

if t.TYPE_CHECKING:
    from tap_gainsight.client import GainsightStream

#: JSON type of a parsed JSON value, by its exact Python type.
JSON_TYPES: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    dict: "object",
    list: "array",
    type(None): "null",
}
#: Where in a record: property names, with `[]` for the items of an array.
Path = tuple[str, ...]

_INTEGER_TEXT = re.compile(r"-?\d+")


def json_type(value: t.Any) -> str:
    """The JSON type of a parsed JSON value ("null" for None)."""
    return JSON_TYPES[type(value)]


def inferred_property(value: t.Any) -> dict[str, t.Any]:
    """The schema of a new field, from its first non-null value; always nullable.

    A whole number makes a number column, not an integer one: SQL loaders built on the SDK
    keep a column's type when a later SCHEMA widens integer to number, and would round the
    fraction that made it widen. Objects and lists stay whole (no properties or item type
    are guessed from one value): a target stores them as JSON, and flattening keeps them as
    one column.
    """
    kind = "number" if json_type(value) == "integer" else json_type(value)
    prop: dict[str, t.Any] = {"type": [kind, "null"]}
    if kind == "array":
        prop["items"] = {}
    return prop


def declared_types(prop: dict[str, t.Any]) -> list[str] | None:
    """The JSON types a property declares (None: any value)."""
    types = prop.get("type")
    if types is None or "anyOf" in prop:
        return None
    return [types] if isinstance(types, str) else list(types)


def type_name(prop: dict[str, t.Any]) -> str:
    """A property's type as a person reads it: "integer", "string date-time"."""
    types = [kind for kind in declared_types(prop) or ["any"] if kind != "null"]
    return " ".join([" or ".join(types), *([prop["format"]] if "format" in prop else [])])


def is_date_time(prop: dict[str, t.Any]) -> bool:
    """Whether a property holds date-times (the APIs send them as epoch ms or as text)."""
    return prop.get("format") == "date-time" and "string" in (declared_types(prop) or [])


#: Python types of a JSON type, as msgspec checks them (an integer is a number too).
_PYTHON_TYPES: dict[str, t.Any] = {
    "boolean": bool,
    "integer": int,
    "number": int | float,
    "string": str,
    "null": None,
}


def value_type(prop: dict[str, t.Any], *, top_level: bool = False) -> t.Any:
    """The Python type (for msgspec) of the values a property admits, as the API sends them.

    A top-level date-time admits epoch ms and text (checked as it is converted, in
    `GainsightStream.post_process`); a nested one epoch ms only, so that its text, rarer,
    is checked on the slow path (`reconcile`). An object with properties checks them
    (unknown keys pass, as its schema lets them); an array checks its items.
    """
    types = declared_types(prop)
    if types is None:
        return t.Any
    members: list[t.Any] = []
    for name in types:
        if name == "object":
            properties = prop.get("properties")
            members.append(shape_of(properties, closed=False) if properties else dict)
        elif name == "array":
            items = prop.get("items")
            item_type = value_type(items) if isinstance(items, dict) else t.Any
            members.append(list[item_type])  # type: ignore[valid-type]
        elif name == "string" and is_date_time(prop):
            members.extend([str, int] if top_level else [int])
        elif name in _PYTHON_TYPES:
            members.append(_PYTHON_TYPES[name])
    return t.Union[tuple(members)] if members else t.Any  # noqa: UP007 (built at run time)


def shape_of(properties: dict[str, dict[str, t.Any]], *, closed: bool) -> type[msgspec.Struct]:
    """A msgspec type checking an object's properties; `closed`: no other key either."""
    fields = [
        (f"f{n}", value_type(prop, top_level=closed) | msgspec.UnsetType, msgspec.UNSET)
        for n, prop in enumerate(properties.values())
    ]
    rename = {f"f{n}": name for n, name in enumerate(properties)}
    return msgspec.defstruct("Shape", fields, rename=rename, forbid_unknown_fields=closed, gc=False)


class Outcome(t.NamedTuple):
    """What becomes of a value that does not fit its property."""

    #: The value to send; None with a widened property means the value is kept as it is.
    value: t.Any
    #: The widened property, or None if the value was converted to fit.
    widened: dict[str, t.Any] | None
    #: What was done, for the log line.
    done: str


def _widen(prop: dict[str, t.Any], seen: str) -> Outcome:
    """The property made to accept `seen` too: a column that holds either, whole."""
    widened = dict(prop)
    types = declared_types(prop) or []
    widened["type"] = list(dict.fromkeys([*(k for k in types if k != "null"), seen, "null"]))
    return Outcome(None, widened, f"the column now takes {' or '.join(widened['type'][:-1])}")


def _number_text(value: str) -> int | float | None:
    """The number a string spells exactly, or None."""
    text = value.strip()
    if _INTEGER_TEXT.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _epoch_ms_text(value: float) -> str:
    """A date-time from epoch milliseconds given as a float (kept to the microsecond)."""
    whole = math.floor(value)
    text = epoch_ms_to_rfc3339(whole)
    micros = round((value - whole) * 1000)
    return text if not micros else f"{text[:-1]}{min(micros, 999):03d}Z"


def reconcile(value: t.Any, prop: dict[str, t.Any]) -> Outcome | None:  # noqa: PLR0911 (one rule a line)
    """How a value that does not fit its property is made to (None: it fits already)."""
    types = declared_types(prop)
    if types is None:
        return None
    if is_date_time(prop):
        return _reconcile_date(value, prop)
    seen = json_type(value)
    if seen in types or (seen == "integer" and "number" in types):
        return None
    number = _number_text(value) if seen == "string" else value if seen == "number" else None
    if number is not None and ("integer" in types or "number" in types):
        return _reconcile_number(number, prop, types)
    if seen == "string" and "boolean" in types and value.strip().lower() in ("true", "false"):
        return Outcome(value.strip().lower() == "true", None, "converted to boolean")
    if "string" in types and seen in ("integer", "number", "boolean"):
        return Outcome(json.dumps(value), None, "converted to its text")
    return _widen(prop, seen)


def _reconcile_number(number: float, prop: dict[str, t.Any], types: list[str]) -> Outcome:
    """A number (sent as a float or as text) for an integer or number property."""
    if type(number) is int or "number" in types:
        return Outcome(number, None, f"converted to {json_type(number)}")
    if float(number).is_integer():
        return Outcome(int(number), None, "converted to integer")
    widened = {**prop, "type": ["number" if k == "integer" else k for k in types]}
    return Outcome(number, widened, "the column widened to number")


def _reconcile_date(value: t.Any, prop: dict[str, t.Any]) -> Outcome | None:
    """A value for a date-time property: epoch ms (any form) or ISO text fit; text does not."""
    seen = json_type(value)
    if seen == "null":
        return None if "null" in (declared_types(prop) or []) else _widen(prop, seen)
    if seen == "integer" or (seen == "string" and is_rfc3339_utc(value)):
        return None
    if seen == "string" and (text := text_to_rfc3339(value)) is not None:
        return Outcome(text, None, "converted to RFC 3339 UTC (text without a zone is UTC)")
    number = _number_text(value) if seen == "string" else value if seen == "number" else None
    if number is not None:
        # 0 is how PX says "never" (docs/api.md): a null, as for an integer 0.
        text = _epoch_ms_text(float(number)) if number else None
        return Outcome(text, None, "read as epoch milliseconds")
    if seen == "string":
        plain = {k: v for k, v in prop.items() if k != "format"}
        return Outcome(None, plain, "the column is now plain text")
    return _widen(prop, seen)


def selected_schema(stream: GainsightStream) -> dict[str, t.Any]:
    """The stream's schema as the SDK registers it with its mapper: the catalog's, selected.

    As `PluginMapper.register_raw_streams_from_catalog` computes it (tests/test_sdk_contract.py
    checks they agree), from the tap's catalog: the one given, else the discovered one.
    """
    entry = stream._tap.catalog.get_stream(stream.name)
    if entry is None:
        return get_selected_schema(stream.name, stream.effective_schema, stream.mask)
    return get_selected_schema(
        stream.name, entry.schema.to_dict(), entry.metadata.resolve_selection()
    )


class SchemaWatch:
    """Keeps one stream's records fitting its schema, and its target told (module docstring).

    Records are checked as the API sent them, before any stream map, against the stream's
    own schema (`raw_schema`); the target is told what each map makes of it. So a field that
    a map removes, renames or derives is no field the API sends, and the SCHEMA goes out
    again only when the API's records outgrow the stream's schema. The watch keeps that
    schema itself rather than reading it back from the SDK's maps: a custom map's
    `raw_schema` shares its properties with its `transformed_schema` (docs/singer-sdk.md,
    "Stream maps and flattening").
    """

    def __init__(self, stream: GainsightStream) -> None:
        self._stream = stream
        #: The stream's schema in force, before any map: the catalog's selected properties,
        #: grown as the API's records need. Replaced when it grows, never changed in place.
        self.raw_schema = selected_schema(stream)
        self._compile()

    def _compile(self) -> None:
        properties = self.raw_schema.get("properties", {})
        record_type = shape_of(properties, closed=True)
        self._record_type: t.Any = record_type
        self._page_type: t.Any = list[record_type]  # type: ignore[valid-type]
        #: Fields the target knows of (or that the catalog deselected).
        self.known: frozenset[str] = frozenset(properties) | self._deselected

    _deselected: frozenset[str] = frozenset()

    def fits(self, row: dict[str, t.Any]) -> bool:
        """Whether a record fits the schema in force as it is."""
        try:
            msgspec.convert(row, self._record_type, strict=True)
        except msgspec.ValidationError:
            return False
        return True

    def check_page(self, records: list[dict[str, t.Any]]) -> None:
        """Make every record of a page fit: one check of the whole page, in C, where all do."""
        try:
            msgspec.convert(records, self._page_type, strict=True)
        except msgspec.ValidationError:
            for record in records:
                if not self.fits(record):
                    self.conform(record)

    def conform(self, row: dict[str, t.Any]) -> None:
        """Make a record that does not fit fit: new fields, conversions, widened properties."""
        grown: dict[Path, dict[str, t.Any]] = {}
        self._admit_new_fields(row, grown)
        props = self.raw_schema.get("properties", {})
        self._conform_object(row, props, (), grown)
        if grown:
            self._grow(grown)

    def conform_date(self, row: dict[str, t.Any], name: str) -> None:
        """Make a top-level date-time value that is no date fit (text, a float, an object)."""
        prop = self.raw_schema.get("properties", {}).get(name)
        grown: dict[Path, dict[str, t.Any]] = {}
        if prop is not None:
            self._conform_value(row, name, prop, (name,), grown)
        if grown:
            self._grow(grown)

    def _admit_new_fields(self, row: dict[str, t.Any], grown: dict[Path, dict]) -> None:
        """Type the record's fields the schema lacks (a null one waits for a value)."""
        stream = self._stream
        declared = stream.schema.get("properties", {})
        deselected: set[str] = set()
        for name in row.keys() - self.known:
            value = row[name]
            if not stream.mask[("properties", name)]:
                deselected.add(name)  # the SDK drops it from every record
            elif value is None:
                del row[name]
            elif name in declared:  # a catalog older than the stream's schema
                grown[(name,)] = copy.deepcopy(declared[name])
            else:
                grown[(name,)] = inferred_property(value)
        self._deselected |= deselected
        self.known |= deselected
        if any(len(path) == 1 for path in grown):
            fields = ", ".join(f"{p[0]} ({type_name(prop)})" for p, prop in grown.items())
            stream.logger.info(
                "%s: the API sends %s the schema lacks, now added to it and kept: %s.",
                stream.name,
                "a field" if len(grown) == 1 else "fields",
                fields,
            )

    def _conform_object(
        self,
        obj: dict[str, t.Any],
        props: dict[str, dict[str, t.Any]],
        path: Path,
        grown: dict[Path, dict],
    ) -> None:
        for name in list(obj):
            prop = grown.get((*path, name)) or props.get(name)
            if prop is not None:
                self._conform_value(obj, name, prop, (*path, name), grown)

    def _conform_value(
        self, holder: dict | list, key: t.Any, prop: dict[str, t.Any], path: Path, grown: dict
    ) -> None:
        """Reconcile `holder[key]` with `prop`, then what is typed inside it."""
        value = holder[key]
        outcome = reconcile(value, prop)
        if outcome is not None:
            self._note(path, prop, value, outcome.done)
            if outcome.widened is not None:
                grown[path] = outcome.widened
                prop = outcome.widened
            if outcome.value is not None or outcome.widened is None:
                holder[key] = outcome.value
            value = holder[key]
        if type(value) is dict and isinstance(prop.get("properties"), dict):
            self._conform_object(value, prop["properties"], path, grown)
        elif type(value) is list and isinstance(prop.get("items"), dict):
            items = grown.get((*path, "[]")) or prop["items"]
            for index in range(len(value)):
                self._conform_value(value, index, items, (*path, "[]"), grown)
                items = grown.get((*path, "[]")) or items

    def _note(self, path: Path, prop: dict[str, t.Any], value: t.Any, done: str) -> None:
        stream = self._stream
        field = ".".join(path).replace(".[]", "[]")
        sent = json_type(value)
        if is_date_time(prop) and sent == "string":
            sent, done = "dates as text", f"{done}; first seen: {value!r}"
        stream.departures.note(
            f"{stream.name}.{field}", f"declared {type_name(prop)}, the API sent {sent}", done
        )

    def _grow(self, grown: dict[Path, dict[str, t.Any]]) -> None:
        """Register the grown schema with the tap's stream maps, send what they make of it.

        The SDK rebuilds the stream's maps from the grown schema: each map's SCHEMA (its
        alias, its transformation, flattened where flattening is on) goes out once.
        """
        stream = self._stream
        mapper = stream._tap.mapper
        raw = copy.deepcopy(self.raw_schema)
        for path, prop in grown.items():
            _set_property(raw, path, prop)
        self.raw_schema = raw
        # A copy: the default map's transformed schema is the very schema it was given.
        mapper.register_raw_stream_schema(stream.name, copy.deepcopy(raw), stream.primary_keys)
        bookmark_keys = [stream.replication_key] if stream.replication_key else None
        for stream_map in mapper.stream_maps[stream.name]:
            if not isinstance(stream_map, RemoveRecordTransform):
                stream._tap.write_message(
                    SchemaMessage(
                        stream_map.stream_alias,
                        stream_map.transformed_schema,
                        stream_map.transformed_key_properties,
                        bookmark_keys,
                    )
                )
        self._compile()


def _set_property(schema: dict[str, t.Any], path: Path, prop: dict[str, t.Any]) -> None:
    """Put `prop` at `path` in a schema (`[]` steps into an array's items)."""
    node = schema
    for step in path[:-1]:
        node = node["items"] if step == "[]" else node.setdefault("properties", {})[step]
    if path[-1] == "[]":
        node["items"] = prop
    else:
        node.setdefault("properties", {})[path[-1]] = prop
