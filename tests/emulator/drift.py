"""Drifted types, the world of ``Quirks.drifted_types`` and ``CSQuirks.drifted_types``:
values sent with another JSON type than documented, meaning kept (``3.5`` visits, ``"12"``, a
date as text), as customer-sent values pass through (docs/api.md, "PX and CS: field types").

``DRIFTS`` holds, per stream, its key fields and ``Rule``s; a record drifts by a stable hash of
its key, the same way on every request. Never drifted: primary keys, the fields a client pages
or bookmarks on, segments and user preferences.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .filters import get_path
from .tenant import from_ms, to_ms

Record = dict[str, Any]


@dataclass(frozen=True)
class Drift:
    """One value sent differently than the tenant holds it."""

    field_path: str
    """Dotted path in the record (``location.coordinates.latitude``)."""
    original: Any
    sent: Any


@dataclass(frozen=True)
class Rule:
    """Send ``field`` (dotted) as ``KINDS[kind](value, arg)`` in every ``every``-th record."""

    field: str
    kind: str
    arg: Any = None
    every: int = 5
    when: tuple[str, Any] | None = None
    """Only in records whose top-level field ``when[0]`` equals ``when[1]``."""


@dataclass(frozen=True)
class StreamDrifts:
    """The key fields of a stream's records and its rules."""

    key: tuple[str, ...]
    rules: tuple[Rule, ...]


# -- kinds: how a value is sent instead; NOT_APPLICABLE leaves it alone --------------------------

NOT_APPLICABLE: Any = object()
_NUMERIC = re.compile(r"-?\d+(\.\d+)?")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _when(test: Callable[[Any], bool], send: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    """A kind that sends ``send(value)`` for a value that passes ``test``."""
    return lambda value, _arg: send(value) if test(value) else NOT_APPLICABLE


def _epoch_ms(value: Any, _arg: Any) -> Any:
    """An ISO date as epoch ms (UTC midnight): ``"2025-03-01"`` -> ``1740787200000``."""
    try:
        return to_ms(datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc))
    except (TypeError, ValueError):
        return NOT_APPLICABLE


#: Kind -> ``(value, arg) -> what is sent`` (``coded``: ``arg[value]``).
KINDS: dict[str, Callable[[Any, Any], Any]] = {
    "fraction": _when(_is_int, lambda v: v + 0.5),
    "integral_float": _when(_is_int, float),
    "numeric_string": _when(lambda v: _is_int(v) or isinstance(v, float), str),
    "bool_string": _when(lambda v: isinstance(v, bool), lambda v: "true" if v else "false"),
    "number": _when(
        lambda v: isinstance(v, str) and _NUMERIC.fullmatch(v) is not None,
        lambda v: float(v) if "." in v else int(v),
    ),
    "coded": lambda v, codes: codes[v] if isinstance(v, str) and v in codes else NOT_APPLICABLE,
    "pairs": _when(
        lambda v: isinstance(v, dict), lambda v: [{"key": k, "value": x} for k, x in v.items()]
    ),
    "indexed": _when(lambda v: isinstance(v, list), lambda v: {str(i): x for i, x in enumerate(v)}),
    "iso": _when(
        _is_int, lambda v: from_ms(v).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    ),
    "epoch_ms": _epoch_ms,
}


# -- the table ---------------------------------------------------------------------------------

#: The user attribute the drifted world's model declares INTEGER (a type the tap knows): its
#: values are whole numbers, but some users send fractions (``customAttributes.seats``).
INTEGER_ATTRIBUTE = "seats"

_EVENTS = StreamDrifts(("eventId",), (Rule("globalContext", "pairs"),))
_VIEWS = (
    Rule("executionDate", "iso"),
    Rule("sequenceNumber", "numeric_string"),
    Rule("contactMeAllowed", "bool_string"),
)
_LOCATED = (
    Rule("inferredLocation.coordinates.latitude", "numeric_string"),
    Rule("inferredLocation.coordinates.longitude", "numeric_string"),
)
_FEATURES = (Rule("featureLabels", "indexed"),)
_ENGAGEMENTS = (
    Rule("translationState", "coded", {"TRANSLATED": True, "NOT_TRANSLATED": False}),
    Rule("envs", "indexed"),
)
_MODELS = (
    Rule("type", "coded", {"NUMBER": "INTEGER"}, every=1, when=("apiName", INTEGER_ATTRIBUTE)),
    Rule("createdDate", "numeric_string", every=2),
    Rule("modifiedDate", "iso", every=2),
)


def _event(*rules: Rule) -> StreamDrifts:
    return StreamDrifts(_EVENTS.key, (*_EVENTS.rules, *rules))


