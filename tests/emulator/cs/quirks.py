"""Documented-but-surprising behaviours of the CS Data API, as switchable flags.

Like the PX ``Quirks``: documented quirks default to the docs (docs/api.md, "CS: query, paging
and order"), and where the docs give two behaviours both are available; worlds
(``order_ignored`` and below) default to the documented world and play the API where the docs
are silent.

Always so, not flags: a ``limit`` above 5000 is a 400 ``GSOBJ_1015``; a page with no records
is the "no entity" answer, never an empty list; without ``orderBy`` records come in storage
order, and ties of an ``orderBy`` keep it; the list names objects in lower case, describe and
the delete log name Company and Person with a capital, the query path takes any casing;
delete-log answers are always ``data.records``; objects the list says are not ``readable``
can still be described and queried.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CSQuirks:
    """Switchable CS behaviours; mutable at runtime (read on every request)."""

    data_as_list: bool = False
    """``data`` is the bare list of records (the docs' sample) instead of ``{"records": [...]}``
    (what live scripts read)."""

    empty_as_http_400: bool = True
    """No records answers HTTP 400 ``GSOBJ_1011`` "No entity matches the given criteria"; off:
    HTTP 200 with ``result: false``, the same code and ``data: null``."""

    describe_unavailable: bool = False
    """Describe answers 404 (a key without the Data Management APIs)."""

    person_missing_from_list: bool = True
    """The objects list leaves ``person`` out, as a peer tap's README warns; describe and query
    still know it."""

    # -- worlds: where the docs are silent (off = the documented world) ----------------------

    order_ignored: bool = False
    """The query ignores ``orderBy``: records come in a stable order by a hash of ``Gsid``
    (``tests.emulator.quirks.scrambled``); ``where``, ``limit`` and ``offset`` still apply."""

    drifted_types: bool = False
    """In a fixed subset of the records, values arrive with another JSON type, meaning kept
    (``tests/emulator/drift.py``, ``CS_DRIFTS``); ``where`` and
    ``orderBy`` see the stored values. Modified dates, keys and the delete logs never drift."""

    refused_fields: str | None = None
    """Comma-separated ``Object.Field`` names (object in any case, field exact), e.g.
    ``"Company.Tier__gc"``: describe lists them, but a query selecting one answers HTTP 400
    ``GSOBJ_1000``, worded by ``refused_field_message``. ``where`` and ``orderBy`` are not
    checked."""

    refused_field_message: str | None = None
    """The ``errorDesc`` of a ``refused_fields`` answer, ``{field}`` for the refused names;
    None: ``"Invalid select field(s): {field}"``."""

    text_dates: str | None = None
    """Every DATETIME and DATE value of a query answer (not ``DeletedOn``) is sent as text:
    ``"offset"`` (``2026-11-01T12:00:00.000+0000``), ``"space"`` (``2026-11-01 12:00:00``,
    ``.250`` when the millisecond is not zero), ``"date"`` (DATEs as ``2026-11-01``, DATETIMEs
    as ``"space"``) or ``"mixed"`` (by position: offset, space, ISO with ``Z``, and a non-UTC
    offset, ``cs/worlds.py``). The instant is the stored one; ``where`` takes every form back,
    since a client's keyset passes the last date back as it came."""

    refused_objects: str | None = None
    """Comma-separated object names (any case): listed and described, but a query of one
    answers HTTP 403 (``refused_objects_status``) ``GSOBJ_1403`` "Access denied to object"."""

    refused_objects_status: str | None = None
    """The HTTP status of a ``refused_objects`` answer: None is 403, ``"404"`` hides them."""

    page_cap: str | None = None
    """``"N"``: a query answers at most N records, whatever ``limit`` asked, without saying so;
    ``where``, ``offset`` and ``orderBy`` still apply. The delete logs too."""

    max_limit: str | None = None
    """``"N"``: a ``limit`` above N is a 400 ``GSOBJ_1015``, worded as for the documented 5000."""
