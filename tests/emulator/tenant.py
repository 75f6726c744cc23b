"""Deterministic data for one emulated Gainsight PX tenant (docs/api.md, "PX: users and
accounts", "PX: event windows").

``Tenant.generate(seed)`` builds every collection from one seeded RNG: same seed, size and
clock, same records. Collections are keyed by API path and hold plain dicts in the API's
field names and types; each is a ``Collection``, which counts its changes for the date index,
and event collections are sorted by ``(date, eventId)``.

Data traps a tap must survive: users and accounts sharing one ``lastModifiedDate``
millisecond, zero visit dates, null or partial ``customAttributes``, anonymous users with an
empty ``identifyId``; quiet days without events, groups of events sharing one millisecond on
and just before a UTC midnight, email events without ``sessionId`` and ``accountId``.

The clock is fixed (2026-11-20T12:00:00Z) unless given. ``advance()`` replaces
records by modified copies, never in place: scroll snapshots and cached JSON stay right.
"""

from __future__ import annotations

import contextlib
import gc
import math
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

Record = dict[str, Any]

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

#: The default clock: fixed so generated data is reproducible.
DEFAULT_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)

#: Scroll-paginated entity collections (docs/api.md, "PX: users and accounts").
SCROLL_ENTITY_PATHS = ("/users", "/accounts")
#: Page-number collections (docs/api.md, "PX: page-number pagination").
PAGED_PATHS = ("/feature", "/segment", "/engagement", "/articles", "/kcbot")
#: Attribute-model collections, served as a bare JSON array (docs/api.md, "PX: attribute models").
ATTRIBUTE_PATHS = ("/admin/model/user/attributes", "/admin/model/account/attributes")
#: Event collections -> the ``eventType`` value their records carry (docs/api.md, "PX: event
# windows").
EVENT_TYPES: dict[str, str] = {
    "/events/custom": "CUSTOM",
    "/events/email": "EMAIL",
    "/events/engagementView": "ENGAGEMENT_VIEW",
    "/events/feature_match": "FEATURE_MATCH",
    "/events/formSubmit": "FORM_SUBMIT",
    "/events/identify": "IDENTIFY",
    "/events/lead": "LEAD",
    "/events/pageView": "PAGE_VIEW",
    "/events/segment_match": "SEGMENT_MATCH",
    "/events/session": "SESSION_INITIALIZED",
    "/survey/responses": "SURVEY_RESPONSE",
}
EVENT_PATHS = tuple(EVENT_TYPES)


def to_ms(dt: datetime) -> int:
    """Epoch milliseconds of a tz-aware datetime."""
    return (dt - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """UTC datetime of epoch milliseconds."""
    return _EPOCH + timedelta(milliseconds=ms)


@dataclass(frozen=True)
class TenantSize:
    """How much data to generate: ``events_per_day`` is the mean per event type, times the
    type's factor in ``event_weights`` (1.0 if absent); same-millisecond groups come on top."""

    users: int = 3000
    accounts: int = 300
    features: int = 450
    segments: int = 250
    engagements: int = 520
    articles: int = 510
    kc_bots: int = 40
    history_days: int = 400
    events_per_day: float = 20
    event_weights: Mapping[str, float] = field(default_factory=dict, hash=False)

    @classmethod
    def small(cls) -> TenantSize:
        """Fast preset for tests; every page-number collection still spans > 1 max page."""
        return cls(
            users=1200,
            accounts=150,
            features=230,
            segments=210,
            engagements=510,
            articles=505,
            kc_bots=12,
            history_days=400,
            events_per_day=4,
        )

    @classmethod
    def demo(cls) -> TenantSize:
        """The demo-sized tenant (the default)."""
        return cls()


# -- value pools ---------------------------------------------------------------------------

_FIRST = (
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Mia", "Lucas", "Amelia", "Ethan", "Harper",
    "Mateo", "Sofia", "Yuki", "Chloé", "Jürgen", "Ana", "Priya", "Omar", "Zoë", "Kenji",
    "Ingrid", "Diego", "Fatima", "Lars", "Nia", "Pavel", "Hana", "Tomás", "Ada", "Ravi",
)  # fmt: skip
_LAST = (
    "Smith", "Garcia", "Müller", "Rossi", "Kowalski", "Nguyen", "O'Brien", "Dubois", "Silva",
    "Tanaka", "Johansson", "Patel", "Kim", "Novak", "Haddad", "Jensen", "López", "Brown",
    "Ivanova", "Okafor", "Schmidt", "Costa", "Yilmaz", "Walker", "Chen",
)  # fmt: skip
_TITLES = ("Engineer", "Product Manager", "Analyst", "Director", "VP Sales", "Designer", "CTO",
           "Support Lead", "Marketing Manager", None)  # fmt: skip
_ROLES = ("admin", "member", "viewer", "owner", None)
_COMPANY_A = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell",
              "Cyberdyne", "Soylent", "Wonka", "Aperture", "Vandelay", "Pied Piper",
              "Oscorp")  # fmt: skip
_COMPANY_B = ("Corp", "Labs", "GmbH", "Inc", "Systems", "AG", "Group", "Ltd", "SA", "Partners")
_INDUSTRIES = ("Software", "Finance", "Healthcare", "Retail", "Manufacturing", "Education",
               "Media", None)  # fmt: skip
_PLANS = ("free", "starter", "pro", "enterprise")
# The fields of a place, then its latitude and longitude.
_PLACE_FIELDS = ("countryName", "countryCode", "stateName", "stateCode", "city", "postalCode",
                 "continent", "regionName", "timeZone")  # fmt: skip
