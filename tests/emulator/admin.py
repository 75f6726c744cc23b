"""Admin, monitoring, user-preference and extended endpoints of the PX API (docs/api.md, "PX:
admin and monitoring"), their data generated from the tenant and kept in a ``PxAdmin``
(``emulator.admin``). [D] documented, [I] this emulator's reading.

* ``/v1/admin/subscription``: the first product holds every property key the records use.
* ``/v1/admin/monitoring/integrations``: one integration never succeeded.
* ``/v1/admin/monitoring/engagement_collisions``: a scroll like the events', ties planted on
  and beside UTC midnights; ``dateRangeStart`` inclusive and ``dateRangeEnd`` exclusive [I],
  ``pageNumber`` ignored [I], sorted by ``collision_sort_key`` [I].
* ``/v1/user/preferences/{identifyId}``: five nullable booleans [D]; an unknown user is a 404.
* ``/v2/feature_ext`` (outside ``/v1``) and ``/v1/engagement/extended``: the plain lists plus
  ``mappedElements`` and ``customEvents`` [D]; a 404 in ``Quirks.no_v2_feature_ext`` and
  ``Quirks.no_engagement_extended``.

The request log names paths under ``/v1`` without the prefix and ``/v2/feature_ext`` whole.
"""

from __future__ import annotations

import bisect
import copy
import functools
import random
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from .endpoints import ApiResponse, Params, PxApi, _int_param, _one, not_found
from .errors import ApiError, bad_request
from .scrolls import Snapshot
from .tenant import CUSTOM_EVENTS, DAY_MS, HOUR_MS, Tenant, uuid4

Record = dict[str, Any]
Handler = Callable[[PxApi, str, Params], ApiResponse]

SUBSCRIPTION_PATH = "/admin/subscription"
INTEGRATIONS_PATH = "/admin/monitoring/integrations"
COLLISIONS_PATH = "/admin/monitoring/engagement_collisions"
PREFERENCES_PREFIX = "/user/preferences/"
FEATURE_EXT_PATH = "/v2/feature_ext"
ENGAGEMENT_EXTENDED_PATH = "/engagement/extended"

MAX_COLLISION_RANGE_DAYS = 180  # [D] "The date range must be less than or equal to 180 days"
PREFERENCE_FIELDS = ("guidedTours", "onboardingBot", "productUpdates", "surveys", "trackUsage")
#: ``priorityRule`` values [I: the Swagger only says "Priority rule"].
PRIORITY_RULES = ("ENGAGEMENT_PRIORITY", "FIRST_QUALIFIED", "LAST_PUBLISHED")

# The attributes of the tenant's custom events.
_CUSTOM_EVENT_PROPERTIES = ("count", "plan", "success")
# (eventType, type) of a mapped element [D enums; the pairs are I].
_ELEMENT_KINDS = (
    ("CLICK", "TAG"), ("CLICK", "TEXT_ELEMENT"), ("CLICK", "EVENT"), ("LINK", "TAG"),
    ("FORM", "TAG"), ("PAGE_VIEW", "URL"), ("CUSTOM_EVENT", "CUSTOM_EVENT"), ("SCREEN", "SCREEN"),
)  # fmt: skip
_ELEMENT_STATES = ("ENABLED", "DISABLED", "DELETED")
_ELEMENT_WORDS = ("Export", "Save", "Invite", "Upload", "Search", "Share", "Delete", "Settings")
_ELEMENT_PAGES = ("/dashboard", "/reports", "/settings/billing", "/projects/new", "/inbox")
_INTEGRATIONS = (
    "Salesforce Account Sync", "Salesforce Contact Sync", "Gainsight CS Company Sync",
    "Gainsight CS Timeline Sync", "HubSpot Contacts", "Marketo Leads", "Segment Source",
    "Zendesk Tickets", "Amazon S3 Export", "Snowflake Export",
)  # fmt: skip
_INTEGRATION_ERRORS = (
    "Authentication failed: invalid OAuth token",
    "Connection timed out after 30000 ms",
    "Field 'Industry__c' does not exist on object Account",
    "Rate limit exceeded by the remote API (HTTP 429)",
)
_COMPANIES = ("Acme", "Globex", "Initech", "Hooli", "Aperture", "Vandelay", "Wonka")
_TIME_ZONES = ("America/Los_Angeles", "America/New_York", "Europe/Berlin", "Asia/Kolkata")
_KEY_PATTERN = re.compile(r"^AP-([A-Z0-9]+)-\d")


