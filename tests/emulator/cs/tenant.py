"""One emulated Gainsight CS tenant: its records, clock and mutations.

``CSTenant.generate(seed)`` builds every object of ``objects.OBJECTS`` from seeded random
streams (``generate``): equal arguments, equal records. ``tenant.collections`` maps each
object's canonical name, and the delete logs (``deletes``), to its records in storage order.
Defaults: 700 companies, 2,600 people, the other objects at ``ObjectDef.size``; lookups point
at records of the tenant. The clock is fixed (2026-11-20T12:00:00Z) unless given.

Mutations (``advance``, ``delete``) run under ``lock`` and replace records by
modified copies, so a record a test holds keeps its old values; a delete is logged and leaves
lookups to it dangling.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from tests.emulator.tenant import Clocked

from .deletes import DELETE_LOG, HIGH_VOLUME_LOG, initial_deletions, log_entry
from .generate import CoreGenerator, ObjectFactory, plant_traps
from .objects import OBJECTS, ObjectDef, find_object
from .values import DAY_MS, DEFAULT_NOW, Record, to_ms

#: How far back created and modified dates go.
HISTORY_DAYS = 730
#: Company and Person: made by ``CoreGenerator``, from the tenant's first random stream.
CORE_OBJECTS = ("Company", "Person")
#: The other objects, in the order they are made (an object after those it looks up).
MADE_IN_ORDER = (
    "gsuser",
    "relationship",
    "company_person",
    "call_to_action",
    "cs_task",
    "cta_group",
    "activity_timeline",
    "renewal_forecast__gc",
    "product_usage__gc",
    "email_raw_events",
    "internal_notes__gc",
)


class CSTenant(Clocked):
    """One Gainsight CS tenant. Build it with ``generate()``."""

    def __init__(
        self,
        *,
        seed: int,
        now: datetime,
        collections: dict[str, list[Record]],
        generator: CoreGenerator,
        factory: ObjectFactory,
        high_volume_log: bool = False,
    ) -> None:
        self.seed = seed
        self._now = now
        #: Canonical object name -> its records, in storage order; also the delete logs.
        self.collections = collections
        self._gen = generator
        self._factory = factory
        #: Whether the tenant has ``record_delete_log_high_volume`` (else OBJECT_NOT_FOUND).
        self.high_volume_log = high_volume_log
        #: Held by the mutations; the server holds it while it runs a query.
        self.lock = threading.RLock()

    @classmethod
    def generate(
        cls,
        seed: int = 1,
        companies: int = 700,
        people: int = 2600,
        now: datetime | None = None,
        *,
        high_volume_log: bool = False,
    ) -> CSTenant:
        """Build a tenant of ``companies`` and ``people`` at ``now`` (tz-aware, default
        ``DEFAULT_NOW``); equal arguments give equal data."""
        now = (now or DEFAULT_NOW).astimezone(timezone.utc)
        now_ms = to_ms(now)
        lo = now_ms - HISTORY_DAYS * DAY_MS

        # Company and Person first, from the first stream, exactly as ever.
        gen = CoreGenerator(seed)
        company_records = [gen.company(*gen.audit(lo, now_ms), now_ms) for _ in range(companies)]
        company_ids = [c["Gsid"] for c in company_records]
        person_records = [gen.person(*gen.audit(lo, now_ms), company_ids) for _ in range(people)]
        plant_traps(gen.rng, company_records, now_ms)
        plant_traps(gen.rng, person_records, now_ms)

        collections: dict[str, list[Record]] = {o.name: [] for o in OBJECTS}
        collections["Company"] = company_records
        collections["Person"] = person_records
        factory = ObjectFactory(seed, gen.gsids, collections)
        collections["da_picklist"] = factory.picklist_rows()
        for name in MADE_IN_ORDER:
            obj = find_object(name)
            assert obj is not None
            size = obj.size
            records = collections[name]
            if name == "gsuser":  # the users Company.Csm points to come first
                for gsid in gen.csm_ids[:size]:
                    records.append(factory.new_user(gsid, *factory.audit(lo, now_ms)))
            while len(records) < size:
                records.append(factory.make(name, *factory.audit(lo, now_ms)))
            assert obj.modified_field is not None
            plant_traps(factory.rng, records, now_ms, obj.modified_field, at_least=2)

        collections[DELETE_LOG] = []
        if high_volume_log:
            collections[HIGH_VOLUME_LOG] = []
        tenant = cls(
            seed=seed,
            now=now,
            collections=collections,
            generator=gen,
            factory=factory,
            high_volume_log=high_volume_log,
        )
        dated = [o.name for o in OBJECTS if o.modified_field is not None]
        for entry in initial_deletions(factory.rng, factory.gsid, now_ms, dated):
            obj = tenant.object_def(entry["ObjectName"])
            tenant.collections[tenant.delete_log_of(obj)].append(entry)
        return tenant

    @property
    def objects(self) -> tuple[ObjectDef, ...]:
        """Every object of the tenant, in objects-list order (the delete logs are not ones)."""
        return OBJECTS

    def object_def(self, name: str) -> ObjectDef:
        """The object called ``name`` (case-insensitive)."""
        obj = find_object(name)
        assert obj is not None, name
        return obj

    def records(self, name: str) -> list[Record]:
        """The records of the object called ``name`` (case-insensitive), the live list."""
        return self.collections[self.object_def(name).name]

    def delete_log_of(self, obj: ObjectDef) -> str:
        """Which log the deletions of ``obj`` go to."""
        return HIGH_VOLUME_LOG if obj.high_volume and self.high_volume_log else DELETE_LOG

    def advance(
        self, delta: timedelta, *, touch: int = 20, new: int = 5
    ) -> dict[str, list[Record]]:
        """Move the clock forward by ``delta``: per dated object, ``touch`` records edited and
        ``new`` ones made inside (old now, new now]; return them per object."""
        with self.lock:
            gen, factory = self._gen, self._factory
            old_ms = self.now_ms
            self._now += delta
            new_ms = self.now_ms
            changed: dict[str, list[Record]] = {}
            for obj in OBJECTS:
                if obj.modified_field is None:
                    continue
                name = obj.name
                # Company and Person draw from the first stream, as they always have.
                draws = gen if name in CORE_OBJECTS else factory
                changed[name] = [
                    self._modify(name, i, draws.between(old_ms + 1, new_ms + 1))
                    for i in self._pick(name, touch)
                ]
                company_ids = [c["Gsid"] for c in self.collections["Company"]]
                for _ in range(new):
                    at = draws.between(old_ms + 1, new_ms + 1)
                    if name == "Company":
                        record = gen.company(at, at, new_ms)
                    elif name == "Person":
                        record = gen.person(at, at, company_ids)
                    else:
                        record = factory.make(name, at, at)
                    self.collections[name].append(record)
                    changed[name].append(record)
            return changed

    def delete(self, object_name: str, n: int, at: datetime | None = None) -> list[Record]:
        """Remove ``n`` records of an object (picked by the seeded stream) and log them as deleted
        at ``at`` (default: the clock) in the delete log of their object; return them.

        The real API keeps entries for 15 days; the emulator keeps them all.
        """
        obj = self.object_def(object_name)
        with self.lock:
            at_ms = self.now_ms if at is None else to_ms(at)
            records = self.collections[obj.name]
            picks = self._factory.rng.sample(range(len(records)), min(n, len(records)))
            removed = [records[i] for i in picks]
            for i in sorted(picks, reverse=True):
                del records[i]
            log = self.collections[self.delete_log_of(obj)]
            log.extend(log_entry(r["Gsid"], at_ms, obj.name) for r in removed)
            return removed

    def _pick(self, name: str, n: int) -> list[int]:
        records = self.collections[name]
        rng = self._gen.rng if name in CORE_OBJECTS else self._factory.rng
        return rng.sample(range(len(records)), min(n, len(records)))

    def _modify(self, name: str, index: int, at_ms: int) -> Record:
        """Replace record ``index`` by an edited copy modified at ``at_ms`` (copy-on-write)."""
        records = self.collections[name]
        record = dict(records[index])
        obj = self.object_def(name)
        assert obj.modified_field is not None
        record[obj.modified_field] = at_ms
        if name in CORE_OBJECTS:
            self._gen.edit(name, record)
        else:
            self._factory.edit(name, record, at_ms)
        records[index] = record
        return record
