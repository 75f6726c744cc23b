"""JSON schemas of CS objects from the fields the describe API reports."""

from __future__ import annotations

import typing as t

from tap_gainsight.cs.keyset import KEY

#: The modified-date fields an object may replicate on, preferred first: most objects have
#: `ModifiedDate`; the activity timeline has `LastModifiedDate`
#: (docs/api.md, "CS: objects list and describe").
MODIFIED_DATE_FIELDS = ("ModifiedDate", "LastModifiedDate")

#: JSON type of each Data Management `dataType`. Dates arrive as epoch ms and leave as
#: RFC 3339 (DATEs are UTC midnights); lookups, dropdowns and picklists are the referenced
#: record's or item's GSID (a multi-select list: GSIDs joined by `;`), which `da_picklist`
#: gives labels to. A type not listed here is read as text, lists and objects JSON-encoded.
FIELD_TYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "STRING",
            "EMAIL",
            "DROPDOWN",
            "GSID",
            "LOOKUP",
            "PICKLIST",
            "MULTISELECTDROPDOWNLIST",
            "RICHTEXTAREA",
            "URL",
        ),
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


def modified_date_field(fields: dict[str, str]) -> str | None:
    """The field an object replicates on, or None: it has no modified date (full table)."""
    return next(
        (name for name in MODIFIED_DATE_FIELDS if fields.get(name, "").upper() == "DATETIME"),
        None,
    )
