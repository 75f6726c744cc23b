"""Documented-but-surprising behaviours of the real API, as switchable flags.

Quirks are not faults: the real API does them on every request. Each flag defaults to what the
evidence in px-api.md says the live API does, so turning one off makes the emulator *nicer* than
production (useful to isolate a failing test, never to make the tap pass).

Always-on behaviours that are not flags (they are how the API is specified):

* the ``scrollId`` stays set on the last page and on the empty pages after it; a client must stop
  on a short/empty page or on ``totalHits`` (px-api.md §2a, D3 "it does not be null even
  though the last page of results is returned");
* an events request without a date range returns only the last day (px-api.md §3);
* an events date range over 190 days is a 400 (px-api.md §3), an engagement collisions range
  over 180 days too (``admin.py``);
* a ``pageSize`` above the endpoint maximum is a 400 (px-api.md §1, §2);
* without ``sort`` a scroll returns records in primary-key order, which for events is NOT date
  order (Elasticsearch-style index order; the tap must send ``sort=date``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Quirks:
    """Switchable real-API behaviours; mutable at runtime (read on every request)."""

    constant_scroll_id: bool = True
    """The SAME ``scrollId`` is returned on every page of a scroll: the server keeps the cursor
    (Elasticsearch-style). A paginator that detects loops by "token did not change" must key on
    something else (px-api.md §7.2). When off, every page returns a fresh id and the previous
    one becomes invalid."""

    omit_total_hits: bool = False
    """Drop ``totalHits`` from scroll responses. Off by default: S1/S10 read it (px-api.md §2a),
    but a robust client must not depend on it."""

    truncated_page_consumes_cursor: bool = True
    """When the ``truncate`` fault cuts a scroll page, the backend has already served it, so the
    cursor has advanced: retrying the same ``scrollId`` returns the NEXT page and the cut page
    is lost. A client that must not lose data re-opens the window (px-api.md §2a
    "Resumability"). Off: the cursor is rewound, so a plain retry works."""

    no_v2_feature_ext: bool = False
    """``GET /v2/feature_ext`` answers 404 ``NOT_FOUND``, as on a tenant (or region) that does
    not serve it; ``/v1/feature`` still works. Off by default: the Swagger (0.1.6) documents it
    (``admin.py``)."""

    no_engagement_extended: bool = False
    """``GET /v1/engagement/extended`` answers 404 ``NOT_FOUND``, as on a tenant that does not
    serve it; ``/v1/engagement`` still works. Off by default: the Swagger (0.1.6) documents it
    (``admin.py``)."""
