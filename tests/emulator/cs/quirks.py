"""Documented-but-surprising behaviours of the CS Data API, as switchable flags.

Like the PX ``Quirks``: not faults, the real API does them on every request. Defaults follow
px-api.md §8; where the notes document two behaviours both are available, and a client must
accept both.

Always-on behaviours that are not flags (they are how the emulator specifies the API):

* a ``limit`` above 5000 is a 400 ``GSOBJ_1015`` (px-api.md §8.2 "limit max 5000");
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
    """``data`` is the bare list of records (the docs' sample, C1 via C5) instead of
    ``{"records": [...]}`` (what live scripts read, C6). Both are documented (px-api.md §8.2)."""

    empty_as_http_400: bool = True
    """A query returning no records answers HTTP 400 ``GSOBJ_1011`` "No entity matches the given
    criteria". Off: HTTP 200 with ``result: false``, the same code and ``data: null``. Both are
    documented (px-api.md §8.2 "Empty result"); treat both as an empty page."""

    describe_unavailable: bool = False
    """``POST /v1/meta/services/objects/describe`` answers 404 (a tenant or key without the
    Data Management APIs), so a client's fallback schema can be tested (px-api.md §8.2
    "Schema discovery" is documented only via C5)."""

    list_unavailable: bool = False
    """``GET /v1/meta/services/objects/list`` answers 404, likewise (switch both flags for a
    tenant without any metadata endpoint)."""

    person_missing_from_list: bool = True
    """``GET /v1/meta/services/objects/list`` leaves ``person`` out, the gap ST's README warns
    of (coverage.md A1, "may leave out objects such as Person"): a client that discovers
    objects only through the list never sees Person. Describe and query still know it. Off:
    Person is listed like any other object."""
