"""Documented-but-surprising behaviours of the CS Data API, as switchable flags.

Like the PX ``Quirks``: not faults, the real API does them on every request. Documented quirks
default to the docs (docs/api.md, "CS: query, paging and order"); where the docs give two
behaviours both are
available, and a client must accept both. Worlds (``order_ignored`` and below) default to the
documented world and play the API as it may really be where the docs are silent.

Always-on behaviours that are not flags (they are how the emulator specifies the API):

* a ``limit`` above 5000 is a 400 ``GSOBJ_1015`` (docs/api.md, "CS: query, paging and order":
  "limit max 5000");
* a page with no records (filter matches nothing, OR ``offset`` past the last match) is the
  "no entity" answer below, never an empty list;
* without ``orderBy`` records come in storage (insertion) order, and ties of an ``orderBy`` keep
  storage order: the real order of ties is undocumented, so paginate on a unique key (``Gsid``);
* object names: the list gives them in lower case, describe and the delete log name Company
  and Person with a capital (``objects``), the query path takes any casing;
* delete-log answers are always ``data.records`` (``deletes``), whatever ``data_as_list`` says;
* objects with ``readable: false`` in the list can still be described and queried by name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CSQuirks:
    """Switchable CS behaviours; mutable at runtime (read on every request)."""

    data_as_list: bool = False
    """``data`` is the bare list of records (the docs' sample) instead of ``{"records": [...]}``
    (what live scripts read). Both are documented (docs/api.md, "CS: query, paging and order")."""

    empty_as_http_400: bool = True
    """A query returning no records answers HTTP 400 ``GSOBJ_1011`` "No entity matches the given
    criteria". Off: HTTP 200 with ``result: false``, the same code and ``data: null``. Both are
    documented (docs/api.md, "CS: query, paging and order": "Empty result"); treat both as an empty
    page."""

    describe_unavailable: bool = False
    """``POST /v1/meta/services/objects/describe`` answers 404 (a tenant or key without the
    Data Management APIs), so a client's fallback schema can be tested (docs/api.md, "CS: query,
    paging and order":
    schema discovery is documented only through a peer)."""

    person_missing_from_list: bool = True
    """``GET /v1/meta/services/objects/list`` leaves ``person`` out, the gap a peer tap's README
    warns of (docs/api.md, "CS: objects list and describe": "may leave out objects such as
    Person"): a client that
    discovers objects only through the list never sees Person. Describe and query still know it.
    Off: Person is listed like any other object."""

    # -- worlds: where the docs are silent (off = the documented world; see the PX quirks) ---

    order_ignored: bool = False
    """The query ignores ``orderBy``: records come in a stable order that is not the asked one
    (by a hash of ``Gsid``, ``tests.emulator.quirks.scrambled``), while ``where``, ``limit``
    and ``offset`` still apply, so offset pages still partition the matches. Plausible: the
    docs show ``orderBy`` in one sample body and never say it is honoured, nor how ties
    fall. A client that keysets on the last record of a page skips records here."""

    drifted_types: bool = False
    """In a fixed subset of the records of most objects, values arrive with another JSON type
    than the described one, meaning kept: a number as a numeric string, a boolean as
    ``"true"``, a string as a number (``Tier__gc`` by rank), a date as an ISO-8601 string
    instead of epoch ms. The table is ``tests/emulator/drift.py`` (``CS_DRIFTS``); what was
    sent is logged in ``emulator.drifted``; ``where`` and ``orderBy`` still see the stored
    values. Plausible: describe types are the only schema, and imports or field-type changes
    leave values of another type behind. The modified dates a client bookmarks on, keys and
    the delete logs never drift."""

    refused_fields: str | None = None
    """Comma-separated ``Object.Field`` names (the object as the query path names it, any
    case; the field in its exact case), e.g. ``"Company.Tier__gc,Person.Region__gc"``:
    describe lists these fields as ever, but a query whose ``select`` names one answers HTTP
    400 ``GSOBJ_1000`` (``result: false``), worded by ``refused_field_message``. Plausible:
    field-level security hides a field from the key's user while describe, which reports the
    schema, still shows it; the docs say nothing of field permissions. ``where`` and
    ``orderBy`` are not checked: a client replicates on ``Gsid`` and the modified date, which
    no tenant hides."""

    refused_field_message: str | None = None
    """The ``errorDesc`` of a ``refused_fields`` answer: a template in which ``{field}`` is
    replaced by the refused field's name (several, joined by ``", "``). None: ``"Invalid
    select field(s): {field}"``. A template without ``{field}`` (``"One or more fields in
    select are not accessible"``) gives an answer that does not say which field it was, as
    an API that will not reveal what it hides would."""

    text_dates: str | None = None
    """Every DATETIME and DATE value of a query answer (the modified dates a client bookmarks
    on included; the delete logs' ``DeletedOn`` keeps its own form) is sent as text instead
    of epoch ms, in one form (``TEXT_DATE_FORMS``):

    * ``"offset"``: ``2026-11-01T12:00:00.000+0000`` (UTC, milliseconds always shown);
    * ``"space"``: ``2026-11-01 12:00:00`` (UTC, no zone), ``.250`` added when the
      millisecond is not zero;
    * ``"date"``: DATE fields as ``2026-11-01``, DATETIME fields as ``"space"``;
    * ``"mixed"``: by record position in the page, cycling through ``offset``, ``space``,
      ISO with ``Z`` (``2026-11-01T12:00:00.250Z``) and an offset other than UTC
      (``2026-11-01T17:30:00.250+05:30``, every other time ``-08:00``).

    The instant is always the stored one (an offset form shows it in that offset). ``where``
    takes every one of these forms back for DATE and DATETIME fields, besides the documented
    ones, since a client's keyset passes the last date back as it came; ``orderBy`` still
    sorts by the instant. Plausible: the epoch ms are documented by one page (Custom
    Objects), the delete log already answers ISO text, and a tenant's date format or an API
    version may change what the query answers."""

    refused_objects: str | None = None
    """Comma-separated object names (any case), e.g. ``"renewal_forecast__gc"``: the list and
    describe show them as ever, but a query of one answers HTTP 403 (``refused_objects_status``)
    with ``GSOBJ_1403`` "Access denied to object ..." in the CS envelope. Plausible: a key's
    user lacks the permission on one object (a custom object of another team, the timeline),
    and the docs name only the auth codes ``GS_APIG_2401``/``GSOBJ_1024``, no per-object
    refusal."""

    refused_objects_status: str | None = None
    """The HTTP status of a ``refused_objects`` answer: None is 403, ``"404"`` plays an API
    that hides what the user may not see as if it did not exist (the body is the same)."""

    page_cap: str | None = None
    """``"N"``: a query answers at most N records, whatever ``limit`` asked, and does not say
    so (no error, no flag in the envelope). ``where``, ``offset`` and ``orderBy`` still apply,
    so the next query, after the last record returned, gets the rest. Applies to the delete
    logs too. Plausible: "limit max 5000" is quoted by a peer, not tested, and a gateway or a
    tenant setting may lower the page size silently; a client that ends a pass on a page
    shorter than its ``limit`` stops early here."""

    max_limit: str | None = None
    """``"N"``: a query whose ``limit`` is above N is refused (HTTP 400 ``GSOBJ_1015``, worded
    as for the documented 5000). Plausible: the 5000 is quoted by peers, not by the docs'
    every page, and a tenant or a later release may allow less."""

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse a world's value the emulator could not play, when it is set (also via the
        CLI): a test must fail where it switched the world, not in a request."""
        if value is not None:
            check_world(name, value)
        super().__setattr__(name, value)


#: The forms of ``CSQuirks.text_dates``.
TEXT_DATE_FORMS = ("offset", "space", "date", "mixed")
#: The statuses ``CSQuirks.refused_objects_status`` may set.
REFUSED_OBJECT_STATUSES = ("403", "404")


def check_world(name: str, value: object) -> None:
    """Raise ValueError if ``value`` is no value of the valued world ``name``."""
    if name == "text_dates" and value not in TEXT_DATE_FORMS:
        raise ValueError(f"text_dates is one of {', '.join(TEXT_DATE_FORMS)}, not {value!r}")
    if name == "refused_objects_status" and value not in REFUSED_OBJECT_STATUSES:
        raise ValueError(f"refused_objects_status is 403 or 404, not {value!r}")
    if name in ("page_cap", "max_limit") and not (
        isinstance(value, str) and value.isdigit() and int(value)
    ):
        raise ValueError(f"{name} is a number of records above 0, not {value!r}")
    if name == "refused_fields" and (
        not isinstance(value, str) or not all("." in item for item in value.split(","))
    ):
        raise ValueError(f"refused_fields is a list of Object.Field, not {value!r}")