#: PX streams by path (the path below ``/v1``, or the whole ``/v2/feature_ext``).
PX_DRIFTS: dict[str, StreamDrifts] = {
    "/users": StreamDrifts(
        ("aptrinsicId",),
        (
            Rule("numberOfVisits", "fraction"),
            Rule("score", "numeric_string"),
            Rule("globalUnsubscribe", "bool_string"),
            Rule("location.coordinates.latitude", "numeric_string"),
            Rule("signUpDate", "numeric_string"),
            Rule("propertyKeys", "indexed"),
            Rule(f"customAttributes.{INTEGER_ATTRIBUTE}", "fraction"),
            Rule("customAttributes.mrr", "numeric_string"),
            Rule("customAttributes.betaTester", "bool_string"),
        ),
    ),
    "/accounts": StreamDrifts(
        ("id",),
        (
            Rule("numberOfEmployees", "integral_float"),
            Rule("healthScore", "numeric_string"),
            Rule("sicCode", "number"),
            Rule("renewalDate", "iso"),
            Rule("location.coordinates.longitude", "numeric_string"),
            Rule("customAttributes.arr", "numeric_string"),
            Rule("customAttributes.isStrategic", "bool_string"),
        ),
    ),
    "/events/custom": _event(),
    "/events/email": _event(
        Rule("attempt", "number"), Rule("linkIndex", "integral_float"), *_LOCATED
    ),
    "/events/engagementView": _event(Rule("score", "integral_float"), *_VIEWS),
    "/events/feature_match": _event(),
    "/events/formSubmit": _event(
        Rule("screenHeight", "numeric_string"), Rule("queryParams", "pairs")
    ),
    "/events/identify": _event(),
    "/events/lead": _event(),
    "/events/pageView": _event(
        Rule("screenWidth", "integral_float"),
        Rule("languages", "indexed"),
        Rule("queryParams", "pairs"),
    ),
    "/events/segment_match": _event(),
    "/events/session": _event(*_LOCATED),
    "/survey/responses": _event(
        Rule("score", "fraction"), Rule("selectionIds", "indexed"), *_VIEWS
    ),
    "/feature": StreamDrifts(("id",), _FEATURES),
    "/v2/feature_ext": StreamDrifts(("id",), (*_FEATURES, Rule("mappedElements", "indexed"))),
    "/engagement": StreamDrifts(("id",), _ENGAGEMENTS),
    "/engagement/extended": StreamDrifts(("id",), (*_ENGAGEMENTS, Rule("customEvents", "indexed"))),
    "/articles": StreamDrifts(
        ("id",),
        (
            Rule("releaseDate", "epoch_ms"),
            Rule("createdDate", "iso"),
            Rule("modifiedDate", "numeric_string"),
        ),
    ),
    "/kcbot": StreamDrifts(
        ("id",),
        (
            Rule("priority", "numeric_string", every=2),
            Rule("createdDate", "numeric_string", every=2),
            Rule("environments", "indexed", every=2),
        ),
    ),
    "/admin/model/user/attributes": StreamDrifts(("id",), _MODELS),
    "/admin/model/account/attributes": StreamDrifts(("id",), _MODELS),
    "/admin/monitoring/engagement_collisions": StreamDrifts(
        ("engagementId", "triggeredDate", "viewedByUser"),
        (Rule("views", "numeric_string"), Rule("otherQualifiedEngagementNames", "indexed")),
    ),
    "/admin/subscription": StreamDrifts(("id",), (Rule("products", "indexed", every=1),)),
    "/admin/monitoring/integrations": StreamDrifts(
        ("integrationSyncName",),
        (
            Rule("currentStatus", "coded", {"UP": True, "DOWN": False}, every=1),
            Rule("lastSuccessfulDate", "numeric_string", every=1),
            Rule("numberOfRecordsProcessed", "numeric_string", every=2),
        ),
    ),
}

#: Company tiers by rank, as tenants often store them (``Tier__gc`` sent as a number).
TIER_RANKS = {"Enterprise": 1, "Mid-Market": 2, "SMB": 3}


def _cs(*rules: Rule) -> StreamDrifts:
    return StreamDrifts(("Gsid",), rules)