_PLACES = (
    ("United States", "US", "California", "CA", "San Francisco", "94105", "North America",
     "West", "America/Los_Angeles", 37.79, -122.39),
    ("United States", "US", "New York", "NY", "New York", "10001", "North America", "East",
     "America/New_York", 40.75, -73.99),
    ("United States", "US", "Texas", "TX", "Austin", "73301", "North America", "South",
     "America/Chicago", 30.27, -97.74),
    ("Germany", "DE", "Bavaria", "BY", "München", "80331", "Europe", "Bayern",
     "Europe/Berlin", 48.14, 11.58),
    ("France", "FR", "Île-de-France", "IDF", "Paris", "75001", "Europe", "Île-de-France",
     "Europe/Paris", 48.86, 2.35),
    ("United Kingdom", "GB", "England", "ENG", "London", "EC1A 1BB", "Europe", "England",
     "Europe/London", 51.51, -0.13),
    ("Japan", "JP", "Tokyo", "13", "Tokyo", "100-0001", "Asia", "Kanto", "Asia/Tokyo",
     35.68, 139.69),
    ("India", "IN", "Karnataka", "KA", "Bengaluru", "560001", "Asia", "South",
     "Asia/Kolkata", 12.97, 77.59),
    ("Brazil", "BR", "São Paulo", "SP", "São Paulo", "01000-000", "South America",
     "Southeast", "America/Sao_Paulo", -23.55, -46.63),
    ("Australia", "AU", "New South Wales", "NSW", "Sydney", "2000", "Oceania", "NSW",
     "Australia/Sydney", -33.87, 151.21),
    ("Canada", "CA", "Ontario", "ON", "Toronto", "M5H", "North America", "Ontario",
     "America/Toronto", 43.65, -79.38),
    ("Poland", "PL", "Masovia", "MZ", "Warszawa", "00-001", "Europe", "Mazowieckie",
     "Europe/Warsaw", 52.23, 21.01),
)  # fmt: skip
_STREETS = ("1 Main St", "221B Baker St", "Hauptstraße 5", None, "10 Rue de Rivoli", None)
_AGENT_FIELDS = ("browserType", "browserVersion", "device", "platformType", "platformVersion",
                 "rawUserAgent")  # fmt: skip
