"""Every RECORD fits the SCHEMA the target was told, whatever the API sends.

SDK loaders stop at the first record that does not fit its stream's latest SCHEMA, and the
API's types are known only from documentation (docs/api.md). So a record that does not fit
is made to before it is written: a field the schema lacks is added, typed from its first
non-null value; a value of another type is converted where that is exact (`"12"` to 12,
`"true"` to true, epoch ms to a date-time); otherwise its property is widened to take both.
A grown schema goes out as a new SCHEMA first; each departure is said once (`departures.py`).
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
    from singer_sdk import Stream

    from tap_gainsight.departures import Departures

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
#: Python types of a JSON type, as msgspec checks them (an integer is a number too).
_PYTHON_TYPES: dict[str, t.Any] = {
    "boolean": bool,
    "integer": int,
    "number": int | float,
    "string": str,
    "null": None,
}
#: Where in a record: property names, with `[]` for the items of an array.
Path = tuple[str, ...]

_INTEGER_TEXT = re.compile(r"-?\d+")


def json_type(value: t.Any) -> str:
    """The JSON type of a parsed JSON value ("null" for None)."""
    return JSON_TYPES[type(value)]


def inferred_property(value: t.Any) -> dict[str, t.Any]:
    """The schema of a new field from its first non-null value: nullable, never integer.

    SDK loaders keep an integer column when a later SCHEMA widens it to number, and would
    round the fraction. Objects and lists stay whole (a target stores them as JSON).
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


