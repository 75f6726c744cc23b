"""Typing `customAttributes` from the PX attribute models (`/admin/model/*/attributes`)."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from tap_gainsight.timestamps import epoch_ms_to_rfc3339

if t.TYPE_CHECKING:
    from collections.abc import Iterable

#: JSON schema of each attribute type (the model's `type`); dates arrive as epoch ms.
ATTRIBUTE_SCHEMAS: dict[str, dict[str, t.Any]] = {
    "STRING": {"type": ["string", "null"]},
    "NUMBER": {"type": ["number", "null"]},
    # A number column, not an integer one: see `schema_watch.inferred_property`.
    "INTEGER": {"type": ["number", "null"]},
    "BOOLEAN": {"type": ["boolean", "null"]},
    "DATE_TIME": {"type": ["string", "null"], "format": "date-time"},
    "DATE": {"type": ["string", "null"], "format": "date-time"},
}

#: The schema when the models cannot be read: an object whose keys pass through untyped.
UNTYPED: dict[str, t.Any] = {"type": ["object", "null"], "additionalProperties": True}


@dataclass(frozen=True)
class AttributeModel:
    """The typed shape of one `customAttributes` object (users' or accounts')."""

    properties: dict[str, dict[str, t.Any]]
    epoch_ms_names: frozenset[str]

    @classmethod
    def from_definitions(cls, definitions: Iterable[dict[str, t.Any]]) -> AttributeModel:
        """Build from the model endpoint's attribute definitions (keyed by `apiName`).

        An attribute of a type not known here is left out: its values still pass through,
        untyped, as every key the model does not list does.
        """
        kinds = {d.get("apiName"): str(d.get("type") or "").upper() for d in definitions}
        properties = {
            name: dict(ATTRIBUTE_SCHEMAS[kind])
            for name, kind in kinds.items()
            if name and kind in ATTRIBUTE_SCHEMAS
        }
        dates = {name for name, prop in properties.items() if prop.get("format") == "date-time"}
        return cls(properties, frozenset(dates))

    def schema(self) -> dict[str, t.Any]:
        """JSON schema of `customAttributes`: one property per attribute, others kept."""
        return {**UNTYPED, "properties": self.properties}

    def convert(self, attributes: dict[str, t.Any]) -> dict[str, t.Any]:
        """Turn date attributes from epoch ms into RFC 3339 strings, in place."""
        for name in self.epoch_ms_names.intersection(attributes):
            value = attributes[name]
            if isinstance(value, int) and not isinstance(value, bool):
                attributes[name] = epoch_ms_to_rfc3339(value)
        return attributes
