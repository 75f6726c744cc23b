"""The Data Management (metadata) answers: the objects list and describe (docs/api.md, "CS:
objects list and describe").

``GET /v1/meta/services/objects/list`` (query parameters ignored) lists every object in lower
case, typed ``STANDARD``, ``CUSTOM`` (``*__gc``) or ``SYSTEM``; ``email_raw_events`` has no
``keyPrefix``. ``person`` is missing (``CSQuirks.person_missing_from_list``) and
``internal_notes__gc`` says ``readable: false``, yet both answer by name. The delete logs are
not listed.

``POST /v1/meta/services/objects/describe`` with ``{"objectNames": [...]}`` answers one entry
per known name, in request order, matched case-insensitively, duplicates once, unknown ones
left out; none known is ``OBJECT_NOT_FOUND``. An entry's ``objectName`` is canonical, each
field's lower case; PICKLIST and MULTISELECTDROPDOWNLIST fields carry ``options`` (their
category's items, inactive ones ``active: false``; ``Tags__gc`` none); LOOKUP fields carry
``meta.lookupDetail``.
"""

from __future__ import annotations

import uuid
from typing import Any

from .errors import ObjectNotFound, bad_query
from .generate import Category
from .objects import PICKLIST_TYPES, FieldDef, ObjectDef, find_object

_IDS = uuid.UUID("6b1b2c3e-0c5d-4c8e-9a57-3c8e0f1d2a4b")
_UNSORTABLE = frozenset({"MULTISELECTDROPDOWNLIST", "RICHTEXTAREA"})
_LENGTHS = {"GSID": 220, "LOOKUP": 220, "STRING": 500, "EMAIL": 255, "RICHTEXTAREA": 131072,
            "PICKLIST": 255, "MULTISELECTDROPDOWNLIST": 500, "DROPDOWN": 255}  # fmt: skip


def _stable_id(*names: str) -> str:
    return str(uuid.uuid5(_IDS, "/".join(names)))


def list_entry(obj: ObjectDef) -> dict[str, Any]:
    """One item of the objects list."""
    entry: dict[str, Any] = {
        "objectName": obj.list_name,
        "label": obj.label,
        "objectType": obj.object_type,
    }
    if obj.key_prefix is not None:
        entry["keyPrefix"] = obj.key_prefix
    entry.update(
        transactional=obj.transactional,
        multiCurrencySupported=obj.multi_currency,
        readable=obj.readable,
        createable=obj.createable,
        schemaUpdateable=obj.schema_updateable,
    )
    return entry


def object_list(objects: tuple[ObjectDef, ...], *, person_missing: bool) -> list[dict[str, Any]]:
    """``data`` of the objects list (module docstring)."""
    return [list_entry(o) for o in objects if not (person_missing and o.name == "Person")]


def _lookup_meta(obj: ObjectDef, field: FieldDef) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``properties`` additions, ``lookupDetail``) of a LOOKUP field."""
    target = find_object(field.lookup or "")
    assert target is not None, field
    properties = {
        "autoSuggestDetails": {
            "object": target.list_name,
            "searchOn": ["Name"],
            "dataStore": "HAPOSTGRES",
            "columnsToList": ["Gsid"],
            "connectionType": "MDA",
            "connectionId": "MDA",
        },
        "sourceType": "GSID",
        "SEARCH_CONTROLLER": "AUTO_SUGGEST",
    }
    detail = {
        "lookupName": f"{field.name}__gr",
        "fieldName": "Gsid",
        "fieldDBName": "gsid",
        "fieldLabel": "GSID",
        "lookupId": _stable_id(obj.name, field.name),
        "lookupObjects": [
            {
                "id": _stable_id(target.name),
                "objectName": target.list_name,
                "label": target.label,
                "namedFieldDetails": {"fieldName": "Name", "DisplayName": "Name"},
            }
        ],
    }
    return properties, detail


def _option(category: Category, index: int) -> dict[str, Any]:
    item = category.items[index]
    return {
        "active": item.active,
        "defaultValue": False,
        "label": item.name,
        "validFor": None,
        "value": item.gsid,
        "displayOrder": item.display_order,
        "group": None,
        "groupId": category.gsid,
        "color": None,
        "controllerValues": None,
        "description": "",
        "systemName": item.name,
    }


def describe_field(
    obj: ObjectDef, field: FieldDef, picklists: dict[str, Category]
) -> dict[str, Any]:
    """One entry of a describe's ``fields``."""
    dtype = field.data_type
    system = field.group == "SYSTEM"
    properties: dict[str, Any] = {"sourceType": dtype}
    detail = None
    category = None
    if dtype == "LOOKUP":
        properties, detail = _lookup_meta(obj, field)
    elif dtype in PICKLIST_TYPES:
        category = picklists[field.category or ""]
        properties.update(PICKLIST_CATEGORY=category.name, PICKLIST_CATEGORY_ID=category.gsid)
    meta: dict[str, Any] = {
        "properties": properties,
        "filterable": True,
        "sortable": dtype not in _UNSORTABLE,
        "groupable": dtype not in _UNSORTABLE,
        "createable": not system,
        "updateable": not system,
        "formulaField": False,
        "hasLookup": dtype == "LOOKUP",
        "required": not field.nillable,
        "richText": dtype == "RICHTEXTAREA",
        "nillable": field.nillable,
        "readOnly": system,
        "dependentPicklist": False,
        "fieldGroupType": field.group,
        "selfLookup": field.lookup == obj.list_name,
        "indexed": system or dtype == "LOOKUP",
        "decimalPlaces": field.decimal_places,
    }
    if dtype in _LENGTHS:
        meta["length"] = _LENGTHS[dtype]
    if detail is not None:
        meta["lookupDetail"] = detail
    meta.update(
        hidden=False,
        nameField=field.name in ("Name", "Name__gc"),
        description=field.label,
        aggregatable=True,
    )
    entry: dict[str, Any] = {
        "fieldName": field.name,
        "label": field.label,
        "dataType": dtype,
        "objectName": obj.list_name,
        "meta": meta,
    }
    if category is not None:
        entry["options"] = (
            [_option(category, i) for i in range(len(category.items))]
            if field.options_in_describe
            else []
        )
    return entry


def describe_object(obj: ObjectDef, picklists: dict[str, Category]) -> dict[str, Any]:
    """One entry of a describe's ``data``."""
    entry: dict[str, Any] = {
        "objectName": obj.name,
        "label": obj.label,
        "objectType": obj.object_type,
        "labelPlural": obj.label_plural,
    }
    if obj.key_prefix is not None:
        entry["keyPrefix"] = obj.key_prefix
    entry["fields"] = [describe_field(obj, f, picklists) for f in obj.fields]
    entry.update(
        transactional=obj.transactional,
        multiCurrencySupported=obj.multi_currency,
        readable=obj.readable,
        createable=obj.createable,
        schemaUpdateable=obj.schema_updateable,
        description=obj.description,
    )
    return entry


def describe(body: Any, picklists: dict[str, Category], instance: str) -> list[dict[str, Any]]:
    """``data`` of a describe (module docstring); ``instance`` dates an OBJECT_NOT_FOUND.

    Raises:
        CSError: 400 if ``objectNames`` is not a non-empty list of strings.
        ObjectNotFound: If none of the names is an object.
    """
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
    return [describe_object(obj, picklists) for obj in found.values()]
