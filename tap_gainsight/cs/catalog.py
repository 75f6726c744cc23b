"""Which objects a CS tenant has, and their fields: the objects list and describe APIs.

Discovery asks `GET /v1/meta/services/objects/list` for the tenant's objects, keeps the
readable STANDARD and CUSTOM ones (or exactly those `cs_objects` names), adds Company and
Person (the list is documented to leave Person out at times), and describes them all with
`POST /v1/meta/services/objects/describe`, many objects a request, whose fields type each
object's schema (docs/api.md, "CS: objects list and describe").
"""

from __future__ import annotations

import typing as t

from tap_gainsight.cs.client import CSStream, data_list
from tap_gainsight.cs.keyset import KEY
from tap_gainsight.errors import EXPLAINED_FAILURES, SETUP_FAILURES
from tap_gainsight.responses import response_body

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk import Tap

LIST_PATH = "/v1/meta/services/objects/list"
#: The documented sample call's parameters ("parent object", and `em` undocumented).
LIST_PARAMS = {"po": "company", "em": "false"}
DESCRIBE_PATH = "/v1/meta/services/objects/describe"
#: Objects per describe request: a peer's batch; the docs state no limit
#: (docs/api.md, "CS: objects list and describe").
DESCRIBE_BATCH = 25
#: `objectType`s read unless `cs_objects` says otherwise; SYSTEM objects are the platform's.
READ_BY_DEFAULT = frozenset({"STANDARD", "CUSTOM"})
#: What makes the list or describe API's answer unusable (discovery then says so, once).
METADATA_FAILURES: tuple[type[Exception], ...] = (*EXPLAINED_FAILURES, ValueError)
#: The objects read whatever the list says, with their built-in schemas, under the stream
#: names they have always had; every other object's stream is its name in lower case.
BUILT_IN = {"Company": "companies", "Person": "people"}
_CANONICAL = {name.lower(): name for name in BUILT_IN}


def stream_name(object_name: str) -> str:
    """The name of an object's stream."""
    return BUILT_IN.get(object_name, object_name.lower())


def chosen_objects(listed: list[dict[str, t.Any]], wanted: Iterable[str] | None) -> list[str]:
    """The names of the objects to read, one per stream.

    Exactly `wanted` if given, else the readable standard and custom objects of the list,
    with Company and Person always.
    """
    if wanted:
        names = list(wanted)
    else:
        names = [*BUILT_IN] + [
            str(entry["objectName"])
            for entry in listed
            if str(entry.get("objectType", "")).upper() in READ_BY_DEFAULT
            and entry.get("readable", True) is not False
        ]
    chosen: dict[str, str] = {}
    for name in names:
        chosen.setdefault(name.lower(), _CANONICAL.get(name.lower(), name))
    return list(chosen.values())


def list_objects(metadata: CSStream) -> list[dict[str, t.Any]]:
    """The objects list, as `{objectName, objectType, readable, ...}` entries.

    Raises:
        ValueError: If the answer holds no list.
    """
    data = data_list(response_body(metadata.call("GET", LIST_PATH, params=LIST_PARAMS)))
    if data is None:
        msg = f"{LIST_PATH} answered without a list of objects"
        raise ValueError(msg)
    return [entry for entry in data if isinstance(entry, dict) and entry.get("objectName")]


def describe(metadata: CSStream, object_names: list[str]) -> dict[str, dict[str, str]]:
    """`{object (lower case): {field: dataType}}` of the objects describe knows."""
    described: dict[str, dict[str, str]] = {}
    for start in range(0, len(object_names), DESCRIBE_BATCH):
        batch = object_names[start : start + DESCRIBE_BATCH]
        body = response_body(metadata.call("POST", DESCRIBE_PATH, body={"objectNames": batch}))
        for entry in data_list(body) or []:
            if isinstance(entry, dict) and isinstance(entry.get("fields"), list):
                described[str(entry.get("objectName", "")).lower()] = {
                    str(field["fieldName"]): str(field.get("dataType") or "STRING")
                    for field in entry["fields"]
                    if isinstance(field, dict) and field.get("fieldName")
                }
    return described


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


def discover_objects(tap: Tap) -> dict[str, dict[str, str] | None]:
    """The objects to read and their described fields (None: the built-in schema).

    A failure is one warning, not an error; a refused access key or a host never reached
    stops discovery: nothing could be read. Without the list, the tap reads Company, Person
    and the `cs_objects` named; without describe, Company and Person with their built-in
    fields, and nothing else. An object described without `Gsid` is left out.
    """
    # Sends discovery's requests with the CS streams' pace and errors; it is never synced.
    metadata = CSStream(
        tap,
        name="cs_metadata",
        schema={"type": "object", "properties": {}},
        path="/v1/meta/services/objects",
    )
    wanted = tap.config.get("cs_objects")
    try:
        listed = list_objects(metadata)
    except SETUP_FAILURES:
        raise  # a refused key or a host never reached: say so, once
    except METADATA_FAILURES as failure:
        metadata.logger.warning(
            "Could not list the CS objects at %s (%s); reading %s.",
            LIST_PATH,
            str(failure).rstrip("."),
            "the cs_objects named" if wanted else "only Company and Person",
        )
        listed = []
    names = chosen_objects(listed, wanted)
    try:
        described = describe(metadata, names)
    except SETUP_FAILURES:
        raise
    except METADATA_FAILURES as failure:
        metadata.logger.warning(
            "Could not describe the CS objects at %s (%s); reading only the built-in fields "
            "of Company and Person (custom fields and other objects are left out).",
            DESCRIBE_PATH,
            str(failure).rstrip("."),
        )
        described = {}
    found: dict[str, dict[str, str] | None] = {}
    for name in names:
        fields = described.get(name.lower())
        if fields and KEY in fields:
            found[name] = fields
        elif name in BUILT_IN:
            found[name] = None
    missing = [name for name in names if name not in found]
    if missing and described:
        metadata.logger.warning(
            "CS objects left out, as describe gave no fields (with %s) for them: %s.",
            KEY,
            ", ".join(missing),
        )
    return found
