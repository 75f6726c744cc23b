"""Top-level fields the API sends that the stream's schema lacks: kept, never dropped.

Before the first record that carries such a field, the stream tells the target with a new
SCHEMA (the field typed from its value, nullable), so the field becomes a column instead of
vanishing. The schema compared against is the one the target was told (the catalog's, when
one was given), so a stale catalog gains the fields it misses as well. Only a catalog that
deselects a field drops it.
"""

from __future__ import annotations

import copy
import typing as t

from singer_sdk.mapper import RemoveRecordTransform
from singer_sdk.singerlib import SchemaMessage

if t.TYPE_CHECKING:
    from singer_sdk import Stream

#: JSON type of a JSON value, by its Python type (`bool` before `int`: it is one).
_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (dict, "object"),
    (list, "array"),
)


def json_type(value: t.Any) -> str:
    """The JSON type of a parsed JSON value (not None)."""
    return next(name for kind, name in _JSON_TYPES if isinstance(value, kind))


def inferred_property(value: t.Any) -> dict[str, t.Any]:
    """The schema of a new field, from its first non-null value; always nullable.

    Objects and lists stay whole (no properties or item type are guessed from one value):
    a target stores them as JSON, and flattening keeps them as one column.
    """
    kind = json_type(value)
    prop: dict[str, t.Any] = {"type": [kind, "null"]}
    if kind == "array":
        prop["items"] = {}
    return prop


def type_name(prop: dict[str, t.Any]) -> str:
    """A property's type as a person reads it: "integer", "string date-time"."""
    types = prop.get("type", "any")
    types = [types] if isinstance(types, str) else [kind for kind in types if kind != "null"]
    return " ".join([" or ".join(types), *([prop["format"]] if "format" in prop else [])])


class NewFields:
    """Watches one stream's records for top-level fields its emitted schema lacks.

    `known` holds every field the target has been told of (or that the catalog
    deselected): the stream's hot path checks a record's keys against it and calls `admit`
    only when a record has one more.
    """

    def __init__(self, stream: Stream) -> None:
        self._stream = stream
        self.known: frozenset[str] = frozenset(stream.effective_schema.get("properties", {}))
        #: Types guessed from values, by field: checked on later records (`check_types`).
        self.inferred: dict[str, str] = {}
        self._warned_types: set[str] = set()

    def admit(self, row: dict[str, t.Any]) -> None:
        """Add the record's unknown fields to the schema (one SCHEMA, one log line).

        A field whose value is null is left out of this record (null is what its absence
        means) until a record gives it a value to type it by.
        """
        stream = self._stream
        declared = stream.schema.get("properties", {})
        new: dict[str, dict[str, t.Any]] = {}
        deselected: set[str] = set()
        for name in row.keys() - self.known:
            value = row[name]
            if not stream.mask[("properties", name)]:
                deselected.add(name)  # the SDK drops it from every record
            elif value is None:
                del row[name]
            elif name in declared:  # a catalog older than the stream's schema
                new[name] = copy.deepcopy(declared[name])
            else:
                new[name] = inferred_property(value)
                self.inferred[name] = json_type(value)
        self.known |= deselected | new.keys()
        if new:
            self._announce(new)

    def check_types(self, row: dict[str, t.Any]) -> None:
        """Widen an inferred integer field to a number when a fraction arrives.

        Another change of type is logged once per field and passed on as it is: the target
        decides, as it would for any value its column does not fit.
        """
        for name, kind in self.inferred.items():
            value = row.get(name)
            if value is None or json_type(value) == kind:
                continue
            if kind == "integer" and isinstance(value, float):
                self.inferred[name] = "number"
                self._announce({name: {"type": ["number", "null"]}}, widened=True)
            elif name not in self._warned_types:
                self._warned_types.add(name)
                self._stream.logger.warning(
                    "%s: the new field %s was typed %s from its first value, and now has a %s "
                    "value; it is sent as it is.",
                    self._stream.name,
                    name,
                    kind,
                    json_type(value),
                )

    def _announce(self, new: dict[str, dict[str, t.Any]], *, widened: bool = False) -> None:
        """Register the grown schema with the tap's stream maps and send it to the target."""
        stream = self._stream
        mapper = stream._tap.mapper
        raw = copy.deepcopy(mapper.stream_maps[stream.name][0].raw_schema)
        raw.setdefault("properties", {}).update(new)
        mapper.register_raw_stream_schema(stream.name, raw, stream.primary_keys)
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
        fields = ", ".join(f"{name} ({type_name(prop)})" for name, prop in new.items())
        if widened:
            stream.logger.info("%s: widened a new field to %s.", stream.name, fields)
        else:
            stream.logger.info(
                "%s: the API sends field(s) the schema lacks, now added to it and kept: %s.",
                stream.name,
                fields,
            )
