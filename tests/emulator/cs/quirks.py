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

    list_unavailable: bool = False
    """``GET /v1/meta/services/objects/list`` answers 404, likewise (switch both flags for a
    tenant without any metadata endpoint)."""

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
