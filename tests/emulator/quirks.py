"""Behaviours of the real API, as switchable flags: documented quirks and undocumented worlds.

* **documented quirks** default to what docs/api.md says the live API does;
* **worlds** (``entity_sort_ignored`` and below) play the API where the docs are silent; off
  (False/None) is the documented world. A valued world is a ``str``, read on each request.

Not flags, as specified: a scroll keeps one ``scrollId``, set on the last page too; a page
cut by the ``truncate`` fault has moved the cursor; events without a range are the last day;
ranges over 190 days (collisions 180) are a 400; a ``pageSize`` over the maximum is a 400;
without ``sort`` a scroll comes in primary-key order.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

#: The documented wording of a range over the limit (docs/api.md, "PX: event windows").
DOCUMENTED_RANGE_MESSAGE = "Exceeded date range{days}days"
#: ``range_edges`` values -> (lower bound excluded, upper bound included).
RANGE_EDGE_MODES = {
    "exclusive_start": (True, False),
    "inclusive_end": (False, True),
    "both": (True, True),
}


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
    """``/users`` and ``/accounts`` ignore ``sort``: one stable order (``scrambled``)."""

    event_sort_ignored: bool = False
    """The event endpoints ignore ``sort``: one stable order (``scrambled`` by ``eventId``)."""

    entity_filter_refused: bool = False
    """``/users`` and ``/accounts`` refuse (400) a scroll opened with a ``filter`` naming
    ``lastModifiedDate``. Wins over ``entity_filter_ignored``."""

    entity_filter_ignored: bool = False
    """``/users`` and ``/accounts`` ignore ``filter`` (a malformed one is still a 400)."""

    renamed_records_key: str | None = None
    """Every list endpoint answers with its records under this key (e.g. ``"items"``)."""

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
    """How a date range's edges are taken (events, survey responses, collisions): a
    ``RANGE_EDGE_MODES`` name; None: as sent."""

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

    # -- readings of the valued worlds -----------------------------------------------------

    def refusal_status(self, path: str) -> int | None:
        """The HTTP status ``refused_paths`` refuses ``path`` with; None: served."""
        prefixes = [p.strip().rstrip("/") for p in (self.refused_paths or "").split(",")]
        if not any(p and (path == p or path.startswith(f"{p}/")) for p in prefixes):
            return None
        return int(self.refused_status or 403)

    @property
    def edges(self) -> tuple[bool, bool]:
        """Whether a range's lower bound excludes and its upper bound includes its own
        millisecond (``range_edges``)."""
        return RANGE_EDGE_MODES[self.range_edges] if self.range_edges else (False, False)

    def range_refusal(self, days: int) -> str:
        """The message of a range over ``days`` (``range_message``, or the documented one)."""
        return (self.range_message or DOCUMENTED_RANGE_MESSAGE).replace("{days}", str(days))

    @property
    def scroll_expiry_rule(self) -> tuple[int, int, str] | None:
        """``(pages, status, message)`` of ``scroll_expiry``; None: scrolls never expire."""
        if self.scroll_expiry is None:
            return None
        pages, status, message = self.scroll_expiry.split(":", 2)
        return int(pages), int(status), message


def as_int(value: str | None) -> int | None:
    """A valued world's number (``page_cap``, ``max_page_size``, ``max_range_days``); None: off."""
    return None if value is None else int(value)


def scrambled(key: object) -> int:
    """A stable hash of a record's key: the order of a world that ignores the asked one."""
    return zlib.crc32(str(key).encode())
