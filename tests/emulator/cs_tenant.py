"""Deterministic data for one emulated Gainsight CS tenant: Company and Person (px-api.md §8).

``CSTenant.generate(seed)`` builds both objects from one seeded RNG, so two tenants with equal
arguments are equal record for record. Records are plain dicts keyed by field name
(``OBJECT_FIELDS``), with the API's value types: DATETIME and DATE as epoch-ms ints (px-api.md
§8.2 "Dates in query responses are epoch ms"; DATEs at UTC midnight), NUMBER/CURRENCY as
numbers, BOOLEAN as bools, LOOKUP as the referenced record's Gsid, ``null`` for no value.

``Gsid`` is a unique 36-char uppercase alphanumeric string (px-api.md §8.2, [I]); it carries
no order, so sorting by it shuffles records relative to their creation.

Data traps planted on purpose (a tap must survive all of them):

* ``ModifiedDate`` spans two years, skewed recent, with millisecond precision;
* groups of 2-6 records share one exact ``ModifiedDate`` millisecond (bulk updates), half of
  the groups on a whole second (``...000``), where "GTE s" / "LT s+1s" boundaries bite;
* clusters of records modified within the same second at different milliseconds (what a
  "drain the last second" keyset scheme has to page through, px-api.md §8.3 step 2);
* about 1% of records have ``ModifiedDate`` null (px-api.md §8.3 step 4: read them in a final
  ``IS_NULL`` pass);
* optional fields (Industry, RenewalDate, Csm, HealthScore__gc, Title, CompanyId) are
  sometimes null.

The clock is fixed (2026-11-20T12:00:00Z) unless given; nothing is dated after ``now``.
``advance()`` / ``touch()`` mutate the tenant for incremental-sync tests; touched records are
replaced by modified copies (copy-on-write), under ``lock``.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

Record = dict[str, Any]

DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: The default clock: fixed so generated data is reproducible.
DEFAULT_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
#: How far back ``CreatedDate``/``ModifiedDate`` go.
HISTORY_DAYS = 730

#: Field name -> data type, per object, in describe order (px-api.md §8.2 schema discovery).
#: Data types used: GSID, STRING, NUMBER, CURRENCY, BOOLEAN, DATE, DATETIME, LOOKUP, EMAIL,
#: DROPDOWN. ``__gc`` suffixes mark custom fields, as in Gainsight.
OBJECT_FIELDS: dict[str, dict[str, str]] = {
    "Company": {
        "Gsid": "GSID",
        "Name": "STRING",
        "Industry": "DROPDOWN",
        "Employees": "NUMBER",
        "ARR": "CURRENCY",
        "Stage": "DROPDOWN",
        "Status": "DROPDOWN",
        "RenewalDate": "DATE",
        "Csm": "LOOKUP",
        "IsActive": "BOOLEAN",
        "Tier__gc": "STRING",
        "HealthScore__gc": "NUMBER",
        "CreatedDate": "DATETIME",
        "ModifiedDate": "DATETIME",
    },
    "Person": {
        "Gsid": "GSID",
        "Name": "STRING",
        "FirstName": "STRING",
        "LastName": "STRING",
        "Email": "EMAIL",
        "Title": "STRING",
        "CompanyId": "LOOKUP",
        "IsActive": "BOOLEAN",
        "Region__gc": "STRING",
        "CreatedDate": "DATETIME",
        "ModifiedDate": "DATETIME",
    },
}
OBJECT_NAMES = tuple(OBJECT_FIELDS)


def to_ms(dt: datetime) -> int:
    """Epoch milliseconds of a tz-aware datetime."""
    return (dt - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """UTC datetime of epoch milliseconds."""
    return _EPOCH + timedelta(milliseconds=ms)


# -- value pools ----------------------------------------------------------------------------

_GSID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_COMPANY_A = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell",
              "Cyberdyne", "Soylent", "Wonka", "Aperture", "Vandelay", "Pied Piper", "Oscorp",
              "Nakatomi", "Massive Dynamic", "Gringotts")  # fmt: skip
_COMPANY_B = ("Corp", "Labs", "GmbH", "Inc", "Systems", "AG", "Group", "Ltd", "SA", "Partners")
_INDUSTRIES = ("Software", "Finance", "Healthcare", "Retail", "Manufacturing", "Education",
               "Media", None)  # fmt: skip
_STAGES = ("Kick Off", "New Customer", "Launched", "Adopting", "Expanding", "Will Churn")
_STATUSES = ("Active", "Active", "Active", "Inactive", "Churn")
_TIERS = ("Enterprise", "Mid-Market", "SMB")
_FIRST = ("Ava", "Liam", "Noah", "Emma", "Olivia", "Mia", "Lucas", "Amelia", "Ethan", "Harper",
          "Mateo", "Sofia", "Yuki", "Chloé", "Jürgen", "Ana", "Priya", "Omar", "Zoë", "Kenji",
          "Ingrid", "Diego", "Fatima", "Lars", "Nia", "Pavel", "Hana", "Tomás")  # fmt: skip
_LAST = ("Smith", "Garcia", "Müller", "Rossi", "Kowalski", "Nguyen", "O'Brien", "Dubois",
         "Silva", "Tanaka", "Johansson", "Patel", "Kim", "Novak", "Haddad", "Jensen", "López",
         "Brown", "Ivanova", "Okafor", "Schmidt", "Costa", "Yilmaz", "Walker", "Chen")  # fmt: skip
_TITLES = ("Engineer", "Product Manager", "Analyst", "Director", "VP Sales", "Designer", "CTO",
           "Support Lead", "Admin", None)  # fmt: skip
_REGIONS = ("AMER", "EMEA", "APAC", "LATAM")
_ASCII = str.maketrans("éüëáóöäñ", "eueaooan", "'")


class _Generator:
    """All randomness of one tenant; kept alive so ``advance()`` continues the same stream."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.gsids: set[str] = set()
        #: Gsids of the GsUsers that ``Csm`` lookups point to.
        self.csm_ids = [self.gsid() for _ in range(12)]

    def gsid(self) -> str:
        """A new unique 36-char uppercase alphanumeric id."""
        while True:
            gsid = "".join(self.rng.choices(_GSID_CHARS, k=36))
            if gsid not in self.gsids:
                self.gsids.add(gsid)
                return gsid

    def between(self, lo: int, hi: int) -> int:
        """A uniform int in [lo, hi)."""
        return lo + int(self.rng.random() * max(hi - lo, 1))

    def maybe(self, value: Any, null_rate: float) -> Any:
        """``value``, or None with probability ``null_rate``."""
        return None if self.rng.random() < null_rate else value

    def audit(self, lo: int, hi: int) -> tuple[int, int]:
        """(CreatedDate, ModifiedDate), lo <= created <= modified < hi, modified skewed recent."""
        created = self.between(lo, hi)
        modified = created + int((hi - 1 - created) * (1 - self.rng.random() ** 3))
        return created, modified

    def company(self, created: int, modified: int, now_ms: int) -> Record:
        rng = self.rng
        status = rng.choice(_STATUSES)
        renewal = self.between(now_ms - 180 * DAY_MS, now_ms + 365 * DAY_MS) // DAY_MS * DAY_MS
        return {
            "Gsid": self.gsid(),
            "Name": f"{rng.choice(_COMPANY_A)} {rng.choice(_COMPANY_B)}",
            "Industry": rng.choice(_INDUSTRIES),
            "Employees": int(10 ** rng.uniform(0.5, 5)),
            "ARR": round(rng.uniform(1_000, 2_000_000), 2),
            "Stage": rng.choice(_STAGES),
            "Status": status,
            "RenewalDate": self.maybe(renewal, 0.1),
            "Csm": self.maybe(rng.choice(self.csm_ids), 0.08),
            "IsActive": status == "Active",
            "Tier__gc": rng.choice(_TIERS),
            "HealthScore__gc": self.maybe(round(rng.uniform(0, 100), 1), 0.05),
            "CreatedDate": created,
            "ModifiedDate": modified,
        }

    def person(self, created: int, modified: int, company_ids: list[str]) -> Record:
        rng = self.rng
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        local = f"{first}.{last}".lower().translate(_ASCII)
        return {
            "Gsid": self.gsid(),
            "Name": f"{first} {last}",
            "FirstName": first,
            "LastName": last,
            "Email": f"{local}{rng.randint(1, 999)}@example.com",
            "Title": rng.choice(_TITLES),
            "CompanyId": self.maybe(rng.choice(company_ids), 0.02) if company_ids else None,
            "IsActive": rng.random() < 0.9,
            "Region__gc": rng.choice(_REGIONS),
            "CreatedDate": created,
            "ModifiedDate": modified,
        }

    def plant_traps(self, records: list[Record], now_ms: int) -> None:
        """Shared-ms groups, same-second clusters and null ``ModifiedDate`` (module docstring)."""
        rng = self.rng
        pool = list(range(len(records)))
        rng.shuffle(pool)

        def take(k: int) -> list[int]:
            return [pool.pop() for _ in range(min(k, len(pool)))]

        for group_no in range(len(records) // 60):  # ~7% of records in shared-ms groups
            group = take(rng.randint(2, 6))
            shared = max(records[i]["ModifiedDate"] for i in group)
            if group_no % 2 == 0:
                shared = shared // 1000 * 1000  # exactly on a second
            for i in group:
                records[i]["ModifiedDate"] = shared
                records[i]["CreatedDate"] = min(records[i]["CreatedDate"], shared)
        for _ in range(len(records) // 150):  # ~2% in same-second, different-ms clusters
            group = take(rng.randint(3, 5))
            second = max(records[i]["ModifiedDate"] for i in group) // 1000 * 1000
            for i in group:
                records[i]["ModifiedDate"] = min(second + rng.randint(0, 999), now_ms - 1)
                records[i]["CreatedDate"] = min(records[i]["CreatedDate"], second)
        for i in take(max(1, len(records) // 100)):  # ~1% never modified: null
            records[i]["ModifiedDate"] = None


class CSTenant:
    """One Gainsight CS tenant's Company and Person records. Build it with ``generate()``."""

    def __init__(
        self,
        *,
        seed: int,
        now: datetime,
        collections: dict[str, list[Record]],
        generator: _Generator,
    ) -> None:
        self.seed = seed
        self._now = now
        #: Object name (``"Company"``, ``"Person"``) -> its records, in storage order.
        self.collections = collections
        self._gen = generator
        #: Held by ``advance()``/``touch()``; the server holds it while it runs a query.
        self.lock = threading.RLock()

    @classmethod
    def generate(
        cls,
        seed: int = 1,
        companies: int = 700,
        people: int = 2600,
        now: datetime | None = None,
    ) -> CSTenant:
        """Build a tenant; equal arguments give equal data."""
        now = now or DEFAULT_NOW
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        now = now.astimezone(timezone.utc)
        now_ms = to_ms(now)
        lo = now_ms - HISTORY_DAYS * DAY_MS
        gen = _Generator(seed)
        company_records = [gen.company(*gen.audit(lo, now_ms), now_ms) for _ in range(companies)]
        company_ids = [c["Gsid"] for c in company_records]
        person_records = [gen.person(*gen.audit(lo, now_ms), company_ids) for _ in range(people)]
        gen.plant_traps(company_records, now_ms)
        gen.plant_traps(person_records, now_ms)
        return cls(
            seed=seed,
            now=now,
            collections={"Company": company_records, "Person": person_records},
            generator=gen,
        )

    @property
    def now(self) -> datetime:
        """The tenant clock (tz-aware UTC)."""
        return self._now

    @property
    def now_ms(self) -> int:
        """The tenant clock in epoch ms."""
        return to_ms(self._now)

    def advance(
        self, delta: timedelta, *, touch: int = 20, new: int = 5
    ) -> dict[str, list[Record]]:
        """Move the clock forward by ``delta`` and let the tenant live through it.

        For each object, ``touch`` existing records (any, including null-``ModifiedDate`` ones)
        are edited with a ``ModifiedDate`` inside (old now, new now], and ``new`` records are
        appended, created and modified inside that period. Returns the touched and new records
        per object.
        """
        if delta <= timedelta(0):
            raise ValueError("delta must be positive")
        with self.lock:
            gen = self._gen
            old_ms = self.now_ms
            self._now += delta
            new_ms = self.now_ms
            changed: dict[str, list[Record]] = {}
            for name in OBJECT_NAMES:
                changed[name] = [
                    self._modify(name, i, gen.between(old_ms + 1, new_ms + 1))
                    for i in self._pick(name, touch)
                ]
                company_ids = [c["Gsid"] for c in self.collections["Company"]]
                for _ in range(new):
                    at = gen.between(old_ms + 1, new_ms + 1)
                    record = (
                        gen.company(at, at, new_ms)
                        if name == "Company"
                        else gen.person(at, at, company_ids)
                    )
                    self.collections[name].append(record)
                    changed[name].append(record)
            return changed

    def touch(self, object_name: str, n: int, at_ms: int | None = None) -> list[Record]:
        """Edit ``n`` records of ``object_name`` at ``at_ms`` (default: the clock); return them."""
        with self.lock:
            at = self.now_ms if at_ms is None else at_ms
            return [self._modify(object_name, i, at) for i in self._pick(object_name, n)]

    def _pick(self, name: str, n: int) -> list[int]:
        records = self.collections[name]
        return self._gen.rng.sample(range(len(records)), min(n, len(records)))

    def _modify(self, name: str, index: int, at_ms: int) -> Record:
        """Replace record ``index`` by an edited copy modified at ``at_ms`` (copy-on-write)."""
        records = self.collections[name]
        record = dict(records[index])
        record["ModifiedDate"] = at_ms
        rng = self._gen.rng
        if name == "Company":
            record["HealthScore__gc"] = round(rng.uniform(0, 100), 1)
            record["Stage"] = rng.choice(_STAGES)
        else:
            record["Title"] = rng.choice(_TITLES)
        records[index] = record
        return record
