"""The PX REST API read endpoints, one family per section, without any HTTP plumbing.

``PxApi.handle(path, params)`` takes the path below ``/v1`` (or the whole path outside it:
``/v2/feature_ext``) and the parsed query string, and returns an ``ApiResponse``. Families,
as docs/api.md describes them: scrolls (``/users``, ``/accounts``, ``/events/*``,
``/survey/responses``), event date windows (the filter's ``date`` conditions; none: the last
day), page-number lists (``/feature``, ``/segment``, ``/engagement``, ``/articles``,
``/kcbot``), attribute models (bare arrays), and ``admin.py``'s.

Event searches use the date index (``index.py``) where they can, else filter and sort every
record; both give the same records in the same order. Each world of ``quirks.py`` acts in one
place: ``refuse``, ``page_size``, ``list_body``, ``event_window``, ``check_range``, ``scroll``.
Parameter names are case-sensitive and unknown ones ignored, so a miscased ``scrollID``
restarts the scroll (docs/api.md, "PX: errors and rate limits").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from msgspec.json import encode

from .drift import Drift, drift_body, stream_of
from .errors import ApiError, bad_request
from .filters import Condition, SortKey, matches, parse_filters, parse_sort, sort_records
from .filters import parse_timestamp as _parse_timestamp
from .index import EventIndexes
from .quirks import Quirks, as_int, scrambled
from .scrolls import ScrollCursor, ScrollStore, Snapshot
from .tenant import ATTRIBUTE_PATHS, DAY_MS, EVENT_PATHS, PAGED_PATHS, SCROLL_ENTITY_PATHS, Tenant

if TYPE_CHECKING:
    from .admin import PxAdmin

Params = dict[str, list[str]]
Record = dict[str, Any]

#: Every list endpoint, by the path below ``/v1`` or the whole path outside it
#: (``/v2/feature_ext``): its records key (docs/api.md, "PX: records keys") and its maximum
#: ``pageSize`` (vendor OpenAPI maxima, "PX: scroll pagination"). Attribute models have neither.
LISTS: dict[str, tuple[str, int]] = {
    "/users": ("users", 1000),
    "/accounts": ("accounts", 1000),
    "/events/custom": ("customEvents", 1000),
    "/events/email": ("results", 1000),
    "/events/engagementView": ("results", 1000),
    "/events/feature_match": ("featureMatchEvents", 1000),
    "/events/formSubmit": ("results", 1000),
    "/events/identify": ("identifyEvents", 1000),
    "/events/lead": ("results", 1000),
    "/events/pageView": ("results", 1000),
    "/events/segment_match": ("featureMatchEvents", 1000),  # sic: feature matches' key (§5.9)
    "/events/session": ("sessionInitializedEvents", 1000),
    "/survey/responses": ("results", 1000),
    "/feature": ("features", 200),
    "/segment": ("segments", 200),
    "/engagement": ("engagements", 500),
    "/articles": ("articleExternalViewList", 500),
    "/kcbot": ("kcList", 500),
    "/admin/monitoring/engagement_collisions": ("engagementCollisions", 1000),
    "/v2/feature_ext": ("features", 200),
    "/engagement/extended": ("engagements", 500),
}
RECORDS_KEYS = {path: key for path, (key, _) in LISTS.items()}
MAX_PAGE_SIZE = {path: size for path, (_, size) in LISTS.items()}
SCROLL_PATHS = (*SCROLL_ENTITY_PATHS, *EVENT_PATHS)
PRIMARY_KEYS: dict[str, str] = {
    "/users": "aptrinsicId",
    "/accounts": "id",
    **dict.fromkeys(EVENT_PATHS, "eventId"),
}
DEFAULT_PAGE_SIZE = 25  # docs/api.md, "PX: scroll pagination"
MAX_EVENT_RANGE_DAYS = 190  # docs/api.md, "PX: event windows"
DEFAULT_EVENT_WINDOW_MS = DAY_MS  # docs/api.md, "PX: event windows": no range -> the last day
_DATE_ASCENDING = [SortKey("date")]


@dataclass
class ApiResponse:
    """What the API answers: status and JSON-able body (``cursor`` if a scroll page)."""

    status: int
    body: Any
    cursor: ScrollCursor | None = None
    records_json: list[bytes] | None = None
    """The JSON of each record of a scroll page, when known: the body's list, pre-encoded."""

    def encode(self) -> bytes:
        """The body as compact UTF-8 JSON (``encoding.encode``), reusing ``records_json``."""
        if self.records_json is None or not isinstance(self.body, dict):
            return encode(self.body)
        parts = [b"{"]
        for key, value in self.body.items():
            if len(parts) > 1:
                parts.append(b",")
            parts += (encode(key), b":")
            if isinstance(value, list):  # the records: the only list of a scroll page
                parts += (b"[", b",".join(self.records_json), b"]")
            else:
                parts.append(encode(value))
        parts.append(b"}")
        return b"".join(parts)


