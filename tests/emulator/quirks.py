"""Behaviours of the real API, as switchable flags: documented quirks and undocumented worlds.

Quirks are not faults: the real API does them on every request. Two kinds of flags:

* **documented quirks** default to what the evidence (docs/api.md) says the live API does, so
  turning one off makes the emulator *nicer* than production (useful to isolate a failing test,
  never to make the tap pass);
* **worlds** (``entity_sort_ignored`` and below) play the API as it may really be where the
  docs are silent. They default to False/None, the documented world; turning one on makes the
  emulator *harsher* in a way nobody has ruled out, to test that a client survives it.

Always-on behaviours that are not flags (they are how the API is specified):

* the ``scrollId`` stays set on the last page and on the empty pages after it; a client must stop
  on a short/empty page or on ``totalHits`` (docs/api.md, "PX: scroll pagination": "it does not be
  null
  even though the last page of results is returned");
* an events request without a date range returns only the last day (docs/api.md, "PX: event
  windows");
* an events date range over 190 days is a 400 (docs/api.md, "PX: event windows"), an engagement
  collisions range over 180 days too (``admin.py``);
* a ``pageSize`` above the endpoint maximum is a 400 (docs/api.md, "PX: scroll pagination");
* without ``sort`` a scroll returns records in primary-key order, which for events is NOT date
  order (Elasticsearch-style index order; the tap must send ``sort=date``).
"""

from __future__ import annotations

import argparse
import dataclasses
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Quirks:
    """Switchable real-API behaviours; mutable at runtime (read on every request)."""

    constant_scroll_id: bool = True
    """The SAME ``scrollId`` is returned on every page of a scroll: the server keeps the cursor
    (Elasticsearch-style). A paginator that detects loops by "token did not change" must key on
    something else (docs/api.md, "PX: scroll pagination"). When off, every page returns a fresh id
    and
    the previous one becomes invalid."""

    omit_total_hits: bool = False
    """Drop ``totalHits`` from scroll responses. Off by default: peers read it (docs/api.md,
    "Scroll pagination"), but a robust client must not depend on it."""

    truncated_page_consumes_cursor: bool = True
    """When the ``truncate`` fault cuts a scroll page, the backend has already served it, so the
    cursor has advanced: retrying the same ``scrollId`` returns the NEXT page and the cut page
    is lost. A client that must not lose data re-opens the window (docs/api.md,
    "Scroll pagination"). Off: the cursor is rewound, so a plain retry works."""

    no_v2_feature_ext: bool = False
    """``GET /v2/feature_ext`` answers 404 ``NOT_FOUND``, as on a tenant (or region) that does
    not serve it; ``/v1/feature`` still works. Off by default: the Swagger (0.1.6) documents it
    (``admin.py``)."""

    no_engagement_extended: bool = False
    """``GET /v1/engagement/extended`` answers 404 ``NOT_FOUND``, as on a tenant that does not
    serve it; ``/v1/engagement`` still works. Off by default: the Swagger (0.1.6) documents it
    (``admin.py``)."""

    # -- worlds: where the docs are silent (off = the documented world) ----------------------

    entity_sort_ignored: bool = False
    """``/users`` and ``/accounts`` ignore ``sort``: every scroll comes in one stable order
    that is not ``lastModifiedDate`` order (by a hash of the primary key, ``scrambled``),
    across all its pages. Plausible: only one peer sorts accounts by ``lastModifiedDate``, none
    sorts users, and an Elasticsearch scroll without a usable sort keeps index order. A client
    that stops reading "once below the bookmark" loses records here. Events are unaffected."""

    event_sort_ignored: bool = False
    """The event endpoints ignore ``sort``: a window's events come in one stable order that is
    not ``date`` order (``scrambled`` by ``eventId``), across all its pages. Not seen: every
    source sorts events on ``date``. The tap must still send every event once, and never
    save a bookmark that skips one."""

    entity_filter_refused: bool = False
    """``/users`` and ``/accounts`` answer 400 ``BAD_REQUEST`` "Filtering on lastModifiedDate
    is not supported" when a scroll is opened with a ``filter`` that names
    ``lastModifiedDate``; other filters work, and a scroll opened without one continues as
    ever. Plausible: no peer filters entities on it (one left it as a TODO), and the docs list
    no filterable fields. Wins over ``entity_filter_ignored`` when both are on."""

    entity_filter_ignored: bool = False
    """``/users`` and ``/accounts`` ignore ``filter`` (still parsed: a malformed one is a 400):
    every scroll holds the whole table, sorted as asked unless ``entity_sort_ignored``.
    Plausible for the same reason: a filter the backend does not support may be dropped
    silently rather than refused. A client that trusts the filter re-reads everything."""

    renamed_records_key: str | None = None
    """Every list endpoint (the scrolls, events and engagement collisions included, and the
    page-number ones) answers with its records under this key (e.g. ``"items"``) instead of
    its documented one. Unchanged: the bare arrays of the attribute models, the root objects
    (subscription, single records, preferences) and ``integrationStatuses``. Plausible: the
    keys come from peers' code and differ per endpoint (``featureMatchEvents`` for segment
    matches), and one generated spec says ``results`` for ``/users``."""

    drifted_types: bool = False
    """In a fixed subset of the records of most streams, values arrive with another JSON type
    than the documented one while keeping their meaning (``12.0``, ``"12"``, ``"true"``,
    ``[{"key": .., "value": ..}]``, ISO dates...): the table and its rules are ``drift.py``,
    what was sent is logged in ``emulator.drifted``. Every request serves the same drift, so a
    record read twice is the same. Plausible: the docs give no schema, peers disagree on types
    (one types account timestamps as strings), and customer-sent values (custom attributes,
    identify calls) pass through as sent."""


def scrambled(key: object) -> int:
    """A stable hash of a record's key: the order of a world that ignores the asked one."""
    return zlib.crc32(str(key).encode())


def quirk_setting(quirks_class: type) -> Callable[[str], tuple[str, Any]]:
    """An argparse ``type`` for ``--quirk NAME[=VALUE]`` on a quirks dataclass.

    A bool flag takes ``NAME`` (on), ``NAME=true`` or ``NAME=false``; a ``str | None`` one
    needs ``NAME=VALUE`` (non-empty). Returns ``(name, value)`` for ``dataclasses.replace``.
    """
    kinds = {f.name: str(f.type) for f in dataclasses.fields(quirks_class)}

    def parse(text: str) -> tuple[str, Any]:
        name, equals, value = text.partition("=")
        kind = kinds.get(name)
        if kind is None:
            raise argparse.ArgumentTypeError(f"{name!r}: unknown quirk; one of {', '.join(kinds)}")
        if kind == "bool":
            if not equals:
                return name, True
            if value.lower() in ("true", "false"):
                return name, value.lower() == "true"
            raise argparse.ArgumentTypeError(f"{text!r}: {name} is true or false")
        if not value:
            raise argparse.ArgumentTypeError(f"{text!r}: {name} needs a value, {name}=VALUE")
        return name, value

    return parse


def add_quirk_option(parser: argparse.ArgumentParser, quirks_class: type) -> None:
    """Add ``--quirk NAME[=VALUE]`` (repeatable) for a quirks dataclass to an emulator's CLI."""
    parser.add_argument(
        "--quirk",
        action="append",
        default=[],
        type=quirk_setting(quirks_class),
        metavar="NAME[=VALUE]",
        help=f"set a {quirks_class.__name__} flag (repeatable): NAME turns it on, NAME=false "
        "off, NAME=VALUE sets a valued one",
    )