_BROWSERS = (
    ("CHROME", "131.0", "DESKTOP", "MAC_OS", "14.5",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"),
    ("FIREFOX", "133.0", "DESKTOP", "WINDOWS", "10",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"),
    ("SAFARI", "18.1", "MOBILE", "IOS", "18.1",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"),
    ("EDGE", "131.0", "DESKTOP", "WINDOWS", "11",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Edg/131.0"),
)  # fmt: skip
_HOSTS = ("app.example.com", "www.example.com", "docs.example.com")
_PAGES = (
    ("/dashboard", "Dashboard"), ("/reports", "Reports"), ("/reports/42", "Q3 revenue report"),
    ("/settings/profile", "Profile settings"), ("/settings/billing", "Billing"),
    ("/projects", "Projects"), ("/projects/new", "New project"), ("/search", "Search"),
    ("/admin/users", "User admin"), ("/pricing", "Pricing — Example"), ("/", "Home"),
    ("/help/getting-started", "Getting started"), ("/inbox", "Inbox (3)"),
)  # fmt: skip
_QUERIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("", {}), ("q=revenue", {"q": "revenue"}), ("page=2&size=50", {"page": "2", "size": "50"}),
    ("tab=members&tab=roles", {"tab": ["members", "roles"]}), ("utm_source=email",
     {"utm_source": "email"}),
)  # fmt: skip
_REFERRERS = ("", "https://www.google.com/", "https://app.example.com/dashboard",
              "https://mail.example.org/", None)  # fmt: skip
_LANGS = (["en-US", "en"], ["de-DE", "de", "en"], ["fr-FR"], ["ja-JP", "en"], ["pt-BR"])
_SCREENS = ((1080, 1920), (900, 1440), (1440, 2560), (844, 390), (768, 1024))
CUSTOM_EVENTS = ("Report Exported", "Invite Sent", "Dashboard Created", "File Uploaded",
                  "Integration Connected", "Search Performed", "Checkout Completed",
                  "Comment Added")  # fmt: skip
_EMAIL_TRACK = ("EMAIL_TRACK_DELIVERED", "EMAIL_TRACK_OPEN", "EMAIL_TRACK_CLICK",
                "EMAIL_TRACK_PROCESSED", "EMAIL_TRACK_BOUNCE", "EMAIL_TRACK_DEFERRED",
                "EMAIL_TRACK_DROPPED", "EMAIL_TRACK_UNSUBSCRIBE",
                "EMPTY_EMAIL_TRACK_TYPE")  # fmt: skip
_EMAIL_TRACK_WEIGHTS = (30, 25, 15, 20, 3, 2, 1, 1, 1)
_CONTENT_TYPES = ("IN_APP_DIALOG", "IN_APP_GUIDE", "IN_APP_CAROUSEL")
_SURVEY_TYPES = ("IN_APP_SURVEY_NPS", "IN_APP_SURVEY_CES", "IN_APP_SURVEY_BOOLEAN",
                 "IN_APP_SURVEY_RATING")  # fmt: skip
_COMMENTS = ("", "Love it", "Too slow on big reports", "Ça marche bien 👍", "Need SSO",
             "Please add dark mode", None)  # fmt: skip
_ENGAGEMENT_TYPES = ("EMAIL", "IN_APP_DIALOG", "IN_APP_CAROUSEL", "IN_APP_GUIDE",
                     "IN_APP_NOTIFICATION", "OUT_BOUND_EMAIL", "IN_APP_NPS_SURVEY",
                     "IN_APP_CES_SURVEY", "IN_APP_RATING_SURVEY", "IN_APP_BOOLEAN_SURVEY",
                     "IN_APP_MULTIPLE_QUESTION_SURVEY")  # fmt: skip
_ENGAGEMENT_STATES = ("IN_PROGRESS", "STARTED", "PAUSED", "FAILED", "EDITING", "COMPLETED")
_FEATURE_WORDS = ("Reports", "Export", "Dashboards", "Billing", "Search", "Settings",
                  "Invite", "Projects", "Filters", "Comments", "Upload", "SSO", "API Keys",
                  "Notifications", "Charts")  # fmt: skip
_LABEL_COLORS = ("#FF5733", "#33C1FF", "#8E44AD", "#27AE60")
_FORM_MESSAGES = ("", "Call me", "Ünïcödé ✓")
_VIEW_STATES = ("VIEWED", "COMPLETED")
# Small strings of events, built once: index n holds the string for n.
_DIGITS = tuple(str(i) for i in range(10))
_CONTENT_IDS = tuple(f"content-{i}" for i in range(61))
_SLIDE_IDS = tuple(f"slide-{i}" for i in range(6))
_STEP_IDS = tuple(f"step-{i}" for i in range(7))

# (name, apiName, type, origin) of the attribute models (docs/api.md, "PX: attribute models").
_USER_ATTRIBUTES = (
    ("Email", "email", "STRING", "STANDARD"),
    ("First Name", "firstName", "STRING", "STANDARD"),
    ("Number of visits", "numberOfVisits", "NUMBER", "STANDARD"),
    ("Sign up date", "signUpDate", "DATE_TIME", "STANDARD"),
    ("Plan", "plan", "STRING", "CUSTOM"),
    ("Seats", "seats", "NUMBER", "CUSTOM"),
    ("MRR", "mrr", "NUMBER", "CUSTOM"),
    ("Beta tester", "betaTester", "BOOLEAN", "CUSTOM"),
    ("Trial end", "trialEndDate", "DATE_TIME", "CUSTOM"),
    ("Onboarded on", "onboardedOn", "DATE", "CUSTOM"),
    ("Department", "department", "STRING", "CUSTOM"),
)
_ACCOUNT_ATTRIBUTES = (
    ("Name", "name", "STRING", "STANDARD"),
    ("Number of employees", "numberOfEmployees", "NUMBER", "STANDARD"),
    ("Tier", "tier", "STRING", "CUSTOM"),
    ("ARR", "arr", "NUMBER", "CUSTOM"),
    ("Strategic", "isStrategic", "BOOLEAN", "CUSTOM"),
    ("Renewal date", "renewalDate", "DATE_TIME", "CUSTOM"),
    ("CSM email", "csmEmail", "STRING", "CUSTOM"),
)


def _place(place: int, street: int) -> Record:
    """The ``location`` object of ``_PLACES[place]`` at ``_STREETS[street]``."""
    p = _PLACES[place]
    return {
        **dict(zip(_PLACE_FIELDS[:5], p[:5], strict=True)),
        "street": _STREETS[street],
        **dict(zip(_PLACE_FIELDS[5:], p[5:9], strict=True)),
        "coordinates": {"latitude": p[9], "longitude": p[10]},
    }


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng``."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def _poisson(rng: random.Random, lam: float) -> int:
    """Poisson sample (Knuth for small means, normal approximation above 30)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def event_sort_key(record: Record) -> tuple[int, str]:
    """The order event collections are kept in: ``(date, eventId)``."""
    return (record["date"], record["eventId"])


def _weekday(day_ms: int) -> int:
    """0=Monday of the UTC day starting at ``day_ms`` (1970-01-01 was a Thursday)."""
    return (day_ms // DAY_MS + 3) % 7


class _Generator:
    """All randomness of one tenant; kept alive so ``advance()`` continues the same stream."""

    def __init__(self, seed: int, size: TenantSize) -> None:
        self.rng = random.Random(seed)
        self.size = size
        rng = self.rng
        tag = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(12))
        # One web product plus two more property keys (tag keys "AP-XXXX-n", docs/api.md, "PX:
        # users and accounts").
        self.property_keys = [f"AP-{tag}-2", f"AP-{tag}-2-2", f"AP-{tag}-2-3"]
        self.next_user = 1
        self.actors: list[tuple[str, str | None, str, str | None]] = []
        self.engagement_ids: list[str] = []
        self.survey_engagement_ids: list[str] = []
        self.email_engagement_ids: list[str] = []
        self.feature_ids: list[str] = []
        self.segment_ids: list[str] = []
        self.account_ids: list[str] = []
        # Sub-objects shared by events (see "events" below).
        self._shared: dict[tuple[Any, ...], Any] = {}
        self._no_context: Record = {}
        self._app_context: Record = {"appVersion": "5.2.1", "env": "prod"}
        self._no_selection: list[str] = []

    def between(self, lo: int, hi: int) -> int:
        """A uniform int in [lo, hi)."""
        return lo + int(self.rng.random() * max(hi - lo, 1))

    def location(self) -> Record:
        """A place of its own (``event_location`` shares them: the same draws)."""
        rb = self.rng._randbelow
        return _place(rb(len(_PLACES)), rb(len(_STREETS)))

    def ip(self) -> str:
        r = self.rng.getrandbits(24)
        return f"203.{r >> 16}.{(r >> 8) & 255}.{r & 255}"

    def attribute_value(self, api_name: str, kind: str, now_ms: int) -> Any:  # noqa: PLR0911
        rng = self.rng
        if kind == "NUMBER":
            if api_name == "mrr":
                return round(rng.uniform(0, 5000), 2)  # a float NUMBER
            return rng.randint(0, 500)
        if kind == "BOOLEAN":
            return rng.random() < 0.3
        if kind == "DATE_TIME":
            return now_ms - self.between(-90 * DAY_MS, 400 * DAY_MS)  # may be in the future
        if kind == "DATE":
            return (now_ms - self.between(0, 700 * DAY_MS)) // DAY_MS * DAY_MS
        if api_name == "csmEmail":
            return f"csm{rng.randint(1, 9)}@example.com"
        if api_name in ("plan", "tier"):
            return rng.choice(_PLANS)
        return rng.choice(("Sales", "R&D", "Support", "Finance", "", "Ops"))

    def custom_attributes(self, models: list[Record], now_ms: int) -> Record | None:
        """``customAttributes`` keyed by apiName: sometimes null, sometimes missing keys."""
        if self.rng.random() < 0.1:
            return None
        out: Record = {}
        for m in models:
            if m["origin"] != "CUSTOM" or self.rng.random() < 0.15:
                continue
            out[m["apiName"]] = (
                None if self.rng.random() < 0.05 else
                self.attribute_value(m["apiName"], m["type"], now_ms)
            )  # fmt: skip
        return out

    def timestamps(self, lo: int, hi: int) -> tuple[int, int, int]:
        """(createDate, lastModifiedDate, lastSeenDate) with lo <= create <= modified <= hi."""
        create = self.between(lo, hi)
        # Modifications skew recent: most records were touched in the last months.
        modified = create + int((hi - create) * (1 - self.rng.random() ** 3))
        seen = 0 if self.rng.random() < 0.1 else self.between(create, hi + 1)
        return create, min(modified, hi), min(seen, hi)

    def share_modified_dates(self, records: list[Record], fraction: float) -> None:
        """Make groups of 2-6 records share one ``lastModifiedDate`` ms (bulk imports)."""
        rng = self.rng
        pool = list(range(len(records)))
        rng.shuffle(pool)
        budget = int(len(records) * fraction)
        while budget >= 2 and len(pool) >= 2:
            group = [pool.pop() for _ in range(min(rng.randint(2, 6), len(pool)))]
            shared = max(records[i]["lastModifiedDate"] for i in group)
            for i in group:
                records[i]["lastModifiedDate"] = shared
            budget -= len(group)

    def attribute_models(
        self, specs: tuple[tuple[str, str, str, str], ...], now_ms: int
    ) -> list[Record]:
        out = []
        for name, api_name, kind, origin in specs:
            created = now_ms - self.between(400 * DAY_MS, 900 * DAY_MS)
            out.append(
                {
                    "id": uuid4(self.rng),
                    "name": name,
                    "apiName": api_name,
                    "internalName": api_name if origin == "STANDARD" else f"custom_{api_name}",
                    "type": kind,
                    "defaultValue": False if kind == "BOOLEAN" else None,
                    "description": f"{name} of the {'user' if 'seats' in api_name else 'record'}",
                    "origin": origin,
                    "state": "ACTIVE" if self.rng.random() < 0.9 else "DISABLED",
                    "createdDate": created,
                    "modifiedDate": self.between(created, now_ms),
                }
            )
        return out

    def accounts(self, n: int, models: list[Record], now_ms: int) -> list[Record]:
        rng = self.rng
        out = []
        for i in range(1, n + 1):
            create, modified, seen = self.timestamps(now_ms - 730 * DAY_MS, now_ms)
            name = f"{rng.choice(_COMPANY_A)} {rng.choice(_COMPANY_B)} {i}"
            acc_id = f"acct-{i:05d}"
            self.account_ids.append(acc_id)
            out.append(
                {
                    "id": acc_id,
                    "name": name,
                    "trackedSubscriptionId": f"sub-{rng.getrandbits(32):08x}",
                    "sfdcId": f"0015g{rng.getrandbits(40):010X}" if rng.random() < 0.7 else None,
                    "dunsNumber": str(rng.randint(10**8, 10**9 - 1))
                    if rng.random() < 0.5
                    else None,
                    "industry": rng.choice(_INDUSTRIES),
                    "numberOfEmployees": rng.choice((5, 50, 250, 1000, 12000)),
                    "sicCode": str(rng.randint(1000, 9999)),
                    "website": f"https://www.{name.split(maxsplit=1)[0].lower()}{i}.example",
                    "naicsCode": str(rng.randint(100000, 999999)),
                    "plan": rng.choice(_PLANS),
                    "location": self.location(),
                    "numberOfUsers": 0,
                    "propertyKeys": rng.sample(self.property_keys, rng.randint(1, 2)),
                    "customAttributes": self.custom_attributes(models, now_ms),
                    "parentGroupId": None,
                    # Fields filled when the subscription is linked to Gainsight CS.
                    "gsId": f"1P02{rng.getrandbits(96):024X}" if rng.random() < 0.6 else None,
                    "healthScore": round(rng.uniform(0, 100), 1) if rng.random() < 0.6 else None,
                    "nps": rng.randint(-100, 100) if rng.random() < 0.4 else None,
                    "csm": rng.choice(("Ana Ruiz", "Ben Okafor", None)),
                    "renewalDate": now_ms + rng.randint(10, 400) * DAY_MS
                    if rng.random() < 0.5
                    else 0,
                    "createDate": create,
                    "lastModifiedDate": modified,
                    "lastSeenDate": seen,
                }
            )
        for acc in out[::17]:  # a few subsidiaries
            acc["parentGroupId"] = rng.choice(self.account_ids)
        self.share_modified_dates(out, 0.06)
        return out

    def user(
        self, models: list[Record], create: int, modified: int, seen: int, now_ms: int
    ) -> Record:
        rng = self.rng
        n = self.next_user
        self.next_user += 1
        kind = rng.choices(("USER", "LEAD", "VISITOR", "EMPTY_USER_TYPE"), (85, 8, 5, 2))[0]
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        anonymous = kind == "VISITOR" and rng.random() < 0.5
        identify_id = "" if anonymous else f"u-{n:05d}"
        email = None if anonymous else f"{first.lower()}.{n}@example.com"
        account = None if kind != "USER" or rng.random() < 0.05 else rng.choice(self.account_ids)
        first_visit = 0 if rng.random() < 0.15 else self.between(create, max(seen, create) + 1)
        agents = None
        if rng.random() < 0.85:
            agents = []
            for key in rng.sample(self.property_keys, rng.randint(1, 2)):
                agent = dict(zip(_AGENT_FIELDS, rng.choice(_BROWSERS), strict=True))
                agents.append({"propertyKey": key, "userAgent": agent})
        record = {
            "aptrinsicId": uuid4(rng),
            "identifyId": identify_id,
            "id": identify_id,
            "type": kind,
            "gender": rng.choice(("MALE", "FEMALE", "OTHER", "EMPTY_GENDER")),
            "email": email,
            "firstName": None if anonymous else first,
            "lastName": None if anonymous else last,
            "title": rng.choice(_TITLES),
            "phone": f"+1-555-{rng.randint(0, 9999):04d}" if rng.random() < 0.4 else None,
            "role": rng.choice(_ROLES),
            "score": rng.randint(0, 100),
            "subscriptionId": f"sub-{rng.getrandbits(32):08x}" if account else None,
            "accountId": account,
            "numberOfVisits": rng.randint(0, 900) if seen else 0,
            "location": self.location(),
            "lastInferredLocation": self.location() if rng.random() < 0.8 else None,
            "propertyKeys": rng.sample(self.property_keys, rng.randint(1, 3)),
            "customAttributes": self.custom_attributes(models, now_ms),
            "globalUnsubscribe": rng.random() < 0.03,
            "sfdcContactId": f"0035g{rng.getrandbits(40):010X}" if rng.random() < 0.4 else None,
            "lastVisitedUserAgentData": agents,
            # Set only on workspace (multi-product) subscriptions.
            "globalId": f"g-{rng.getrandbits(48):012x}" if rng.random() < 0.1 else None,
            "createDate": create,
            "lastModifiedDate": modified,
            "lastSeenDate": seen,
            "signUpDate": create if kind == "USER" else 0,
            "firstVisitDate": first_visit,
        }
        if identify_id:
            self.actors.append((identify_id, account, kind, email))
        return record

    def users(self, n: int, models: list[Record], now_ms: int) -> list[Record]:
        out = []
        for _ in range(n):
            create, modified, seen = self.timestamps(now_ms - 730 * DAY_MS, now_ms)
            out.append(self.user(models, create, modified, seen, now_ms))
        self.share_modified_dates(out, 0.05)
        return out

    def features(self, n: int) -> list[Record]:
        rng = self.rng
        out: list[Record] = []
        modules: list[str] = []
        for i in range(n):
            is_module = i < max(1, n // 8)
            fid = uuid4(rng)
            word = _FEATURE_WORDS[i % len(_FEATURE_WORDS)]
            labels = [
                {"id": f"label-{k}", "name": f"Label {k}", "color": _LABEL_COLORS[k]}
                for k in sorted(rng.sample(range(4), rng.choice((0, 0, 1, 2))))
            ]
            out.append(
                {
                    "id": fid,
                    "name": f"{word} module {i}" if is_module else f"{word} > action {i}",
                    "type": "MODULE" if is_module else "FEATURE",
                    "parentFeatureId": None if is_module else rng.choice(modules),
                    "propertyKey": rng.choice(self.property_keys),
                    "status": "ACTIVATED" if rng.random() < 0.9 else "DELETED",
                    "featureLabels": labels,
                }
            )
            if is_module:
                modules.append(fid)
            self.feature_ids.append(fid)
        return out

    def segments(self, n: int) -> list[Record]:
        out = []
        for i in range(n):
            sid = uuid4(self.rng)
            self.segment_ids.append(sid)
            out.append({"id": sid, "name": f"Segment {i}: {self.rng.choice(_PLANS)} users"})
        return out

    def languages(self, name: str) -> list[Record]:
        langs = [("en", True)] + [(c, self.rng.random() < 0.5) for c in ("de", "fr")]
        return [
            {
                "languageCode": code,
                "translated": done,
                "translationState": "TRANSLATED" if done else "NOT_TRANSLATED",
                "name": name if code == "en" else f"{name} [{code}]",
                "description": None,
            }
            for code, done in langs[: self.rng.randint(1, 3)]
        ]

    def engagements(self, n: int) -> list[Record]:
        rng = self.rng
        out = []
        for i in range(n):
            eid = uuid4(rng)
            kind = rng.choice(_ENGAGEMENT_TYPES)
            name = f"{kind.title().replace('_', ' ')} #{i}"
            self.engagement_ids.append(eid)
            if "SURVEY" in kind:
                self.survey_engagement_ids.append(eid)
            if "EMAIL" in kind:
                self.email_engagement_ids.append(eid)
            out.append(
                {
                    "id": eid,
                    "name": name,
                    "description": rng.choice((None, "", f"Campaign {i}")),
                    "type": kind,
                    "state": rng.choice(_ENGAGEMENT_STATES),
                    "propertyKeys": rng.sample(self.property_keys, rng.randint(1, 2)),
                    "envs": rng.choice((["production"], ["staging"], ["production", "staging"])),
                    "defaultLanguage": "en",
                    "languages": self.languages(name),
                    "translationState": rng.choice(("TRANSLATED", "NOT_TRANSLATED")),
                }
            )
        return out

    def kc_bots(self, n: int, now_ms: int) -> list[Record]:
        rng = self.rng
        out = []
        for i in range(n):
            created = now_ms - self.between(30 * DAY_MS, 700 * DAY_MS)
            name = f"Help bot {i}"
            out.append(
                {
                    "id": uuid4(rng),
                    "name": name,
                    "description": rng.choice((None, "Knowledge center bot")),
                    "status": rng.choice(("PUBLISHED", "DRAFT", "INACTIVE")),
                    "priority": i + 1,
                    "productId": f"product-{i % 3}",
                    "productName": f"Product {i % 3}",
                    "environments": rng.choice((["PRODUCTION"], ["PRODUCTION", "STAGING"])),
                    "createdBy": {"id": f"admin-{i % 5}", "name": f"Admin {i % 5}"},
                    "createdDate": created,
                    "modifiedBy": {"id": f"admin-{i % 4}", "name": f"Admin {i % 4}"},
                    "modifiedDate": self.between(created, now_ms),
                    "defaultLanguage": "en",
                    "languages": self.languages(name),
                }
            )
        return out

    def articles(self, n: int, bots: list[Record], now_ms: int) -> list[Record]:
        rng = self.rng
        out = []
        for i in range(n):
            created = now_ms - self.between(10 * DAY_MS, 700 * DAY_MS)
            name = f"How to use {rng.choice(_FEATURE_WORDS)} ({i})"
            picked = rng.sample(bots, min(2, len(bots)))
            kcs = [{"kcId": b["id"], "kcName": b["name"]} for b in picked]
            out.append(
                {
                    "id": uuid4(rng),
                    "articleName": name,
                    "author": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                    "productId": f"product-{i % 3}",
                    "productName": f"Product {i % 3}",
                    "viewType": rng.choice(("ARTICLE", "VIDEO", "LINK")),
                    # The one non-epoch timestamp: an ISO date string (docs/api.md, "PX and CS:
                    # field types").
                    "releaseDate": from_ms(created).date().isoformat(),
                    "createdDate": created,
                    "modifiedDate": self.between(created, now_ms),
                    "modifiedBy": {"id": f"admin-{i % 4}", "name": f"Admin {i % 4}"},
                    "articleKCs": kcs[: rng.randint(0, len(kcs))],
                    "defaultLanguage": "en",
                    "languages": self.languages(name),
                    "translationState": rng.choice(("TRANSLATED", "NOT_TRANSLATED")),
                }
            )
        return out

    # -- events ----------------------------------------------------------------------------
    #
    # Events are most of a big tenant (a throughput benchmark asks for a million), so this part
    # is tuned without changing a single value: ``seq[rb(len(seq))]`` and ``a + rb(b - a + 1)``
    # (``rb = rng._randbelow``) are exactly what ``rng.choice(seq)`` and ``rng.randint(a, b)``
    # compute, the same draws in the same order, minus two Python calls each. Constant
    # sub-objects (a ``globalContext``, an inferred location, a custom event's ``attributes``,
    # a form's ``formData``...) and small strings (``content-7``) are built once per tenant and
    # shared by every record that carries them, which saves time and memory. Records are never
    # changed in place (``Tenant`` is copy-on-write), so the sharing cannot be observed.

    def shared(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        """The one object of this tenant for ``key`` (``build()`` on first use)."""
        found = self._shared.get(key)
        if found is None:
            found = self._shared[key] = build()
        return found

    def event_location(self) -> Record:
        """Like ``location()`` (same draws, same value), shared between events."""
        rb = self.rng._randbelow
        place, street = rb(len(_PLACES)), rb(len(_STREETS))
        return self.shared(("location", place, street), lambda: _place(place, street))

    def event(self, path: str, date: int) -> Record:
        """One event of ``path`` dated ``date``."""
        return self._event(EVENT_TYPES[path], self.event_fields[path], date)

    def _event(
        self, event_type: str, fields: Callable[[_Generator, Record, str | None], None], date: int
    ) -> Record:
        rng = self.rng
        random_ = rng.random
        getrandbits = rng.getrandbits
        actors = self.actors
        identify_id, account, kind, email = actors[int(random_() * len(actors))]
        h = f"{getrandbits(128):032x}"  # uuid4(rng), inlined
        e: Record = {
            "eventId": f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}",
            "identifyId": identify_id,
            "propertyKey": self.property_keys[0 if random_() < 0.8 else 1],
            "date": date,
            "eventType": event_type,
            "sessionId": f"{getrandbits(64):016x}",
            "userType": kind,
            "accountId": account,
            "globalContext": self._no_context if random_() < 0.7 else self._app_context,
        }
        fields(self, e, email)
        return e

    def _custom(self, e: Record, _email: str | None) -> None:
        rng = self.rng
        rb = rng._randbelow
        host = rb(len(_HOSTS))
        e["eventName"] = CUSTOM_EVENTS[rb(len(CUSTOM_EVENTS))]
        count, success, plan = 1 + rb(20), rng.random() < 0.9, _PLANS[rb(len(_PLANS))]
        e["attributes"] = self.shared(
            ("attributes", count, success, plan),
            lambda: {"count": count, "success": success, "plan": plan},
        )
        page = rb(len(_PAGES))
        e["url"] = self.shared(
            ("url", host, page), lambda: f"https://{_HOSTS[host]}{_PAGES[page][0]}"
        )
        e["referrer"] = _REFERRERS[rb(len(_REFERRERS))]
        e["remoteHost"] = self.ip()

    def _email(self, e: Record, email: str | None) -> None:
        rng = self.rng
        rb = rng._randbelow
        track = rng.choices(_EMAIL_TRACK, _EMAIL_TRACK_WEIGHTS)[0]
        bounce = track == "EMAIL_TRACK_BOUNCE"
        click = track == "EMAIL_TRACK_CLICK"
        # Email events carry no session or account (docs/api.md, "PX: event windows").
        e["sessionId"] = None
        e["accountId"] = None
        ids = self.email_engagement_ids or self.engagement_ids
        e["engagementId"] = ids[rb(len(ids))]
        e["email"] = email
        e["emailTrackType"] = track
        e["status"] = "bounced" if bounce else "ok"
        e["reason"] = "550 5.1.1 mailbox unavailable" if bounce else None
        e["bounceType"] = "DELIVER_BOUNCE" if bounce else "EMPTY_BOUNCE_TYPE"
        e["mtaResponse"] = "250 2.0.0 OK" if track == "EMAIL_TRACK_DELIVERED" else None
        e["attempt"] = _DIGITS[1 + rb(3)]
        e["linkIndex"] = rb(5) if click else 0
        e["linkType"] = "HTML_LINK_TYPE" if click else "EMPTY_LINK_TYPE"
        e["linkUrl"] = f"https://{_HOSTS[1]}/pricing" if click else None
        e["inferredLocation"] = self.event_location() if rng.random() < 0.6 else None

    def _view(self, e: Record, survey: bool) -> None:
        rng = self.rng
        rb = rng._randbelow
        random_ = rng.random
        getrandbits = rng.getrandbits
        contents = _SURVEY_TYPES if survey else _CONTENT_TYPES
        content = contents[rb(len(contents))]
        ids = (self.survey_engagement_ids if survey else self.engagement_ids) or self.engagement_ids
        e["engagementId"] = ids[rb(len(ids))]
        e["engagementTrackType"] = "ENGAGEMENT_VIEW" if random_() < 0.8 else "ENGAGEMENT_CLICK"
        e["contentId"] = _CONTENT_IDS[1 + rb(60)]
        e["contentType"] = content
        e["executionDate"] = e["date"] - int(random_() * (3 * DAY_MS))  # between(0, 3 days)
        e["executionId"] = f"{getrandbits(64):016x}"
        e["viewEventId"] = f"{getrandbits(64):016x}"
        state = _VIEW_STATES[rb(2)]
        carousel = content == "IN_APP_CAROUSEL"
        e["carouselState"] = state if carousel else None
        e["guideState"] = state if content == "IN_APP_GUIDE" else None
        e["surveyState"] = state if survey else None
        e["slideId"] = _SLIDE_IDS[1 + rb(5)] if carousel else None
        e["sequenceNumber"] = rb(10)
        e["linkUrl"] = None
        e["stepId"] = _STEP_IDS[1 + rb(6)]
        e["contactMeAllowed"] = survey and random_() < 0.3
        if survey:
            e["score"] = rb(11) if content == "IN_APP_SURVEY_NPS" else 1 + rb(5)
        else:
            e["score"] = 0
        e["comment"] = _COMMENTS[rb(len(_COMMENTS))] if survey else None
        e["questionType"] = content.removeprefix("IN_APP_SURVEY_") if survey else None
        if content.endswith("BOOLEAN"):
            option = 1 + rb(4)
            e["selectionIds"] = self.shared(("selection", option), lambda: [f"opt-{option}"])
        else:
            e["selectionIds"] = self._no_selection
        e["path"] = _PAGES[rb(len(_PAGES))][0]

    def _page(self, e: Record, form: bool) -> None:
        rng = self.rng
        rb = rng._randbelow
        path, title = _PAGES[rb(len(_PAGES))]
        query, params = _QUERIES[rb(len(_QUERIES))]
        height, width = _SCREENS[rb(len(_SCREENS))]
        if not form:
            e["scheme"] = "https"
        e["host"] = _HOSTS[rb(len(_HOSTS))]
        e["path"] = path
        e["queryString"] = query
        e["hash"] = "#top" if rng.random() < 0.1 else ""
        e["queryParams"] = params
        e["remoteHost"] = self.ip()
        e["referrer"] = _REFERRERS[rb(len(_REFERRERS))]
        e["screenHeight"] = height
        e["screenWidth"] = width
        e["languages"] = _LANGS[rb(len(_LANGS))]
        e["pageTitle"] = title
        if form:
            key = ("form", rb(len(_FIRST)), rb(len(_PLANS)), rb(len(_FORM_MESSAGES)))
            e["formData"] = self.shared(
                key,
                lambda: {
                    "name": _FIRST[key[1]],
                    "plan": _PLANS[key[2]],
                    "message": _FORM_MESSAGES[key[3]],
                },
            )

    def _feature_match(self, e: Record, _email: str | None) -> None:
        e["featureId"] = self.feature_ids[int(self.rng.random() * len(self.feature_ids))]

    def _segment_match(self, e: Record, _email: str | None) -> None:
        e["segmentId"] = self.segment_ids[int(self.rng.random() * len(self.segment_ids))]

    def _with_email(self, e: Record, email: str | None) -> None:
        e["email"] = email

    def _session(self, e: Record, _email: str | None) -> None:
        e["remoteHost"] = self.ip()
        e["inferredLocation"] = self.event_location()

    event_fields: ClassVar[dict[str, Callable[[_Generator, Record, str | None], None]]] = {
        "/events/custom": _custom,
        "/events/email": _email,
        "/events/engagementView": lambda g, e, _: g._view(e, survey=g.rng.random() < 0.2),
        "/events/feature_match": _feature_match,
        "/events/formSubmit": lambda g, e, _: g._page(e, form=True),
        "/events/identify": _with_email,
        "/events/lead": _with_email,
        "/events/pageView": lambda g, e, _: g._page(e, form=False),
        "/events/segment_match": _segment_match,
        "/events/session": _session,
        "/survey/responses": lambda g, e, _: g._view(e, survey=True),
    }

    def events(
        self,
        lo: int,
        hi: int,
        *,
        quiet_days: frozenset[int] = frozenset(),
        midnight_groups: int = 3,
        before_midnight_groups: int = 2,
        inner_groups: int = 3,
    ) -> dict[str, list[Record]]:
        """Events of every type dated in [lo, hi), sorted by (date, eventId).

        Per UTC day the count is Poisson around the type's mean (``TenantSize``) x weekday
        factor (weekends ~3x quieter) x per-day noise, scaled by the part of the day inside.
        ``quiet_days`` (day-start ms) get no events at all. Per type, groups of 2-5 events
        share one ``date``: ``midnight_groups`` exactly ON a UTC midnight,
        ``before_midnight_groups`` at midnight - 1 ms, ``inner_groups`` anywhere.
        """
        rng = self.rng
        random_ = rng.random
        first_day = lo // DAY_MS * DAY_MS
        days = range(first_day, hi, DAY_MS)

        def loud(ms: int) -> bool:
            return lo <= ms < hi and ms // DAY_MS * DAY_MS not in quiet_days

        midnights = [d for d in days if loud(d)]
        before = [d - 1 for d in days if loud(d - 1) and loud(d)]
        out: dict[str, list[Record]] = {}
        for path in EVENT_PATHS:
            per_day = self.size.events_per_day * self.size.event_weights.get(path, 1.0)
            dates: list[int] = []
            for day in days:
                if day in quiet_days:
                    continue
                seg_lo, seg_hi = max(lo, day), min(hi, day + DAY_MS)
                factor = 0.4 if _weekday(day) >= 5 else 1.24
                lam = per_day * factor * rng.uniform(0.6, 1.4)
                lam *= (seg_hi - seg_lo) / DAY_MS
                width = max(seg_hi - seg_lo, 1)  # between(seg_lo, seg_hi), inlined
                dates.extend([seg_lo + int(random_() * width) for _ in range(_poisson(rng, lam))])
            anchors = rng.sample(midnights, min(midnight_groups, len(midnights)))
            anchors += rng.sample(before, min(before_midnight_groups, len(before)))
            if hi - lo > 1:
                anchors += [self.between(lo, hi) for _ in range(inner_groups)]
            for anchor in anchors:
                if loud(anchor):
                    dates.extend([anchor] * rng.randint(2, 5))
            make, event_type, fields = self._event, EVENT_TYPES[path], self.event_fields[path]
            records = [make(event_type, fields, d) for d in dates]
            records.sort(key=event_sort_key)
            out[path] = records
        return out


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Turn the cyclic garbage collector off for the block (if it was on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Collection(list[Record]):
    """A ``list`` of records whose ``version`` goes up after every in-place change, whoever
    makes it, so that an index built over it (``index.py``) knows it is stale."""

    __slots__ = ("version",)

    def __init__(self, records: Iterable[Record] = ()) -> None:
        super().__init__(records)
        self.version = 0


def _counting(name: str) -> Callable[..., Any]:
    change = getattr(list, name)

    def counted(self: Collection, *args: Any, **kwargs: Any) -> Any:
        try:
            return change(self, *args, **kwargs)
        finally:
            self.version += 1  # after the change: an index read before it is then stale

    counted.__name__ = counted.__qualname__ = name
    counted.__doc__ = change.__doc__
    return counted


for _name in (
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
    "__setitem__", "__delitem__", "__iadd__", "__imul__",
):  # fmt: skip
    setattr(Collection, _name, _counting(_name))


class Clocked:
    """A tenant's clock, ``_now``, moved only by its own ``advance()``."""

    _now: datetime

    @property
    def now(self) -> datetime:
        """The tenant clock (tz-aware UTC)."""
        return self._now

    @property
    def now_ms(self) -> int:
        """The tenant clock in epoch ms."""
        return to_ms(self._now)


class Tenant(Clocked):
    """One PX subscription's data, keyed by API path. Build it with ``Tenant.generate()``."""

    def __init__(
        self,
        *,
        seed: int,
        size: TenantSize,
        now: datetime,
        collections: dict[str, list[Record]],
        generator: _Generator,
        quiet_days: list[int],
    ) -> None:
        self.seed = seed
        self.size = size
        self._now = now
        #: Every collection, by API path; each list is a ``Collection``. Event collections are
        #: kept sorted by ``(date, eventId)`` (``event_sort_key``).
        self.collections: dict[str, list[Record]] = {
            path: records if isinstance(records, Collection) else Collection(records)
            for path, records in collections.items()
        }
        self._gen = generator
        #: Day-start ms of the generated days with no events of any type.
        self.quiet_days = quiet_days
        #: Held by the changes; the server holds it while snapshotting a list.
        self.lock = threading.RLock()

    @classmethod
    def generate(
        cls, seed: int = 1, size: TenantSize | None = None, now: datetime | None = None
    ) -> Tenant:
        """Build a tenant; equal arguments give equal data."""
        size = size or TenantSize()
        now = now or DEFAULT_NOW
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        # Millions of new dicts, none of them garbage: the cyclic GC would only rescan them
        # (a third of the time of a million-event tenant).
        with _gc_paused():
            return cls._generate(seed, size, now.astimezone(timezone.utc))

    @classmethod
    def _generate(cls, seed: int, size: TenantSize, now: datetime) -> Tenant:
        now_ms = to_ms(now)
        gen = _Generator(seed, size)
        user_models = gen.attribute_models(_USER_ATTRIBUTES, now_ms)
        account_models = gen.attribute_models(_ACCOUNT_ATTRIBUTES, now_ms)
        accounts = gen.accounts(size.accounts, account_models, now_ms)
        users = gen.users(size.users, user_models, now_ms)
        counts: dict[str, int] = {}
        for u in users:
            if u["accountId"]:
                counts[u["accountId"]] = counts.get(u["accountId"], 0) + 1
        for a in accounts:
            a["numberOfUsers"] = counts.get(a["id"], 0)
        features = gen.features(size.features)
        segments = gen.segments(size.segments)
        engagements = gen.engagements(size.engagements)
        bots = gen.kc_bots(size.kc_bots, now_ms)
        articles = gen.articles(size.articles, bots, now_ms)

        lo = now_ms - size.history_days * DAY_MS
        first_full_day = -(-lo // DAY_MS) * DAY_MS
        full_days = list(range(first_full_day + 2 * DAY_MS, now_ms - 3 * DAY_MS, DAY_MS))
        quiet = frozenset(gen.rng.sample(full_days, min(len(full_days), 3)))
        events = gen.events(lo, now_ms + 1, quiet_days=quiet)

        collections: dict[str, list[Record]] = {
            "/users": users,
            "/accounts": accounts,
            "/feature": features,
            "/segment": segments,
            "/engagement": engagements,
            "/articles": articles,
            "/kcbot": bots,
            "/admin/model/user/attributes": user_models,
            "/admin/model/account/attributes": account_models,
            **events,
        }
        return cls(
            seed=seed,
            size=size,
            now=now,
            collections=collections,
            generator=gen,
            quiet_days=sorted(quiet),
        )

    def advance(
        self,
        delta: timedelta,
        *,
        touch_users: int = 10,
        touch_accounts: int = 5,
        new_users: int = 3,
    ) -> None:
        """Move the clock forward by ``delta`` and let the tenant live through it.

        New events of every type are dated in (old now, new now] with the same density rules
        (including same-ms groups on the midnights crossed); ``touch_users``/``touch_accounts``
        existing records get a ``lastModifiedDate`` inside the new period; ``new_users`` users
        are appended, created inside the new period.
        """
        with self.lock:
            gen = self._gen
            old_ms = self.now_ms
            self._now += delta
            new_ms = self.now_ms
            for path, records in gen.events(
                old_ms + 1, new_ms + 1, midnight_groups=2, before_midnight_groups=1
            ).items():
                # Dated after the old clock, so after every held event: the order holds.
                self.collections[path].extend(records)
            for path, n in (("/users", touch_users), ("/accounts", touch_accounts)):
                for i in self._pick(path, n):
                    self._modify(path, i, gen.between(old_ms + 1, new_ms + 1))
            models = self.collections["/admin/model/user/attributes"]
            for _ in range(new_users):
                create = gen.between(old_ms + 1, new_ms + 1)
                seen = gen.between(create, new_ms + 1)
                self.collections["/users"].append(gen.user(models, create, seen, seen, new_ms))

    def add_events(self, path: str, dates: Iterable[int]) -> list[Record]:
        """Add one event of ``path`` per date (none after ``now``), made as ``advance()``
        makes them, keeping the ``(date, eventId)`` order; return them."""
        dates = list(dates)
        if path not in EVENT_TYPES:
            raise ValueError(f"{path} is not an event collection; use one of {EVENT_PATHS}")
        with self.lock:
            if any(date > self.now_ms for date in dates):
                raise ValueError(f"an event dated after now ({self.now_ms}) in {dates}")
            made = [self._gen.event(path, date) for date in dates]
            held = self.collections[path]
            held.extend(made)
            held.sort(key=event_sort_key)
            return made

    def add_field(self, path: str, name: str, value_of: Callable[[Record], Any]) -> None:
        """Start sending a new top-level field on every record of a collection, as an API
        release would: ``value_of(record)`` gives each record's value."""
        with self.lock:
            records = self.collections[path]
            records[:] = [{**record, name: value_of(record)} for record in records]

    def remove(self, path: str, n: int) -> list[Record]:
        """Delete ``n`` records of a collection, as an admin would; return them."""
        with self.lock:
            records = self.collections[path]
            doomed = set(self._pick(path, n))
            removed = [records[i] for i in sorted(doomed)]
            records[:] = [r for i, r in enumerate(records) if i not in doomed]
            return removed

    def _pick(self, path: str, n: int) -> list[int]:
        return self._gen.rng.sample(range(len(self.collections[path])), n)

    def _modify(self, path: str, index: int, at_ms: int) -> Record:
        """Replace record ``index`` by a modified copy dated ``at_ms`` (copy-on-write)."""
        records = self.collections[path]
        record = {**records[index], "lastModifiedDate": at_ms}
        if path == "/users":
            record["score"] = (record["score"] + 7) % 101
            record["lastSeenDate"] = max(record["lastSeenDate"], at_ms)
        else:  # an account
            record["plan"] = self._gen.rng.choice(_PLANS)
        records[index] = record
        return record