def value_type(prop: dict[str, t.Any], *, top_level: bool = False) -> t.Any:
    """The Python type (for msgspec) of the values a property admits as the API sends them.

    A top-level date-time admits epoch ms and text (`post_process` checks the text as it
    converts it); a nested one epoch ms only, so that its text goes through `reconcile`.
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


def _number(value: t.Any) -> int | float | None:
    """The number a float or a string spells exactly, or None."""
    if type(value) is float:
        return value
    if type(value) is not str:
        return None
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
    """How a value that does not fit its property is made to (None: it fits already).

    A date-time takes epoch ms (any form) and RFC 3339; other text as a date when it reads
    as one, else its column becomes plain text. Other values convert where that is exact,
    else their column widens to take both.
    """
    types = declared_types(prop)
    if types is None:
        return None
    seen, date = json_type(value), is_date_time(prop)
    number = _number(value)
    if date and seen == "string" and is_rfc3339_utc(value):
        return None
    if date and seen == "string" and (text := text_to_rfc3339(value)) is not None:
        return Outcome(text, None, "converted to RFC 3339 UTC (text without a zone is UTC)")
    if date and number is not None:
        # 0 is how PX says "never" (docs/api.md): a null, as for an integer 0.
        text = _epoch_ms_text(number) if number else None
        return Outcome(text, None, "read as epoch milliseconds")
    if date and seen == "string":
        plain = {k: v for k, v in prop.items() if k != "format"}
        return Outcome(None, plain, "the column is now plain text")
    if seen in types or (seen == "integer" and (date or "number" in types)):
        return None
    if number is not None and "number" in types:
        return Outcome(number, None, f"converted to {json_type(number)}")
    if number is not None and "integer" in types:
        if float(number).is_integer():
            return Outcome(int(number), None, "converted to integer")
        widened = {**prop, "type": ["number" if k == "integer" else k for k in types]}
        return Outcome(number, widened, "the column widened to number")
    if seen == "string" and "boolean" in types and value.strip().lower() in ("true", "false"):
        return Outcome(value.strip().lower() == "true", None, "converted to boolean")
    if not date and "string" in types and seen in ("integer", "number", "boolean"):
        return Outcome(json.dumps(value), None, "converted to its text")
    kinds = [kind for kind in types if kind != "null"]
    widened = {**prop, "type": list(dict.fromkeys([*kinds, seen, "null"]))}
    return Outcome(None, widened, f"the column now takes {' or '.join(widened['type'][:-1])}")


def selected_schema(stream: Stream) -> dict[str, t.Any]:
    """The stream's schema as the SDK registers it with its mapper: the catalog's, selected.

    tests/test_sdk_contract.py checks it agrees with `register_raw_streams_from_catalog`.
    """
    entry = stream._tap.catalog.get_stream(stream.name)
    if entry is None:
        return get_selected_schema(stream.name, stream.effective_schema, stream.mask)
    return get_selected_schema(
        stream.name, entry.schema.to_dict(), entry.metadata.resolve_selection()
    )


class SchemaWatch:
    """Keeps one stream's records fitting its schema, and its target told.

    Records are checked as the API sent them, before any stream map, against the watch's
    own copy of the schema: a custom map's `raw_schema` shares its properties with its
    `transformed_schema` (docs/singer-sdk.md, "Stream maps and flattening").
    """

    def __init__(self, stream: Stream, departures: Departures) -> None:
        self._stream = stream
        self._departures = departures
        #: Fields the catalog deselected: the SDK drops them from every record.
        self._deselected: set[str] = set()
        #: The schema in force, before any map; replaced when it grows, never changed in place.
        self.raw_schema = selected_schema(stream)
        self._compile()

    def _compile(self) -> None:
        properties = self.raw_schema.get("properties", {})
        self._record_type: t.Any = shape_of(properties, closed=True)
        self._page_type: t.Any = list[self._record_type]  # type: ignore[name-defined]
        #: Fields the target knows of (or that the catalog deselected).
        self.known = frozenset(properties) | self._deselected

    def check_page(self, records: list[dict[str, t.Any]]) -> None:
        """Make every record of a page fit: one check of the whole page where all do."""
        try:
            msgspec.convert(records, self._page_type, strict=True)
        except msgspec.ValidationError:
            for record in records:
                try:
                    msgspec.convert(record, self._record_type, strict=True)
                except msgspec.ValidationError:
                    self.conform(record)

    def conform(self, row: dict[str, t.Any], only: str | None = None) -> None:
        """Make a record fit (or only its field `only`): new fields, conversions, widenings.

        `only` is a top-level date-time whose text the page check let through (`value_type`).
        """
        grown: dict[Path, dict[str, t.Any]] = {}
        props = self.raw_schema.get("properties", {})
        if only is None:
            self._admit_new_fields(row, grown)
            self._conform_object(row, props, (), grown)
        elif only in props:
            self._conform_value(row, only, props[only], (only,), grown)
        if grown:
            self._grow(grown)

    def _admit_new_fields(self, row: dict[str, t.Any], grown: dict[Path, dict]) -> None:
        """Type the record's fields the schema lacks (a null one waits for a value)."""
        stream = self._stream
        declared = stream.schema.get("properties", {})
        for name in row.keys() - self.known:
            value = row[name]
            if not stream.mask[("properties", name)]:
                self._deselected.add(name)
                self.known |= {name}
            elif value is None:
                del row[name]
            elif name in declared:  # a catalog older than the stream's schema
                grown[(name,)] = copy.deepcopy(declared[name])
            else:
                grown[(name,)] = inferred_property(value)
        if grown:
            stream.logger.info(
                "%s: the API sends %s the schema lacks, now added to it and kept: %s.",
                stream.name,
                "a field" if len(grown) == 1 else "fields",
                ", ".join(f"{p[0]} ({type_name(prop)})" for p, prop in grown.items()),
            )

    def _conform_object(
        self, obj: dict[str, t.Any], props: dict[str, dict], path: Path, grown: dict
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
                grown[path] = prop = outcome.widened
            if outcome.value is not None or outcome.widened is None:
                holder[key] = value = outcome.value
        if type(value) is dict and isinstance(prop.get("properties"), dict):
            self._conform_object(value, prop["properties"], path, grown)
        elif type(value) is list and isinstance(prop.get("items"), dict):
            items_path = (*path, "[]")
            for index in range(len(value)):
                items = grown.get(items_path) or prop["items"]
                self._conform_value(value, index, items, items_path, grown)

    def _note(self, path: Path, prop: dict[str, t.Any], value: t.Any, done: str) -> None:
        stream = self._stream
        field = ".".join(path).replace(".[]", "[]")
        sent = json_type(value)
        if is_date_time(prop) and sent == "string":
            sent, done = "dates as text", f"{done}; first seen: {value!r}"
        self._departures.note(
            f"{stream.name}.{field}", f"declared {type_name(prop)}, the API sent {sent}", done
        )

    def _grow(self, grown: dict[Path, dict[str, t.Any]]) -> None:
        """Register the grown schema with the stream maps; send each map's SCHEMA once."""
        stream = self._stream
        raw = copy.deepcopy(self.raw_schema)
        for path, prop in grown.items():
            _set_property(raw, path, prop)
        self.raw_schema = raw
        mapper = stream._tap.mapper
        # A copy: the default map's transformed schema is the very schema it was given.
        mapper.register_raw_stream_schema(stream.name, copy.deepcopy(raw), stream.primary_keys)
        bookmark_keys = [stream.replication_key] if stream.replication_key else None
        for stream_map in mapper.stream_maps[stream.name]:
            if not isinstance(stream_map, RemoveRecordTransform):
                message = SchemaMessage(
                    stream_map.stream_alias,
                    stream_map.transformed_schema,
                    stream_map.transformed_key_properties,
                    bookmark_keys,
                )
                stream._tap.write_message(message)
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
