"""Seeded record factories of the CS tenant, and the data traps they plant.

``CoreGenerator`` (``random.Random(seed)``) makes Company and Person, and ``ObjectFactory``
(its own stream) everything else, so Company and Person stay what the tap's tests were written
against. Gsids are unique across the tenant and carry no order.

Data traps (``plant_traps``) on every dated object (docs/api.md, "CS: query, paging and
order"): two years of millisecond modified dates, groups sharing one millisecond (half on a
whole second), clusters within one second, about 1% null modified dates, null optional
fields, inactive picklist items.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .objects import CTA_CATEGORIES, PICKLISTS, SP_CATEGORIES, find_object
from .values import DAY_MS, Record, from_ms, to_ms

# -- value pools ----------------------------------------------------------------------------

_GSID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_COMPANY_A = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell",
              "Cyberdyne", "Soylent", "Wonka", "Aperture", "Vandelay", "Pied Piper", "Oscorp",
              "Nakatomi", "Massive Dynamic", "Gringotts")  # fmt: skip
_COMPANY_B = ("Corp", "Labs", "GmbH", "Inc", "Systems", "AG", "Group", "Ltd", "SA", "Partners")
_INDUSTRIES = ("Software", "Finance", "Healthcare", "Retail", "Manufacturing", "Education",
               "Media", None)  # fmt: skip
STAGES = ("Kick Off", "New Customer", "Launched", "Adopting", "Expanding", "Will Churn")
_STATUSES = ("Active", "Active", "Active", "Inactive", "Churn")
_TIERS = ("Enterprise", "Mid-Market", "SMB")
_FIRST = ("Ava", "Liam", "Noah", "Emma", "Olivia", "Mia", "Lucas", "Amelia", "Ethan", "Harper",
          "Mateo", "Sofia", "Yuki", "Chloé", "Jürgen", "Ana", "Priya", "Omar", "Zoë", "Kenji",
          "Ingrid", "Diego", "Fatima", "Lars", "Nia", "Pavel", "Hana", "Tomás")  # fmt: skip
_LAST = ("Smith", "Garcia", "Müller", "Rossi", "Kowalski", "Nguyen", "O'Brien", "Dubois",
         "Silva", "Tanaka", "Johansson", "Patel", "Kim", "Novak", "Haddad", "Jensen", "López",
         "Brown", "Ivanova", "Okafor", "Schmidt", "Costa", "Yilmaz", "Walker", "Chen")  # fmt: skip
TITLES = ("Engineer", "Product Manager", "Analyst", "Director", "VP Sales", "Designer", "CTO",
          "Support Lead", "Admin", None)  # fmt: skip
_REGIONS = ("AMER", "EMEA", "APAC", "LATAM")
_ASCII = str.maketrans("éüëáóöäñ", "eueaooan", "'")
_SUBJECTS = ("QBR", "Kickoff call", "Renewal discussion", "Support escalation", "Exec sync",
             "Training session", "Health check", "Feature request review")  # fmt: skip
_NOTES = ("<p>Discussed the renewal timeline.</p>", "<p>Champion is <b>happy</b> with the "
          "rollout.</p>", "<p>Usage dropped after the reorg; follow up in two weeks.</p>",
          "<ul><li>Training</li><li>Roadmap</li></ul>", "Plain text note, no markup.")  # fmt: skip
_PRODUCTS = ("Platform", "Analytics", "EMEA", "Support", "Mobile")
_CTA_NAMES = ("Usage drop", "Renewal in 90 days", "Onboarding stalled", "Upsell seats",
              "Executive change", "Low NPS response")  # fmt: skip
_TASK_NAMES = ("Call the champion", "Send the usage report", "Book a QBR", "Review tickets",
               "Update the success plan", "Check license count")  # fmt: skip
_EMAIL_EVENTS = ("SENT", "DELIVERED", "OPEN", "CLICK", "BOUNCE")


class _Draws:
    """The helpers both generators share: Gsids from a shared set, ranges and nulls."""

    def __init__(self, rng: random.Random, gsids: set[str]) -> None:
        self.rng = rng
        self.gsids = gsids

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
        """(created, modified), lo <= created <= modified < hi, modified skewed recent."""
        created = self.between(lo, hi)
        modified = created + int((hi - 1 - created) * (1 - self.rng.random() ** 3))
        return created, modified


class CoreGenerator(_Draws):
    """Company and Person; kept alive so ``advance()`` continues the same stream."""

    def __init__(self, seed: int) -> None:
        super().__init__(random.Random(seed), set())
        #: Gsids of the GsUsers that ``Company.Csm`` points to (the first 12 gsusers).
        self.csm_ids = [self.gsid() for _ in range(12)]

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
            "Stage": rng.choice(STAGES),
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
            "Title": rng.choice(TITLES),
            "CompanyId": self.maybe(rng.choice(company_ids), 0.02) if company_ids else None,
            "IsActive": rng.random() < 0.9,
            "Region__gc": rng.choice(_REGIONS),
            "CreatedDate": created,
            "ModifiedDate": modified,
        }

    def edit(self, name: str, record: Record) -> None:
        """What an edit changes besides ``ModifiedDate``."""
        rng = self.rng
        if name == "Company":
            record["HealthScore__gc"] = round(rng.uniform(0, 100), 1)
            record["Stage"] = rng.choice(STAGES)
        else:
            record["Title"] = rng.choice(TITLES)


def plant_traps(
    rng: random.Random,
    records: list[Record],
    now_ms: int,
    field: str = "ModifiedDate",
    *,
    at_least: int = 0,
) -> None:
    """Shared-ms groups, same-second clusters and null ``field`` (module docstring).

    ``at_least`` is the least number of groups and of clusters (0: by size only).
    """
    pool = list(range(len(records)))
    rng.shuffle(pool)

    def take(k: int) -> list[int]:
        return [pool.pop() for _ in range(min(k, len(pool)))]

    for group_no in range(max(at_least, len(records) // 60)):  # ~7% in shared-ms groups
        group = take(rng.randint(2, 6))
        if not group:
            break
        shared = max(records[i][field] for i in group)
        if group_no % 2 == 0:
            shared = shared // 1000 * 1000  # exactly on a second
        for i in group:
            records[i][field] = shared
            records[i]["CreatedDate"] = min(records[i]["CreatedDate"], shared)
    for _ in range(max(min(at_least, 1), len(records) // 150)):  # ~2% in same-second clusters
        group = take(rng.randint(3, 5))
        if not group:
            break
        second = max(records[i][field] for i in group) // 1000 * 1000
        for i in group:
            records[i][field] = min(second + rng.randint(0, 999), now_ms - 1)
            records[i]["CreatedDate"] = min(records[i]["CreatedDate"], second)
    for i in take(max(1, len(records) // 100)):  # ~1% never modified: null
        records[i][field] = None


@dataclass(frozen=True)
class PicklistItem:
    """One picklist item: a ``da_picklist`` row and a describe ``options`` entry."""

    gsid: str
    name: str
    category: str
    category_id: str
    display_order: int
    active: bool
    deleted: bool


@dataclass(frozen=True)
class Category:
    """One picklist category (``meta.properties.PICKLIST_CATEGORY[_ID]``) and its items."""

    name: str
    gsid: str
    items: tuple[PicklistItem, ...]


def _in_describe_order(name: str, record: Record) -> Record:
    """``record`` with exactly the object's fields, in describe order."""
    obj = find_object(name)
    assert obj is not None, name
    return {field: record[field] for field in obj.field_types}


