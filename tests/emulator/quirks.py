"""Behaviours of the real API, as switchable flags: documented quirks and undocumented worlds.

Quirks are not faults: the real API does them on every request. Two kinds of flags:

* **documented quirks** default to what the evidence (docs/api.md) says the live API does, so
  turning one off makes the emulator *nicer* than production (useful to isolate a failing test,
  never to make the tap pass);
* **worlds** (``entity_sort_ignored`` and below) play the API as it may really be where the
  docs are silent. They default to False/None, the documented world; turning one on makes the
  emulator *harsher* in a way nobody has ruled out, to test that a client survives it.
  A valued world is a ``str`` (so that ``--quirk NAME=VALUE`` sets it as it is), read on each
  request through its reading (``refusal_status``, ``page_cap_size``...), which parses it and
  says what it means; a malformed value is a ``ValueError`` there and at ``--quirk``.

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
from typing import Any, ClassVar


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

    refused_paths: str | None = None
    """Comma-separated path prefixes (below ``/v1``, e.g. ``"/articles,/kcbot,/survey,/admin"``)
    whose every request is refused in the error envelope: 403 ``FORBIDDEN`` (or
    ``refused_status``). A prefix names whole path segments: ``/admin`` refuses
    ``/admin/subscription`` and ``/admin/model/user/attributes``, ``/survey`` refuses
    ``/survey/responses``, but ``/acc`` refuses nothing, so ``/accounts`` is refused only by a
    prefix naming it. Plausible: Knowledge Center and surveys are products a subscription may
    lack, and the admin endpoints may need more than the key's Read permission; the docs say
    neither what such a tenant or key is answered nor which endpoints it concerns."""

    refused_status: str | None = None
    """The HTTP status of the refusals of ``refused_paths``: ``"404"`` answers ``NOT_FOUND``
    "No handler found", as a region that does not serve the path would; None is 403
    ``FORBIDDEN``. Any 4xx is accepted, named as ``errors.STATUS_NAMES`` names it."""

    page_cap: str | None = None
    """``"N"``: every list page holds at most N records whatever ``pageSize`` asked (within its
    maximum), without saying so: the scrolls (events, ``/survey/responses`` and the engagement
    collisions included) advance their cursor by N and keep the true ``totalHits``; a
    page-number endpoint answers ``records[k*N:(k+1)*N]`` for ``pageNumber=k``, with an honest
    ``isLastPage``. Plausible: the documented maxima come from the OpenAPI spec, and a backend
    may cap a page lower than its spec (Elasticsearch caps a scroll page by its own settings).
    A client that ends a scroll on the first page shorter than it asked loses the rest."""

    max_page_size: str | None = None
    """``"N"``: a ``pageSize`` above N is refused on every list endpoint, worded as for the
    documented maxima (a 400). Plausible: the maxima come from the OpenAPI spec, and the API
    lowered them once before (features and segments to 200, which failed a peer's syncs)."""

    omit_is_last_page: bool = False
    """Page-number answers carry no ``isLastPage``. Plausible: it is known from the OpenAPI
    spec's two richer forms only; peers end on a short page. With ``omit_total_hits``, no page
    of any kind says how much remains."""

    range_edges: str | None = None
    """How the edges of a date range are taken, for the events' (and survey responses')
    ``filter=date>=a;date<b`` and the engagement collisions' ``dateRangeStart``/
    ``dateRangeEnd``: ``"exclusive_start"`` (a lower bound excludes its own millisecond, so
    ``>=`` acts as ``>``), ``"inclusive_end"`` (an upper bound includes its own millisecond:
    ``<`` acts as ``<=``) or ``"both"``. ``==`` names one millisecond and is taken as sent.
    None: the operators as sent (collisions: start inclusive, end exclusive). Plausible:
    no source says how the backend turns the filter, or the collisions' two parameters, into
    its range query. A client reading consecutive windows loses the events on an edge
    (``exclusive_start``) or reads them twice (``inclusive_end``)."""

    max_range_days: str | None = None
    """``"N"``: an event or survey-response date range (or an engagement collisions range)
    longer than N days is a 400 worded by ``range_message``; the documented limits (190 and
    180 days) still apply. Plausible: the 190 days come from the spec and one peer, and a
    limit may differ per tenant, region or API version."""

    range_message: str | None = None
    """The wording of ``max_range_days``'s 400, a template where ``{days}`` stands for N, e.g.
    ``"Date range cannot exceed {days} days"``, or ``"Invalid date range"`` (no number at
    all). None: the documented wording, ``"Exceeded date range{days}days"``."""

    scroll_expiry: str | None = None
    """``"PAGES:STATUS:MESSAGE"``, e.g. ``"3:404:No search context found for id [1234]"``,
    ``"2:410:Scroll has expired"`` or ``"5:400:Cursor timed out"``: once a scroll cursor has
    served PAGES pages, its next continuation answers HTTP STATUS with MESSAGE in the error
    envelope and the cursor is forgotten; opening a scroll (no ``scrollId``) works as ever.
    Every scroll path, the engagement collisions included. Plausible: a cursor's lifetime is
    undocumented, and Elasticsearch answers an expired scroll context with a 404 "No search
    context found", a message that says nothing of scrolls."""

    empty_body: str | None = None
    """How a list page without records is answered, on the scrolls, the page-number
    endpoints and the engagement collisions: ``"{}"`` (an empty JSON object, nothing else),
    ``"absent"`` (the records key left out, the other keys kept) or ``"null"`` (the records
    key set to null). Pages with records are unchanged. Plausible: a serializer that omits
    empty or null collections is common, and no source shows an empty page."""

    #: The parser of each valued world (``quirk_setting`` checks ``--quirk`` values with it).
    value_readers: ClassVar[dict[str, Callable[[str], object]]]

    # -- readings of the valued worlds (read on every request: they may change at run time) --

    def refusal_status(self, path: str) -> int | None:
        """The HTTP status ``refused_paths`` refuses ``path`` with (below ``/v1``, or the whole
        path outside it); None: served."""
        if self.refused_paths is None:
            return None
        prefixes = read_path_prefixes(self.refused_paths)
        if not any(path == prefix or path.startswith(f"{prefix}/") for prefix in prefixes):
            return None
        return 403 if self.refused_status is None else read_client_error(self.refused_status)

    @property
    def page_size_limit(self) -> int | None:
        """The largest ``pageSize`` taken in the world of ``max_page_size``; None: the spec's."""
        return None if self.max_page_size is None else read_positive_int(self.max_page_size)

    @property
    def page_cap_size(self) -> int | None:
        """The most records a list page holds in the world of ``page_cap``; None: no cap."""
        return None if self.page_cap is None else read_positive_int(self.page_cap)

    @property
    def lower_edge_excluded(self) -> bool:
        """Whether a range's lower bound excludes its own millisecond (``range_edges``)."""
        return read_range_edges(self.range_edges)[0] if self.range_edges else False

    @property
    def upper_edge_included(self) -> bool:
        """Whether a range's upper bound includes its own millisecond (``range_edges``)."""
        return read_range_edges(self.range_edges)[1] if self.range_edges else False

    @property
    def range_limit_days(self) -> int | None:
        """The longest date range of ``max_range_days``, in days; None: only the documented."""
        return None if self.max_range_days is None else read_positive_int(self.max_range_days)

    def range_refusal(self, days: int) -> str:
        """The message of a range over ``days`` (``range_message``, or the documented one)."""
        template = DOCUMENTED_RANGE_MESSAGE if self.range_message is None else self.range_message
        return template.replace("{days}", str(days))

    @property
    def scroll_expiry_rule(self) -> ScrollExpiry | None:
        """When and how a scroll cursor expires (``scroll_expiry``); None: never."""
        return None if self.scroll_expiry is None else ScrollExpiry.parse(self.scroll_expiry)

    @property
    def empty_page_form(self) -> str | None:
        """The form of a page without records (``empty_body``); None: the documented one."""
        return None if self.empty_body is None else read_empty_body(self.empty_body)


#: The documented wording of a range over the limit, ``{days}`` for the limit (docs/api.md,
#: "PX: event windows").
DOCUMENTED_RANGE_MESSAGE = "Exceeded date range{days}days"
#: ``range_edges`` values -> (lower bound excluded, upper bound included).
RANGE_EDGE_MODES: dict[str, tuple[bool, bool]] = {
    "exclusive_start": (True, False),
    "inclusive_end": (False, True),
    "both": (True, True),
}
#: ``empty_body`` values.
EMPTY_BODY_FORMS = ("{}", "absent", "null")


@dataclass(frozen=True)
class ScrollExpiry:
    """A ``scroll_expiry`` rule: after ``pages`` pages a continuation answers ``status`` with
    ``message`` and the cursor is gone."""

    pages: int
    status: int
    message: str

    @classmethod
    def parse(cls, text: str) -> ScrollExpiry:
        """``"PAGES:STATUS:MESSAGE"`` (the message may hold colons); ValueError if malformed."""
        pages, _, rest = text.partition(":")
        status, colon, message = rest.partition(":")
        if not colon or not message:
            raise ValueError(f"{text!r}: expected PAGES:STATUS:MESSAGE")
        return cls(read_positive_int(pages), read_client_error(status), message)


def read_positive_int(text: str) -> int:
    """An integer >= 1 from a quirk's text; ValueError otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r}: expected a whole number") from None
    if value < 1:
        raise ValueError(f"{text!r}: expected a number of at least 1")
    return value


def read_client_error(text: str) -> int:
    """An HTTP 4xx status from a quirk's text; ValueError otherwise."""
    status = read_positive_int(text)
    if not 400 <= status <= 499:
        raise ValueError(f"{text!r}: expected a 4xx status")
    return status


def read_path_prefixes(text: str) -> tuple[str, ...]:
    """The prefixes of ``refused_paths``, without trailing ``/``; ValueError if one is not a
    path (it must start with ``/`` and name at least one segment)."""
    prefixes = tuple(part.strip().rstrip("/") for part in text.split(",") if part.strip())
    bad = [p for p in prefixes if not p.startswith("/")]
    if bad or not prefixes:
        raise ValueError(f"{text!r}: expected comma-separated paths such as /articles,/admin")
    return prefixes


def read_range_edges(text: str) -> tuple[bool, bool]:
    """(lower bound excluded, upper bound included) of a ``range_edges`` mode."""
    try:
        return RANGE_EDGE_MODES[text]
    except KeyError:
        raise ValueError(f"{text!r}: one of {', '.join(RANGE_EDGE_MODES)}") from None


def read_empty_body(text: str) -> str:
    """An ``empty_body`` form, checked."""
    if text not in EMPTY_BODY_FORMS:
        raise ValueError(f"{text!r}: one of {', '.join(EMPTY_BODY_FORMS)}")
    return text


Quirks.value_readers = {
    "refused_paths": read_path_prefixes,
    "refused_status": read_client_error,
    "page_cap": read_positive_int,
    "max_page_size": read_positive_int,
    "range_edges": read_range_edges,
    "max_range_days": read_positive_int,
    "scroll_expiry": ScrollExpiry.parse,
    "empty_body": read_empty_body,
}


def scrambled(key: object) -> int:
    """A stable hash of a record's key: the order of a world that ignores the asked one."""
    return zlib.crc32(str(key).encode())


def quirk_setting(quirks_class: type) -> Callable[[str], tuple[str, Any]]:
    """An argparse ``type`` for ``--quirk NAME[=VALUE]`` on a quirks dataclass.

    A bool flag takes ``NAME`` (on), ``NAME=true`` or ``NAME=false``; a ``str | None`` one
    needs ``NAME=VALUE`` (non-empty), checked by the class's ``value_readers`` if it has one
    for that name. Returns ``(name, value)`` for ``dataclasses.replace``.
    """
    kinds = {f.name: str(f.type) for f in dataclasses.fields(quirks_class)}
    readers: dict[str, Callable[[str], object]] = getattr(quirks_class, "value_readers", {})

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
        reader = readers.get(name)
        if reader is not None:
            try:
                reader(value)
            except ValueError as e:
                raise argparse.ArgumentTypeError(f"{name}: {e}") from None
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