def _one(params: Params, name: str) -> str | None:
    """The first value of a scalar param; an empty value (``scrollId=``) counts as absent."""
    values = params.get(name)
    return values[0] if values and values[0] != "" else None


def not_found(path: str) -> ApiError:
    """The 404 of a path no endpoint serves (``path`` below ``/v1``, or a whole ``/v2`` path)."""
    full = path if path.startswith("/v2/") else f"/v1{path}"
    return ApiError(404, f"No handler found for GET {full}")


def _int_param(params: Params, name: str, default: int) -> int:
    raw = _one(params, name)
    if raw is None:
        return default
    return int(raw)  # not a number: a ValueError, which ``PxApi.handle`` answers 400


class PxApi:
    """The read API of one tenant. Thread-safe."""

    def __init__(
        self, tenant: Tenant, quirks: Quirks, scrolls: ScrollStore, admin: PxAdmin
    ) -> None:
        self.tenant = tenant
        self.quirks = quirks
        self.scrolls = scrolls
        self.indexes = EventIndexes(tenant)
        #: The data and handlers of the admin, monitoring and extended endpoints (``admin.py``).
        self.admin = admin
        #: What ``Quirks.drifted_types`` sent: stream (``drift.stream_of``) -> record key
        #: (``drift.record_key``) -> its ``Drift``s, for every drifted record served so far.
        self.drifted: dict[str, dict[Hashable, list[Drift]]] = {}
        self._drifted_lock = threading.Lock()

    def handle(self, path: str, params: Params) -> ApiResponse:
        """Answer ``GET /v1<path>?<params>``; errors become ``externalapierror`` responses. In
        the world of ``Quirks.drifted_types`` a 200's records are drifted and logged."""
        response = self._answer(path, params)
        if response.status != 200 or not self.quirks.drifted_types:
            return response
        body, drifts = drift_body(path, response.body)
        stream, _ = stream_of(path)
        if stream is None or not drifts:
            return response
        with self._drifted_lock:
            self.drifted.setdefault(stream, {}).update(drifts)
        return ApiResponse(200, body, response.cursor)

    def _answer(self, path: str, params: Params) -> ApiResponse:
        try:
            self.refuse(path)
            if path in SCROLL_PATHS:
                return self.scroll(path, params)
            if path in PAGED_PATHS:
                return self.paged(path, params)
            if path in ATTRIBUTE_PATHS:
                return self.attributes(path)
            handler = self.admin.route(path)
            if handler is not None:
                return handler(self, path, params)
            raise not_found(path)
        except ApiError as e:
            return ApiResponse(e.status, e.body)
        except ValueError as e:  # an unparsable parameter
            return ApiResponse(400, bad_request(str(e)).body)

    def refuse(self, path: str) -> None:
        """Refuse ``path`` if ``Quirks.refused_paths`` names it, as a tenant without the product
        or a key without the right would be: 403 ``FORBIDDEN``, or ``Quirks.refused_status``
        (404: the "No handler found" of a path not served)."""
        status = self.quirks.refusal_status(path)
        if status is None:
            return
        if status == 404:
            raise not_found(path)
        full = path if path.startswith("/v2/") else f"/v1{path}"
        raise ApiError(status, f"Access is denied to GET {full} for this subscription or key")

    def serves_root_path(self, path: str) -> bool:
        """Whether ``path`` (a whole path outside ``/v1``, e.g. ``/v2/feature_ext``) is ours."""
        return path in self.admin.root_paths

    def continuation_id(self, path: str, params: Params) -> str | None:
        """The ``scrollId`` if this request continues a scroll, else None."""
        scrolled = path in SCROLL_PATHS or path in self.admin.scroll_paths
        return _one(params, "scrollId") if scrolled else None

    def request_key(self, path: str, params: Params) -> Hashable:
        """Identity of a request for duplicate blocking: path, query, and cursor position."""
        query = tuple(sorted((k, tuple(v)) for k, v in params.items()))
        scroll_id = self.continuation_id(path, params)
        position = self.scrolls.position(scroll_id) if scroll_id else None
        return (path, query, position)

    @staticmethod
    def invalid_scroll(scroll_id: str) -> ApiError:
        """The 400 for an unknown or expired ``scrollId``."""
        return bad_request(f"Invalid scrollId '{scroll_id}': unknown or expired scroll")

    def records_key(self, path: str) -> str:
        """The key of a list endpoint's records: ``RECORDS_KEYS``, or the world's
        ``Quirks.renamed_records_key``."""
        renamed = self.quirks.renamed_records_key
        return RECORDS_KEYS[path] if renamed is None else renamed

    def list_body(self, path: str, page: list[Record], **paging: Any) -> dict[str, Any]:
        """The envelope of one list page: the records under ``records_key(path)``, then
        ``paging``; an empty page in the form ``Quirks.empty_body`` gives."""
        form = self.quirks.empty_body if not page else None
        if form == "{}":
            return {}
        if form == "absent":
            return dict(paging)
        return {self.records_key(path): None if form == "null" else page, **paging}

    def page_size(self, path: str, params: Params, default: int = DEFAULT_PAGE_SIZE) -> int:
        """The records a page holds: ``pageSize`` within [1, max] or a 400 naming the maximum
        (docs/api.md, "PX: scroll pagination"), and at most ``Quirks.page_cap`` in its world,
        which nothing in the answer shows."""
        size = _int_param(params, "pageSize", default)
        maximum = min(MAX_PAGE_SIZE[path], as_int(self.quirks.max_page_size) or MAX_PAGE_SIZE[path])
        if size < 1 or size > maximum:
            raise bad_request(f"pageSize must be between 1 and {maximum} for {path}, got {size}")
        cap = as_int(self.quirks.page_cap)
        return size if cap is None else min(size, cap)

    # -- scroll endpoints (docs/api.md, "PX: scroll pagination") ------------------------------

    def scroll(
        self, path: str, params: Params, search: Callable[[str, Params], Snapshot] | None = None
    ) -> ApiResponse:
        """One page of a scroll, opened by ``search`` (default: ``self.search``) when there is
        no ``scrollId``; in the world of ``Quirks.scroll_expiry`` a cursor that has served its
        pages is refused and forgotten."""
        scroll_id = self.continuation_id(path, params)
        if scroll_id is None:
            size = self.page_size(path, params)
            cursor = self.scrolls.open(path, (search or self.search)(path, params), size)
        else:
            found = self.scrolls.get(scroll_id)
            if found is None or found.path != path:
                raise self.invalid_scroll(scroll_id)
            cursor = found
            expiry = self.quirks.scroll_expiry_rule
            if expiry is not None and cursor.pages_served >= expiry[0]:
                self.scrolls.expire(scroll_id)
                raise ApiError(expiry[1], expiry[2])
            # filter/sort repeated on a continuation are ignored: the snapshot is fixed.
            size = self.page_size(path, params, default=cursor.page_size)
        start, stop = self.scrolls.next_page(cursor, size)
        snapshot = cursor.snapshot
        page = snapshot.records[start:stop]
        if not isinstance(page, list):
            page = list(page)
        records_json = None
        if snapshot.index is not None:
            records_json = snapshot.index.encoded_range(start, stop)
        # The scrollId stays set on the last page and on empty pages after it (§2a).
        paging: dict[str, Any] = {"scrollId": cursor.scroll_id}
        if not self.quirks.omit_total_hits:
            paging["totalHits"] = cursor.total_hits
        return ApiResponse(200, self.list_body(path, page, **paging), cursor, records_json)

    def search(self, path: str, params: Params) -> Snapshot:
        """Filter and sort a snapshot of the collection (the hits of a new scroll)."""
        branches = parse_filters(params.get("filter", []))
        keys = parse_sort(params.get("sort", []))
        if path in EVENT_PATHS:
            branches = self.event_window(branches)
            found = (
                None if self.quirks.event_sort_ignored else self.search_index(path, branches, keys)
            )
            if found is not None:
                return found
        if path in SCROLL_ENTITY_PATHS:
            branches = self.entity_filter(branches)
        with self.tenant.lock:
            records = list(self.tenant.collections[path])
        hits = [r for r in records if matches(r, branches)]
        pk = PRIMARY_KEYS[path]
        if (path in SCROLL_ENTITY_PATHS and self.quirks.entity_sort_ignored) or (
            path in EVENT_PATHS and self.quirks.event_sort_ignored
        ):
            return Snapshot.of(sorted(hits, key=lambda r: scrambled(r.get(pk))))
        # Without sort: primary-key order, i.e. NOT date order for events (quirks.py).
        return Snapshot.of(sort_records(hits, keys, pk))

    def entity_filter(self, branches: list[list[Condition]]) -> list[list[Condition]]:
        """The filter ``/users`` and ``/accounts`` apply, in the worlds of ``quirks.py``:
        refused if it names ``lastModifiedDate`` (``entity_filter_refused``), dropped
        (``entity_filter_ignored``), else as asked."""
        named = any(c.field == "lastModifiedDate" for branch in branches for c in branch)
        if named and self.quirks.entity_filter_refused:
            raise bad_request("Filtering on lastModifiedDate is not supported")
        return [] if self.quirks.entity_filter_ignored else branches

    def search_index(
        self, path: str, branches: list[list[Condition]], keys: list[SortKey]
    ) -> Snapshot | None:
        """The hits of a one-branch event search through the date index (None: an OR).

        The date conditions bound a range of the index, the others are tested on it; the
        index's ``(date, eventId)`` order is what ``sort=date`` asks for."""
        if len(branches) != 1:
            return None
        index = self.indexes.get(path)
        by_date = keys == _DATE_ASCENDING
        start, stop, rest = index.bounds(branches[0])
        if by_date and not rest:
            return Snapshot(index.records, start, stop, index)
        hits = [r for r in index.records[start:stop] if all(c.matches(r) for c in rest)]
        return Snapshot.of(hits if by_date else sort_records(hits, keys, PRIMARY_KEYS[path]))

    # -- event date windows (docs/api.md, "PX: event windows") --------------------------------

    def event_window(self, branches: list[list[Condition]]) -> list[list[Condition]]:
        """Bound every OR branch of an events filter by its ``date`` conditions (docs/api.md,
        "PX: event windows"): no lower bound, the last day before the upper one (or now); over
        190 days, or ``Quirks.max_range_days``, a 400 (the bounds compared as given). Each
        condition is taken as ``edge_taken`` says."""
        now_ms = self.tenant.now_ms
        bounded = []
        for conditions in branches or [[]]:
            branch = [self.edge_taken(c) for c in conditions]
            lower: int | None = None
            upper: int | None = None
            for c in branch:
                if c.field != "date" or c.op not in ("==", "<", "<=", ">", ">="):
                    continue
                ms = _parse_timestamp(c.value)
                if ms is None:
                    raise bad_request(f"Invalid date '{c.value}': use epoch ms or ISO-8601")
                if c.op in ("==", ">", ">="):
                    lower = ms if lower is None else max(lower, ms)
                if c.op in ("==", "<", "<="):
                    upper = ms if upper is None else min(upper, ms)
            end = now_ms if upper is None else upper
            if lower is None:
                lower = end - DEFAULT_EVENT_WINDOW_MS
                branch = [*branch, Condition.parse(f"date>={lower}")]
            documented = (
                f"The date range may not exceed {MAX_EVENT_RANGE_DAYS} days "
                f"(requested {(end - lower) / DAY_MS:.2f} days)"
            )
            self.check_range(lower, end, MAX_EVENT_RANGE_DAYS, documented)
            bounded.append(branch)
        return bounded

    def edge_taken(self, condition: Condition) -> Condition:
        """A ``date`` condition as the API takes it in the world of ``Quirks.range_edges``: a
        lower bound ``>=`` as ``>`` (``exclusive_start``), an upper bound ``<`` as ``<=``
        (``inclusive_end``); any other condition as sent."""
        if condition.field != "date":
            return condition
        lower_excluded, upper_included = self.quirks.edges
        if condition.op == ">=" and lower_excluded:
            return Condition.parse(f"date>{condition.value}")
        if condition.op == "<" and upper_included:
            return Condition.parse(f"date<={condition.value}")
        return condition

    def check_range(self, start_ms: int, end_ms: int, days: int, too_long: str) -> None:
        """Refuse (400) a date range over the endpoint's documented ``days`` (worded
        ``too_long``), or over ``Quirks.max_range_days`` in its world (worded by
        ``Quirks.range_message``)."""
        if end_ms - start_ms > days * DAY_MS:
            raise bad_request(too_long)
        limit = as_int(self.quirks.max_range_days)
        if limit is not None and end_ms - start_ms > limit * DAY_MS:
            raise bad_request(self.quirks.range_refusal(limit))

    # -- page-number endpoints (docs/api.md, "PX: page-number pagination") --------------------

    def paged(
        self,
        path: str,
        params: Params,
        *,
        collection: str | None = None,
        extend: Callable[[Record], Record] | None = None,
    ) -> ApiResponse:
        """One page by ``pageNumber`` (0-based) of ``collection`` (default: ``path``) by
        ``id``, each record served as ``extend`` makes it; past the end, an empty last page."""
        size = self.page_size(path, params)
        number = _int_param(params, "pageNumber", 0)
        if number < 0:
            raise bad_request(f"pageNumber must be >= 0, got {number}")
        with self.tenant.lock:
            records = sorted(self.tenant.collections[collection or path], key=lambda r: r["id"])
        start = number * size
        page = records[start : start + size]
        if extend is not None:
            page = [extend(r) for r in page]
        paging: dict[str, Any] = {"pageNumber": number}
        if not self.quirks.omit_is_last_page:
            paging["isLastPage"] = start + size >= len(records)
        return ApiResponse(200, self.list_body(path, page, **paging))

    # -- attribute models (docs/api.md, "PX: attribute models") -------------------------------

    def attributes(self, path: str) -> ApiResponse:
        """The attribute definitions as a bare JSON array (the response root)."""
        with self.tenant.lock:
            return ApiResponse(200, list(self.tenant.collections[path]))
