"""The Data Management (metadata) answers: the objects list and describe (docs/api.md, "CS:
objects list and describe"), with the keys a client reads.

``GET /v1/meta/services/objects/list`` (query parameters ignored) lists every object in lower
case, typed ``STANDARD``, ``CUSTOM`` (``*__gc``) or ``SYSTEM``. ``person`` is missing
(``CSQuirks.person_missing_from_list``) and ``internal_notes__gc`` says ``readable: false``,
yet both answer by name. The delete logs are not listed.

``POST /v1/meta/services/objects/describe`` with ``{"objectNames": [...]}`` answers one entry
per known name, in request order, matched case-insensitively, duplicates once, unknown ones
left out; none known is ``OBJECT_NOT_FOUND``. An entry's ``objectName`` is canonical.
"""

from __future__ import annotations

from typing import Any

from .errors import ObjectNotFound, bad_query
from .objects import ObjectDef, find_object


def object_list(objects: tuple[ObjectDef, ...], *, person_missing: bool) -> list[dict[str, Any]]:
    """``data`` of the objects list (module docstring)."""
    return [
        {
            "objectName": o.list_name,
            "label": o.label,
            "objectType": o.object_type,
            "readable": o.readable,
        }
        for o in objects
        if not (person_missing and o.name == "Person")
    ]


def describe_object(obj: ObjectDef) -> dict[str, Any]:
    """One entry of a describe's ``data``."""
    fields = [{"fieldName": f.name, "label": f.label, "dataType": f.data_type} for f in obj.fields]
    return {"objectName": obj.name, "label": obj.label, "fields": fields}


def describe(body: Any, instance: str) -> list[dict[str, Any]]:
    """``data`` of a describe (module docstring); ``instance`` dates an OBJECT_NOT_FOUND."""
    names = body.get("objectNames") if isinstance(body, dict) else None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise bad_query("'objectNames' must be a non-empty list of object names")
    found: dict[str, ObjectDef] = {}
    for name in names:
        obj = find_object(name)
        if obj is not None:
            found.setdefault(obj.name, obj)
    if not found:
        raise ObjectNotFound(instance)
    return [describe_object(obj) for obj in found.values()]