#: CS objects by canonical name (``objects.OBJECTS``); the delete logs never drift.
CS_DRIFTS: dict[str, StreamDrifts] = {
    "Company": _cs(
        Rule("Employees", "numeric_string"),
        Rule("IsActive", "bool_string"),
        Rule("Tier__gc", "coded", TIER_RANKS),
        Rule("RenewalDate", "iso"),
        Rule("CreatedDate", "iso"),
    ),
    "Person": _cs(Rule("IsActive", "bool_string"), Rule("CreatedDate", "iso")),
    "company_person": _cs(Rule("IsPrimaryCompany", "bool_string")),
    "relationship": _cs(Rule("Arr", "numeric_string"), Rule("RenewalDate", "iso")),
    "gsuser": _cs(Rule("IsActiveUser", "bool_string")),
    "activity_timeline": _cs(
        Rule("Ant__Duration__c", "numeric_string"), Rule("ActivityDate", "iso")
    ),
    "call_to_action": _cs(Rule("IsClosed", "bool_string"), Rule("DueDate", "iso")),
    "cs_task": _cs(Rule("IsClosed", "bool_string"), Rule("ClosedDate", "iso")),
    "renewal_forecast__gc": _cs(
        Rule("Forecast_ARR__gc", "numeric_string"),
        Rule("Probability__gc", "numeric_string"),
        Rule("Committed__gc", "bool_string"),
        Rule("Renewal_Date__gc", "iso"),
    ),
    "product_usage__gc": _cs(
        Rule("Active_Users__gc", "numeric_string"),
        Rule("Over_Limit__gc", "bool_string"),
        Rule("Last_Sync__gc", "iso"),
    ),
}

#: Every stream's drifts (PX paths start with ``/``, CS names never do).
DRIFTS: dict[str, StreamDrifts] = {**PX_DRIFTS, **CS_DRIFTS}


# -- applying it -------------------------------------------------------------------------------


def record_key(stream: str, record: Record) -> Hashable:
    """The key a record of ``stream`` is known by: one field's value, or a tuple of several
    (engagement collisions); None if the record lacks it."""
    fields = DRIFTS[stream].key
    values = tuple(record.get(f) for f in fields)
    if any(v is None for v in values):
        return None
    return values[0] if len(values) == 1 else values


def _bucket(stream: str, key: Hashable) -> int:
    return zlib.crc32(f"{stream}|{key}".encode())


def _put(record: Record, parts: list[str], value: Any) -> Record:
    """A copy of ``record`` with ``value`` at ``parts``, copying only the dicts on the path."""
    head, rest = parts[0], parts[1:]
    return {**record, head: _put(record[head], rest, value) if rest else value}


def drift_record(stream: str, record: Record) -> tuple[Record, list[Drift]]:
    """``record`` as the drifted world sends it, and each change; the record itself (not a
    copy) with no change if it is not in any rule's subset or ``stream`` has no table."""
    table = DRIFTS.get(stream)
    key = None if table is None else record_key(stream, record)
    if table is None or key is None:
        return record, []
    bucket = _bucket(stream, key)
    sent, drifts = record, []
    for rule in table.rules:
        if bucket % rule.every or (rule.when and sent.get(rule.when[0]) != rule.when[1]):
            continue
        parts = rule.field.split(".")
        original = get_path(sent, rule.field)
        value = KINDS[rule.kind](original, rule.arg)
        if value is NOT_APPLICABLE:
            continue
        sent = _put(sent, parts, value)
        drifts.append(Drift(rule.field, original, value))
    return sent, drifts


def stream_of(path: str) -> tuple[str | None, bool]:
    """``(stream, single)`` of a PX request path: the ``PX_DRIFTS`` stream it is drifted as
    (None: not drifted) and whether its body is one record rather than a list of them."""
    if path == "/admin/subscription":
        return path, True
    return (path if path in PX_DRIFTS else None), False


def drift_body(path: str, body: Any) -> tuple[Any, dict[Hashable, list[Drift]]]:
    """A PX answer's body as the drifted world sends it (``body`` itself if nothing drifted),
    and the drifts of each record by key; the records are the body, or its one list."""
    stream, single = stream_of(path)
    if stream is None:
        return body, {}
    if single:
        sent, drifts = drift_record(stream, body)
        return sent, ({record_key(stream, body): drifts} if drifts else {})
    if isinstance(body, list):
        records, put = body, lambda out: out
    elif isinstance(body, dict):
        lists = [k for k, v in body.items() if isinstance(v, list)]
        if len(lists) != 1:
            return body, {}
        records, put = body[lists[0]], lambda out: {**body, lists[0]: out}
    else:
        return body, {}
    log: dict[Hashable, list[Drift]] = {}
    out = []
    for record in records:
        sent, drifts = drift_record(stream, record)
        if drifts:
            log[record_key(stream, record)] = drifts
        out.append(sent)
    return (put(out), log) if log else (body, {})