def collision_sort_key(record: Record) -> tuple[int, str, str]:
    """The order collisions are served in: ``(triggeredDate, engagementId, viewedByUser)``."""
    return (record["triggeredDate"], record["engagementId"], record["viewedByUser"])


def collision_key(record: Record) -> tuple[str, int, str]:
    """What identifies a collision (no id field): ``(engagementId, triggeredDate,
    viewedByUser)``, unique among the emulator's collisions."""
    return (record["engagementId"], record["triggeredDate"], record["viewedByUser"])


def _required_ms(params: Params, name: str) -> int:
    if _one(params, name) is None:
        raise bad_request(
            f"Required request parameter '{name}' for method parameter type Long is not present"
        )
    return _int_param(params, name, 0)


class PxAdmin:
    """The data and handlers of this module's endpoints, for one tenant. Thread-safe.

    Made next to the tenant (the server makes one per emulator); the clock it reads at
    construction anchors the collision history and the integration dates.
    """

    #: Paths (below ``/v1``) that are scrolls: a ``scrollId`` continues them.
    scroll_paths = frozenset({COLLISIONS_PATH})
    #: Whole paths outside ``/v1`` served here.
    root_paths = frozenset({FEATURE_EXT_PATH})

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.seed = tenant.seed
        #: The clock when made (epoch ms): integration dates are relative to it.
        self.made_ms = tenant.now_ms
        #: The first millisecond of the collision history.
        self.history_start_ms = self.made_ms - tenant.size.history_days * DAY_MS
        self._lock = threading.RLock()
        self._days: dict[int, list[Record]] = {}
        self._collisions: list[Record] = []
        self._collision_dates: list[int] = []
        self._collisions_until: int | None = None
        self._users_seen: tuple[int, int | None, int] | None = None
        self._identify_ids: frozenset[str] = frozenset()
        self._routes: dict[str, Handler] = {
            SUBSCRIPTION_PATH: self._serve_subscription,
            INTEGRATIONS_PATH: self._serve_integrations,
            COLLISIONS_PATH: self._serve_collisions,
            FEATURE_EXT_PATH: self._serve_feature_ext,
            ENGAGEMENT_EXTENDED_PATH: self._serve_engagement_extended,
        }

    def route(self, path: str) -> Handler | None:
        """The handler of ``path`` (below ``/v1``, or a whole ``/v2`` path), None if not ours."""
        handler = self._routes.get(path)
        if handler is not None:
            return handler
        if path.startswith(PREFERENCES_PREFIX):
            rest = path[len(PREFERENCES_PREFIX) :]
            if rest and "/" not in rest:
                return self._serve_preferences
        return None

    def _property_keys(self) -> list[str]:
        """Every property key the tenant's records use, sorted."""
        keys: set[str] = set()
        with self.tenant.lock:
            collections = self.tenant.collections
            for f in collections.get("/feature", ()):
                keys.add(f["propertyKey"])
            for path in ("/engagement", "/accounts"):
                for r in collections.get(path, ()):
                    keys.update(r.get("propertyKeys") or ())
        return sorted(k for k in keys if isinstance(k, str) and k)

    @property
    def subscription(self) -> Record:
        """The ``GET /v1/admin/subscription`` object (a copy)."""
        return copy.deepcopy(self._subscription)

    @functools.cached_property
    def _subscription(self) -> Record:
        rng = random.Random(f"px-subscription-{self.seed}")
        own = self._property_keys() or ["AP-EMULATOR0000-2"]
        match = _KEY_PATTERN.match(own[0])
        tag = match.group(1) if match else "EMULATOR0000"
        company = rng.choice(_COMPANIES)
        host = f"{company.lower()}.example.com"
        products = [
            {
                "description": f"The {company} web application",
                "name": f"{company} Web",
                "productKeys": [
                    {"channel": "WEB", "productKey": key, "url": f"https://app{i or ''}.{host}"}
                    for i, key in enumerate(own)
                ],
            },
            {
                "description": f"{company} for iOS and Android",
                "name": f"{company} Mobile",
                "productKeys": [
                    {"channel": "MOBILE", "productKey": f"AP-{tag}-3", "url": None},
                    {"channel": "MOBILE", "productKey": f"AP-{tag}-3-2", "url": None},
                ],
            },
        ]
        sub_id = uuid4(rng)
        return {
            "id": sub_id,
            "name": f"{company} Inc.",
            "iconUrl": f"https://cdn.{host}/px/icons/{sub_id}.png",
            "timeZone": rng.choice(_TIME_ZONES),
            "website": f"https://www.{host}",
            "description": f"Product analytics for {company} (emulated subscription)",
            "products": products,
        }

    @property
    def integrations(self) -> list[Record]:
        """The ``integrationStatuses`` of ``GET /v1/admin/monitoring/integrations`` (a copy)."""
        return copy.deepcopy(self._integrations)

    @functools.cached_property
    def _integrations(self) -> list[Record]:
        rng = random.Random(f"px-integrations-{self.seed}")
        names = rng.sample(_INTEGRATIONS, rng.randint(5, 6))
        never, failing = rng.sample(range(len(names)), 2)
        out = []
        for i, name in enumerate(names):
            if i == never:  # configured, never ran successfully
                status, last, error, processed = "DOWN", 0, _INTEGRATION_ERRORS[0], 0
            elif i == failing:  # worked, then broke
                status = "DOWN"
                last = self.made_ms - rng.randint(2 * DAY_MS, 20 * DAY_MS)
                error = rng.choice(_INTEGRATION_ERRORS[1:])
                processed = rng.randint(1, 50_000)
            else:
                status, error = "UP", None
                last = self.made_ms - rng.randint(HOUR_MS // 60, 6 * HOUR_MS)
                processed = rng.choice((0, rng.randint(1, 500), rng.randint(500, 2_000_000)))
            out.append(
                {
                    "integrationSyncName": name,
                    "currentStatus": status,
                    "lastSuccessfulDate": last,
                    "lastError": error,
                    "numberOfRecordsProcessed": processed,
                }
            )
        return out

    @property
    def collisions(self) -> list[Record]:
        """Every collision up to the tenant clock, sorted by ``collision_sort_key``."""
        with self._lock:
            self._refresh_collisions()
            return list(self._collisions)

    def collisions_in(
        self, start: int, end: int, *, start_excluded: bool = False, end_included: bool = False
    ) -> list[Record]:
        """The collisions with ``start <= triggeredDate < end``, in the order served: what
        ``dateRangeStart=start&dateRangeEnd=end`` returns.

        ``start_excluded`` makes it ``start < triggeredDate``, ``end_included``
        ``triggeredDate <= end``: the edges as taken in the world of ``Quirks.range_edges``.
        """
        with self._lock:
            self._refresh_collisions()
            dates = self._collision_dates
            lo = (bisect.bisect_right if start_excluded else bisect.bisect_left)(dates, start)
            hi = (bisect.bisect_right if end_included else bisect.bisect_left)(dates, end)
            return self._collisions[lo:hi]

    def _refresh_collisions(self) -> None:
        """(Re)build the sorted list if the clock moved since; days already made are kept."""
        now = self.tenant.now_ms
        if self._collisions_until == now:
            return
        with self.tenant.lock:
            engagements = [
                e for e in self.tenant.collections.get("/engagement", ()) if "IN_APP" in e["type"]
            ] or list(self.tenant.collections.get("/engagement", ()))
            users = [u["identifyId"] for u in self.tenant.collections.get("/users", ())]
        users = [u for u in users if u] or ["u-00000"]
        first_day = self.history_start_ms // DAY_MS * DAY_MS
        rows: list[Record] = []
        if engagements:
            for day in range(first_day, now + 1, DAY_MS):
                made = self._days.get(day)
                if made is None:
                    made = self._days[day] = self._make_day(day, engagements, users)
                rows.extend(r for r in made if self.history_start_ms <= r["triggeredDate"] <= now)
        rows.sort(key=collision_sort_key)
        self._collisions = rows
        self._collision_dates = [r["triggeredDate"] for r in rows]
        self._collisions_until = now

    def _make_day(self, day: int, engagements: list[Record], users: list[str]) -> list[Record]:
        """The collisions of the UTC day starting at ``day`` (fixed per seed and day)."""
        rng = random.Random(f"px-collisions-{self.seed}-{day}")
        weekend = (day // DAY_MS + 3) % 7 >= 5
        n = rng.choice((0, 1, 1, 2) if weekend else (1, 2, 3, 3, 4, 5))

        def one(at: int, engagement: Record | None = None, user: str | None = None) -> Record:
            e = engagement if engagement is not None else rng.choice(engagements)
            k = rng.randint(1, 3)
            drawn = rng.sample(engagements, min(len(engagements), k + 1))
            others = [o["name"] for o in drawn if o["id"] != e["id"]][:k]
            return {
                "engagementId": e["id"],
                "engagementName": e["name"],
                "propertyKey": rng.choice(e["propertyKeys"]),
                "engagementType": e["type"],
                "otherQualifiedEngagementNames": others,
                "views": rng.randint(1, 40),
                "priorityRule": rng.choice(PRIORITY_RULES),
                "triggeredDate": at,
                "viewedByUser": user if user is not None else rng.choice(users),
            }

        rows = [one(day + rng.randrange(DAY_MS)) for _ in range(n)]
        if rng.random() < 0.15:  # a burst exactly ON the UTC midnight
            rows += [one(day) for _ in range(rng.randint(2, 4))]
        if rng.random() < 0.08:  # a burst at midnight - 1 ms (the last ms of this day)
            rows += [one(day + DAY_MS - 1) for _ in range(rng.randint(2, 3))]
        if rng.random() < 0.15:  # a burst inside the day
            at = day + rng.randrange(DAY_MS)
            rows += [one(at) for _ in range(rng.randint(2, 3))]
        if rng.random() < 0.12:  # one engagement, one ms, several users
            at = day + rng.randrange(DAY_MS)
            e = rng.choice(engagements)
            for user in rng.sample(users, min(len(users), rng.randint(2, 3))):
                rows.append(one(at, e, user))
        unique: dict[tuple[str, int, str], Record] = {}
        for r in rows:
            unique.setdefault(collision_key(r), r)
        return list(unique.values())

    def _search_collisions(self, api: PxApi, params: Params) -> Snapshot:
        """The hits of a new collisions scroll (``[dateRangeStart, dateRangeEnd)``, its edges
        as ``Quirks.range_edges`` takes them)."""
        start = _required_ms(params, "dateRangeStart")
        end = _required_ms(params, "dateRangeEnd")
        too_long = f"Exceeded date range{MAX_COLLISION_RANGE_DAYS}days"
        api.check_range(start, end, MAX_COLLISION_RANGE_DAYS, too_long)
        excluded, included = api.quirks.edges
        hits = self.collisions_in(start, end, start_excluded=excluded, end_included=included)
        return Snapshot.of(hits)

    def preferences(self, identify_id: str) -> Record | None:
        """The preferences of the user with that ``identifyId``; None if there is none."""
        if not identify_id or identify_id not in self._known_identify_ids():
            return None
        rng = random.Random(f"px-preferences-{self.seed}-{identify_id}")
        if rng.random() < 0.08:  # never set any
            return dict.fromkeys(PREFERENCE_FIELDS)
        return {
            name: rng.choices((True, False, None), (60, 25, 15))[0] for name in PREFERENCE_FIELDS
        }

    def _known_identify_ids(self) -> frozenset[str]:
        # Locks, always in this order: self._lock, then tenant.lock.
        with self._lock, self.tenant.lock:
            users = self.tenant.collections.get("/users", [])
            version = getattr(users, "version", None)  # None: a plain list, always re-read
            seen = (id(users), version, len(users))
            if version is None or seen != self._users_seen:
                self._identify_ids = frozenset(u.get("identifyId") or "" for u in users)
                self._users_seen = seen
            return self._identify_ids

    def mapped_elements(self, feature_id: str) -> list[Record]:
        """The ``mappedElements`` of a feature (fixed per feature id; some are empty)."""
        rng = random.Random(f"px-mapped-elements-{self.seed}-{feature_id}")
        out = []
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 4))):
            event_type, kind = rng.choice(_ELEMENT_KINDS)
            word = rng.choice(_ELEMENT_WORDS)
            name = {
                "CLICK": f"Click: {word} button",
                "LINK": f"Link: {word}",
                "FORM": f"Form: {word} form",
                "PAGE_VIEW": f"Page: {rng.choice(_ELEMENT_PAGES)}",
                "CUSTOM_EVENT": rng.choice(CUSTOM_EVENTS),
                "SCREEN": f"{word} screen",
            }[event_type]
            out.append(
                {
                    "id": uuid4(rng),
                    "name": name,
                    "eventType": event_type,
                    "state": rng.choices(_ELEMENT_STATES, (85, 10, 5))[0],
                    "type": kind,
                }
            )
        return out

    def feature_ext(self, feature: Record) -> Record:
        """The ``/v2/feature_ext`` record of a ``/feature`` record: ``mappedElements`` added."""
        out = {k: v for k, v in feature.items() if k != "featureLabels"}
        out["mappedElements"] = self.mapped_elements(feature["id"])
        out["featureLabels"] = feature.get("featureLabels", [])
        return out

    def custom_events(self, engagement_id: str) -> list[Record]:
        """The ``customEvents`` of an engagement (fixed per engagement id; some are empty)."""
        rng = random.Random(f"px-custom-events-{self.seed}-{engagement_id}")
        if rng.random() < 0.4:
            return []
        names = rng.sample(CUSTOM_EVENTS, rng.randint(1, 3))
        return [
            {
                "name": name,
                "properties": sorted(rng.sample(_CUSTOM_EVENT_PROPERTIES, rng.randint(0, 3))),
            }
            for name in names
        ]

    def engagement_extended(self, engagement: Record) -> Record:
        """The ``/engagement/extended`` record of an ``/engagement`` record."""
        return {**engagement, "customEvents": self.custom_events(engagement["id"])}

    def _serve_subscription(self, _api: PxApi, _path: str, _params: Params) -> ApiResponse:
        return ApiResponse(200, self.subscription)

    def _serve_integrations(self, _api: PxApi, _path: str, _params: Params) -> ApiResponse:
        return ApiResponse(200, {"integrationStatuses": self.integrations})

    def _serve_collisions(self, api: PxApi, path: str, params: Params) -> ApiResponse:
        return api.scroll(path, params, search=lambda _path, q: self._search_collisions(api, q))

    def _serve_preferences(self, _api: PxApi, path: str, _params: Params) -> ApiResponse:
        identify_id = unquote(path[len(PREFERENCES_PREFIX) :])
        found = self.preferences(identify_id)
        if found is None:
            raise ApiError(404, f"User was not found for parameters {{id={identify_id}}}")
        return ApiResponse(200, found)

    def _serve_feature_ext(self, api: PxApi, path: str, params: Params) -> ApiResponse:
        if api.quirks.no_v2_feature_ext:
            raise not_found(path)
        return api.paged(path, params, collection="/feature", extend=self.feature_ext)

    def _serve_engagement_extended(self, api: PxApi, path: str, params: Params) -> ApiResponse:
        if api.quirks.no_engagement_extended:
            raise not_found(path)
        return api.paged(path, params, collection="/engagement", extend=self.engagement_extended)