class ObjectFactory(_Draws):
    """Picklists and every object but Company and Person: made, edited, picked for deletion.

    ``collections`` is the tenant's (live) dict, read for lookups: a LOOKUP value is the Gsid
    of a record present when the referring record was made.
    """

    def __init__(self, seed: int, gsids: set[str], collections: dict[str, list[Record]]) -> None:
        super().__init__(random.Random(f"cs-objects-{seed}"), gsids)
        self.collections = collections
        self.categories: dict[str, Category] = {}
        for name, items in PICKLISTS.items():
            category_id = self.gsid()
            self.categories[name] = Category(
                name,
                category_id,
                tuple(
                    PicklistItem(self.gsid(), label, name, category_id, order, active, deleted)
                    for order, (label, active, deleted) in enumerate(items, start=1)
                ),
            )
        self._makers: dict[str, Callable[[int, int], Record]] = {
            "gsuser": self._gsuser,
            "relationship": self._relationship,
            "company_person": self._company_person,
            "call_to_action": self._cta,
            "cs_task": self._task,
            "cta_group": self._success_plan,
            "activity_timeline": self._timeline,
            "renewal_forecast__gc": self._forecast,
            "product_usage__gc": self._usage,
            "email_raw_events": self._email_event,
            "internal_notes__gc": self._note,
        }

    def picklist_rows(self) -> list[Record]:
        """The ``da_picklist`` collection: one row per item of every category."""
        return [
            {
                "Gsid": item.gsid,
                "Name": item.name,
                "Category": item.category,
                "CategoryId": item.category_id,
                "SystemName": item.name,
                "DisplayOrder": item.display_order,
                "IsActive": item.active,
                "Deleted": item.deleted,
                "CtaType": "ALL" if item.category in CTA_CATEGORIES else None,
                "SpType": "ALL" if item.category in SP_CATEGORIES else None,
            }
            for category in self.categories.values()
            for item in category.items
        ]

    def item(self, category: str, *, stale: float = 0.05) -> PicklistItem:
        """An item of ``category``: an active one, or with probability ``stale`` any one."""
        items = self.categories[category].items
        if self.rng.random() < stale:
            return self.rng.choice(items)
        return self.rng.choice([i for i in items if i.active])

    def pick(self, category: str, null_rate: float = 0.0) -> str | None:
        """A PICKLIST value: an item Gsid (or None)."""
        return self.maybe(self.item(category).gsid, null_rate)

    def multi(self, category: str, null_rate: float = 0.2) -> str | None:
        """A MULTISELECTDROPDOWNLIST value: 1-3 item Gsids joined with ``;`` (or None)."""
        if self.rng.random() < null_rate:
            return None
        items = self.categories[category].items
        chosen = self.rng.sample(items, self.rng.randint(1, min(3, len(items))))
        return ";".join(i.gsid for i in sorted(chosen, key=lambda i: i.display_order))

    def ref(self, name: str, null_rate: float = 0.0) -> Record | None:
        """A random record of ``name`` (None if there is none, or with ``null_rate``)."""
        records = self.collections.get(name) or []
        if not records or self.rng.random() < null_rate:
            return None
        return self.rng.choice(records)

    def ref_id(self, name: str, null_rate: float = 0.0) -> str | None:
        record = self.ref(name, null_rate)
        return None if record is None else record["Gsid"]

    def user(self) -> str | None:
        return self.ref_id("gsuser")

    def by(self, record: Record, edited: bool) -> Record:
        """Fill CreatedBy/ModifiedBy: one user made it, maybe another edited it."""
        record["CreatedBy"] = self.user()
        record["ModifiedBy"] = self.user() if edited else record["CreatedBy"]
        return record

    @staticmethod
    def day(ms: int) -> int:
        return ms // DAY_MS * DAY_MS

    def _closed(self, record: Record, status: PicklistItem, closed: set[str], at: int) -> None:
        record["IsClosed"] = status.name in closed or status.name.startswith("Closed")
        record["ClosedDate"] = at if record["IsClosed"] else None

    def make(self, name: str, created: int, modified: int) -> Record:
        """A new record of ``name`` created and modified at the given epoch ms."""
        return _in_describe_order(name, self._makers[name](created, modified))

    def new_user(self, gsid: str | None, created: int, modified: int) -> Record:
        """A gsuser; ``gsid`` given for the users Company.Csm already points to."""
        return _in_describe_order("gsuser", self._user(gsid, created, modified))

    def _user(self, gsid: str | None, created: int, modified: int) -> Record:
        rng = self.rng
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        local = f"{first}.{last}".lower().translate(_ASCII)
        return {
            "Gsid": gsid or self.gsid(),
            "Name": f"{first} {last}",
            "FirstName": first,
            "LastName": last,
            "Email": f"{local}{rng.randint(1, 99)}@cs.example.com",
            "IsActiveUser": rng.random() < 0.9,
            "LicenseType": rng.choice(("Full", "Full", "Viewer", "Admin")),
            "CreatedDate": created,
            "ModifiedDate": modified,
        }

    def _gsuser(self, created: int, modified: int) -> Record:
        return self._user(None, created, modified)

    def _relationship(self, created: int, modified: int) -> Record:
        company = self.ref("Company")
        base = company["Name"] if company else "Unknown"
        record = {
            "Gsid": self.gsid(),
            "Name": f"{base} {self.rng.choice(_PRODUCTS)}",
            "CompanyId": company["Gsid"] if company else None,
            "Status": self.pick("Relationship Status"),
            "Arr": round(self.rng.uniform(500, 500_000), 2),
            "RenewalDate": self.maybe(self.day(created + self.between(30, 400) * DAY_MS), 0.15),
            "Csm": self.maybe(self.user(), 0.1),
            "CreatedDate": created,
            "ModifiedDate": modified,
        }
        return self.by(record, modified > created)

    def _company_person(self, created: int, modified: int) -> Record:
        person = self.ref("Person")
        company_id = (person or {}).get("CompanyId") or self.ref_id("Company")
        record = {
            "Gsid": self.gsid(),
            "Person_ID": person["Gsid"] if person else None,
            "Company_ID": company_id,
            "Role": self.pick("Company Person Role", 0.1),
            "IsPrimaryCompany": self.rng.random() < 0.7,
            "Active": self.rng.random() < 0.9,
            "CreatedDate": created,
            "ModifiedDate": modified,
        }
        return self.by(record, modified > created)

    def _cta(self, created: int, modified: int) -> Record:
        status = self.item("CTA Status")
        record = {
            "Gsid": self.gsid(),
            "Name": self.rng.choice(_CTA_NAMES),
            "CompanyId": self.ref_id("Company"),
            "OwnerId": self.user(),
            "StatusId": status.gsid,
            "PriorityId": self.pick("CTA Priority"),
            "TypeId": self.pick("CTA Type"),
            "ReasonId": self.pick("CTA Reason", 0.2),
            "DueDate": self.day(created + self.between(7, 60) * DAY_MS),
            "IsImportant": self.rng.random() < 0.2,
            "EntityType": "COMPANY",
            "CreatedDate": created,
            "ModifiedDate": modified,
        }
        self._closed(record, status, set(), modified)
        return self.by(record, modified > created)

    def _task(self, created: int, modified: int) -> Record:
        cta = self.ref("call_to_action")
        status = self.item("Task Status")
        record = {
            "Gsid": self.gsid(),
            "Name": self.rng.choice(_TASK_NAMES),
            "CtaId": cta["Gsid"] if cta else None,
            "CompanyId": cta["CompanyId"] if cta else self.ref_id("Company"),
            "OwnerId": self.user(),
            "Status": status.gsid,
            "Priority": self.pick("Task Priority"),
            "DueDate": self.maybe(self.day(created + self.between(1, 30) * DAY_MS), 0.1),
            "CreatedDate": created,
            "ModifiedDate": modified,
        }
        self._closed(record, status, {"Complete", "Cancelled"}, modified)
        return self.by(record, modified > created)

    def _success_plan(self, created: int, modified: int) -> Record:
        company = self.ref("Company")
        plan_type = self.item("Success Plan Type")
        start = self.day(created)
        record = {
            "Gsid": self.gsid(),
            "Name": f"{plan_type.name} plan: {company['Name'] if company else 'Unknown'}",
            "CompanyId": company["Gsid"] if company else None,
            "OwnerId": self.user(),
            "StatusId": self.pick("Success Plan Status"),
            "TypeId": plan_type.gsid,
            "StartDate": start,
            "DueDate": start + self.between(30, 180) * DAY_MS,
            "Description": self.maybe("Agreed with the customer's sponsor.", 0.4),
            "CreatedDate": created,
            "ModifiedDate": modified,
        }
        return self.by(record, modified > created)

    def _timeline(self, created: int, modified: int) -> Record:
        rng = self.rng
        relationship = self.ref("relationship", 0.7)
        names = [self.ref("gsuser") for _ in range(rng.randint(0, 2))]
        return {
            "Gsid": self.gsid(),
            "Subject": rng.choice(_SUBJECTS),
            "Notes": self.maybe(rng.choice(_NOTES), 0.1),
            "ActivityDate": max(0, created - self.between(0, 3 * DAY_MS)),
            "contextname": "Relationship" if relationship else "Company",
            "GsCompanyId": relationship["CompanyId"] if relationship else self.ref_id("Company"),
            "GsRelationshipId": relationship["Gsid"] if relationship else None,
            "AuthorId": self.user(),
            "InternalAttendees": "; ".join(n["Name"] for n in names if n) or None,
            "ExternalAttendees": self.maybe(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", 0.5),
            "ExternalId": self.maybe(f"{rng.getrandbits(64):016x}", 0.6),
            "Ant__Sentiment__c": self.pick("Timeline Sentiment", 0.2),
            "Ant__Duration__c": self.maybe(rng.choice((15, 30, 45, 60, 90)), 0.3),
            "CreatedDate": created,
            "LastModifiedDate": modified,
        }

    def _forecast(self, created: int, modified: int) -> Record:
        rng = self.rng
        company = self.ref("Company")
        year = from_ms(created).year + 1  # the fiscal year of the renewal
        record = {
            "Name__gc": f"FY{year} renewal: {company['Name'] if company else 'Unknown'}",
            "Gsid": self.gsid(),
            "Company_ID__gc": company["Gsid"] if company else None,
            "Owner__gc": self.maybe(self.user(), 0.05),
            "Forecast_ARR__gc": round(rng.uniform(1_000, 900_000), 2),
            "Seats__gc": rng.randint(5, 5000),
            "Probability__gc": round(rng.uniform(0, 100), 1),
            "Committed__gc": rng.random() < 0.4,
            "Renewal_Date__gc": self.maybe(self.day(created + self.between(30, 365) * DAY_MS), 0.1),
            "Last_Reviewed__gc": self.maybe(self.between(created, modified + 1), 0.2),
            "Forecast_Stage__gc": self.pick("Forecast Stage", 0.05),
            "Risk_Factors__gc": self.multi("Risk Factors", 0.3),
            "CreatedDate": created,
            "ModifiedDate": modified,
        }
        return self.by(record, modified > created)

    def _usage(self, created: int, modified: int) -> Record:
        rng = self.rng
        seats = rng.randint(10, 2000)
        active = int(seats * rng.uniform(0.1, 1.2))
        first_of_month = from_ms(created).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return {
            "Gsid": self.gsid(),
            "Company_ID__gc": self.ref_id("Company"),
            "Month__gc": to_ms(first_of_month),
            "Active_Users__gc": active,
            "Licensed_Seats__gc": seats,
            "Adoption_Score__gc": round(rng.uniform(0, 10), 2),
            "Over_Limit__gc": active > seats,
            "Health__gc": self.pick("Usage Health", 0.1),
            "Modules__gc": self.multi("Product Modules", 0.1),
            "Tags__gc": self.multi("Usage Tags", 0.5),
            "Last_Sync__gc": self.maybe(modified, 0.1),
            "CreatedDate": created,
            "ModifiedDate": modified,
        }

    def _email_event(self, created: int, modified: int) -> Record:
        person = self.ref("Person")
        return {
            "Gsid": self.gsid(),
            "EventType": self.rng.choice(_EMAIL_EVENTS),
            "Email": person["Email"] if person else None,
            "PersonId": person["Gsid"] if person else None,
            "EventDate": created,
            "Subject": self.rng.choice(("Welcome!", "Your QBR deck", "Renewal reminder")),
            "CreatedDate": created,
            "ModifiedDate": modified,
        }

    def _note(self, created: int, modified: int) -> Record:
        record = {
            "Gsid": self.gsid(),
            "Company_ID__gc": self.ref_id("Company"),
            "Note__gc": self.rng.choice(_NOTES),
            "Confidential__gc": self.rng.random() < 0.5,
            "CreatedDate": created,
            "ModifiedDate": modified,
        }
        return self.by(record, modified > created)

    def edit(self, name: str, record: Record, at: int) -> None:
        """What an edit at ``at`` changes besides the modified date (and ``ModifiedBy``)."""
        rng = self.rng
        if "ModifiedBy" in record:
            record["ModifiedBy"] = self.user()
        if name == "gsuser":
            record["IsActiveUser"] = rng.random() < 0.9
            record["LicenseType"] = rng.choice(("Full", "Viewer", "Admin"))
        elif name == "relationship":
            record["Status"] = self.pick("Relationship Status")
            record["Arr"] = round(rng.uniform(500, 500_000), 2)
        elif name == "company_person":
            record["Role"] = self.pick("Company Person Role", 0.1)
            record["Active"] = rng.random() < 0.9
        elif name == "call_to_action":
            status = self.item("CTA Status")
            record["StatusId"] = status.gsid
            record["PriorityId"] = self.pick("CTA Priority")
            self._closed(record, status, set(), at)
        elif name == "cs_task":
            status = self.item("Task Status")
            record["Status"] = status.gsid
            self._closed(record, status, {"Complete", "Cancelled"}, at)
        elif name == "cta_group":
            record["StatusId"] = self.pick("Success Plan Status")
        elif name == "activity_timeline":
            record["Notes"] = rng.choice(_NOTES)
            record["Ant__Sentiment__c"] = self.pick("Timeline Sentiment", 0.2)
        elif name == "renewal_forecast__gc":
            record["Forecast_Stage__gc"] = self.pick("Forecast Stage", 0.05)
            record["Probability__gc"] = round(rng.uniform(0, 100), 1)
            record["Last_Reviewed__gc"] = at
        elif name == "product_usage__gc":
            record["Active_Users__gc"] = rng.randint(1, 2000)
            record["Over_Limit__gc"] = record["Active_Users__gc"] > record["Licensed_Seats__gc"]
            record["Last_Sync__gc"] = at
        elif name == "email_raw_events":
            record["EventType"] = rng.choice(_EMAIL_EVENTS)
        elif name == "internal_notes__gc":
            record["Note__gc"] = rng.choice(_NOTES)
