"""An in-process emulator of the Gainsight CS (NXT) Data API read endpoints, for tests and demos.

It embodies what is known of the real API (docs/api.md, "CS: transport and limits", cited by topic
in
docstrings). Start it, point a client at ``base_url`` (the tenant's domain;
paths start with ``/v1/…``) with header ``accesskey: <access_key>``, and it serves a seeded,
deterministic tenant with the real API's envelopes, operators, paging limits, per-minute
quota and documented quirks, plus the PX emulator's switchable ``Faults``.

What a client learns here about the CS API
------------------------------------------

* **Discover** objects with ``GET /v1/meta/services/objects/list`` (lower-case names, types
  STANDARD/CUSTOM/SYSTEM, ``readable``; Person is missing from it) and their fields with
  ``POST /v1/meta/services/objects/describe`` (data types, lookups, picklist options):
  ``metadata``.
* **Read** any object with ``POST /v1/data/objects/query/{object}`` (select / where /
  orderBy / limit <= 5000 / offset), names in any casing: ``query``. Dates come back as epoch
  ms; picklist fields as item Gsids, whose labels are in describe ``options`` or
  ``da_picklist``; lookups as the target's Gsid.
* **Replicate** on ``ModifiedDate``, except ``activity_timeline`` (``LastModifiedDate``, no
  ``ModifiedDate``) and ``da_picklist`` (no date: full table). Expect shared milliseconds,
  null modified dates and records changing under a running sync: ``generate``, ``tenant``.
* **Deletes** are in ``record_delete_log`` and (on some tenants only)
  ``record_delete_log_high_volume``, ISO ``DeletedOn`` strings, kept 15 days: ``deletes``.
* The objects: ``objects`` (a table of all of them, their names, fields and picklists).

Modules, one concern each:

* ``objects``   -- the schema: ``ObjectDef``/``FieldDef`` of every object, picklist categories;
* ``values``    -- how records hold values (epoch ms, ISO strings), time conversions;
* ``generate``  -- seeded record factories, picklist Gsids and the planted data traps;
* ``tenant``    -- ``CSTenant``: the collections, clock and mutations (advance, touch, delete);
* ``deletes``   -- the delete logs: entries, fields, the high-volume log, retention;
* ``metadata``  -- the objects list and describe answers;
* ``query``     -- the query body: ``select``, ``where`` (+ expression parser), ``orderBy``,
  ``limit``/``offset``;
* ``quirks``    -- documented behaviours, and worlds where the docs are silent, as flags
  (``CSQuirks``); the drifted-types world's table is the PX emulator's ``drift``;
* ``worlds``    -- what the valued worlds (refused fields and objects, text dates, a page
  cap) do to a query's answer;
* ``ratelimit`` -- the sliding-window per-minute quota;
* ``errors``    -- the envelopes, ``OBJECT_NOT_FOUND`` and error codes;
* ``server``    -- HTTP plumbing and routing (``CSEmulator``, ``CSRequestRecord``);
* ``cli``, ``__main__`` -- ``python -m tests.emulator.cs`` for demos (see ``cli``).

Shared with the PX emulator, one level up: ``faults``, ``serving``, ``encoding``.

Example::

    with CSEmulator(CSTenant.generate(seed=1)) as emu:
        requests.post(f"{emu.base_url}/v1/data/objects/query/Company",
                      headers={"accesskey": emu.access_key},
                      json={"select": ["Gsid", "Name"], "limit": 10})
"""

from __future__ import annotations

from .cli import main
from .deletes import DELETE_LOG, DELETE_LOG_FIELDS, HIGH_VOLUME_LOG, RETENTION_DAYS
from .errors import CSError, ObjectNotFound
from .objects import OBJECT_FIELDS, OBJECTS, PICKLISTS, FieldDef, ObjectDef, find_object
from .query import DEFAULT_LIMIT, MAX_LIMIT, OPERATORS
from .quirks import CSQuirks
from .ratelimit import RateLimiter
from .server import CSEmulator, CSRequestRecord
from .tenant import CSTenant

__all__ = [
    "DEFAULT_LIMIT",
    "DELETE_LOG",
    "DELETE_LOG_FIELDS",
    "HIGH_VOLUME_LOG",
    "MAX_LIMIT",
    "OBJECTS",
    "OBJECT_FIELDS",
    "OPERATORS",
    "PICKLISTS",
    "RETENTION_DAYS",
    "CSEmulator",
    "CSError",
    "CSQuirks",
    "CSRequestRecord",
    "CSTenant",
    "FieldDef",
    "ObjectDef",
    "ObjectNotFound",
    "RateLimiter",
    "find_object",
    "main",
]
