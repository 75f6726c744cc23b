"""Which objects a CS tenant has, and their fields: the objects list and describe APIs.

Discovery asks `GET /v1/meta/services/objects/list` for the tenant's objects, keeps the
readable STANDARD and CUSTOM ones (or exactly those `cs_objects` names), adds Company and
Person (the list is documented to leave Person out at times), and describes them all with
`POST /v1/meta/services/objects/describe`, many objects a request
(docs/api.md, "CS: objects list and describe").
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from typing_extensions import override

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


@dataclass(frozen=True)
class CSObject:
    """One CS object read as a stream: the stream's name and the object's API name."""

    name: str
    object_name: str


#: Read whatever the list says, under the names they have always had.
COMPANIES = CSObject("companies", "Company")
PEOPLE = CSObject("people", "Person")
_RENAMED = {"company": COMPANIES, "person": PEOPLE}


def as_stream(object_name: str) -> CSObject:
    """The stream of an object: its name in lower case (Company and Person keep theirs)."""
    return _RENAMED.get(object_name.lower()) or CSObject(object_name.lower(), object_name)


def chosen_objects(listed: list[dict[str, t.Any]], wanted: Iterable[str] | None) -> list[CSObject]:
    """The objects to read.

    Exactly `wanted` if given, else the readable standard and custom objects of the list,
    with Company and Person always.
    """
    if wanted:
        names = list(wanted)
    else:
        names = [COMPANIES.object_name, PEOPLE.object_name] + [
            str(entry["objectName"])
            for entry in listed
            if str(entry.get("objectType", "")).upper() in READ_BY_DEFAULT
            and entry.get("readable", True) is not False
        ]
    chosen: dict[str, CSObject] = {}
    for name in names:
        chosen.setdefault(name.lower(), as_stream(name))
    return list(chosen.values())


class CSMetadata(CSStream):
    """Sends discovery's requests (list, describe) with the CS streams' pace and errors.

    A stream only in name: it is never synced.
    """

    path = "/v1/meta/services/objects"

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap, name="cs_metadata", schema={"type": "object", "properties": {}})

    @override
    def records_of(self, response: t.Any) -> list[dict]:
        return []

    def list_objects(self) -> list[dict[str, t.Any]]:
        """The objects list, as `{objectName, objectType, readable, ...}` entries.

        Raises:
            ValueError: If the answer holds no list.
        """
        body = response_body(self.call("GET", LIST_PATH, params=LIST_PARAMS))
        data = data_list(body)
        if data is None:
            msg = f"{LIST_PATH} answered without a list of objects"
            raise ValueError(msg)
        return [entry for entry in data if isinstance(entry, dict) and entry.get("objectName")]

    def describe(self, object_names: list[str]) -> dict[str, dict[str, str]]:
        """`{object (lower case): {field: dataType}}` of the objects describe knows."""
        described: dict[str, dict[str, str]] = {}
        for start in range(0, len(object_names), DESCRIBE_BATCH):
            batch = object_names[start : start + DESCRIBE_BATCH]
            body = response_body(self.call("POST", DESCRIBE_PATH, body={"objectNames": batch}))
            for entry in data_list(body) or []:
                if isinstance(entry, dict) and isinstance(entry.get("fields"), list):
                    described[str(entry.get("objectName", "")).lower()] = {
                        str(field["fieldName"]): str(field.get("dataType") or "STRING")
                        for field in entry["fields"]
                        if isinstance(field, dict) and field.get("fieldName")
                    }
        return described


@dataclass(frozen=True)
class TenantObjects:
    """What discovery found: the objects to read and the fields of those described."""

    objects: list[CSObject]
    fields: dict[str, dict[str, str]]

    def fields_of(self, cs_object: CSObject) -> dict[str, str] | None:
        """The described fields of an object, or None (not described, or no `Gsid`)."""
        fields = self.fields.get(cs_object.object_name.lower())
        return fields if fields and KEY in fields else None


def discover_objects(tap: Tap) -> TenantObjects:
    """List and describe the tenant's objects; a failure is one warning, not an error.

    A refused access key or a host never reached stops discovery: nothing could be read.

    Without the list, the tap reads Company, Person and the `cs_objects` named; without
    describe, Company and Person with their built-in fields, and nothing else.
    """
    metadata = CSMetadata(tap)
    wanted = tap.config.get("cs_objects")
    try:
        listed = metadata.list_objects()
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
    objects = chosen_objects(listed, wanted)
    try:
        fields = metadata.describe([o.object_name for o in objects])
    except SETUP_FAILURES:
        raise  # a refused key or a host never reached: say so, once
    except METADATA_FAILURES as failure:
        metadata.logger.warning(
            "Could not describe the CS objects at %s (%s); reading only the built-in fields "
            "of Company and Person (custom fields and other objects are left out).",
            DESCRIBE_PATH,
            str(failure).rstrip("."),
        )
        fields = {}
    found = TenantObjects(objects, fields)
    missing = [
        o.object_name for o in objects if o not in (COMPANIES, PEOPLE) and not found.fields_of(o)
    ]
    if missing and fields:
        metadata.logger.warning(
            "CS objects left out, as describe gave no fields (with %s) for them: %s.",
            KEY,
            ", ".join(missing),
        )
    return found
