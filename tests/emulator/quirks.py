"""Behaviours of the real API, as switchable flags: documented quirks and undocumented worlds.

* **documented quirks** default to what docs/api.md says the live API does;
* **worlds** (``entity_sort_ignored`` and below) play the API where the docs are silent; off
  (False/None) is the documented world. A valued world is a ``str`` (``--quirk NAME=VALUE``),
  parsed on each request by its reading (``page_cap_size``...); a bad value is a ``ValueError``.

Not flags, as specified: a scroll keeps one ``scrollId``, set on the last page too; a page
cut by the ``truncate`` fault has moved the cursor; events without a range
are the last day; ranges over 190 days (collisions 180) are a 400; a ``pageSize`` over the
maximum is a 400; without ``sort`` a scroll comes in primary-key order.
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

    omit_total_hits: bool = False
    """Scroll answers carry no ``totalHits``: a robust client must not depend on it."""

    no_v2_feature_ext: bool = False
    """``GET /v2/feature_ext`` answers 404, as on a tenant that does not serve it."""

    no_engagement_extended: bool = False
    """``GET /v1/engagement/extended`` answers 404, as on a tenant that does not serve it."""

    # -- worlds: where the docs are silent (off = the documented world) ----------------------

    entity_sort_ignored: bool = False
    """``/users`` and ``/accounts`` ignore ``sort``: one stable order (``scrambled``), not
    ``lastModifiedDate`` order. No peer sorts users."""

    event_sort_ignored: bool = False
    """The event endpoints ignore ``sort``: one stable order (``scrambled`` by ``eventId``)."""

    entity_filter_refused: bool = False
    """``/users`` and ``/accounts`` refuse (400) a scroll opened with a ``filter`` naming
    ``lastModifiedDate``. Wins over ``entity_filter_ignored``."""

    entity_filter_ignored: bool = False
    """``/users`` and ``/accounts`` ignore ``filter`` (a malformed one is still a 400)."""

    renamed_records_key: str | None = None
    """Every list endpoint answers with its records under this key (e.g. ``"items"``); the
    bare arrays, root objects and ``integrationStatuses`` are unchanged."""

    drifted_types: bool = False
    """Some records' values arrive with another JSON type, same meaning (``drift.py``); what
    was sent is logged in ``emulator.drifted``, the same on every request."""

    refused_paths: str | None = None
    """Comma-separated path prefixes below ``/v1`` (whole segments: ``/admin`` refuses
    ``/admin/subscription``, ``/acc`` refuses nothing), refused with 403 or ``refused_status``."""

    refused_status: str | None = None
    """The 4xx status of ``refused_paths``' refusals (``"404"``: "No handler found")."""

    page_cap: str | None = None
    """``"N"``: every list page holds at most N records whatever was asked, without saying
    so; ``totalHits`` and ``isLastPage`` stay true."""

    max_page_size: str | None = None
    """``"N"``: a ``pageSize`` above N is a 400 on every list endpoint, worded as documented."""

    omit_is_last_page: bool = False
    """Page-number answers carry no ``isLastPage``."""

    range_edges: str | None = None
    """How a date range's edges are taken (events, survey responses, collisions):
    ``"exclusive_start"``, ``"inclusive_end"`` or ``"both"``; None: as sent."""

    max_range_days: str | None = None
    """``"N"``: a date range over N days is a 400 worded by ``range_message`` (the documented
    limits still apply)."""

    range_message: str | None = None
    """The wording of ``max_range_days``' 400, ``{days}`` for N; None: the documented one."""

    scroll_expiry: str | None = None
    """``"PAGES:STATUS:MESSAGE"``: after PAGES pages a scroll's next continuation answers
    STATUS with MESSAGE and the cursor is forgotten (e.g. ``"3:404:No search context..."``)."""

    empty_body: str | None = None
    """How a page without records is answered: ``"{}"``, ``"absent"`` (no records key) or
    ``"null"``."""

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
