"""An in-process emulator of the Gainsight CS (NXT) Data API read endpoints, for tests and demos.

Point a client at ``base_url`` (the tenant's domain; paths start with ``/v1/``) with header
``accesskey: <access_key>``: it serves a seeded, deterministic tenant with the real API's
envelopes, operators, paging limits, per-minute quota and documented quirks (docs/api.md,
"CS: ..."), plus the PX emulator's ``Faults``. Modules: ``objects`` (the schema), ``values``,
``generate`` (records and data traps), ``tenant``, ``deletes``, ``metadata`` (list and
describe), ``query``, ``quirks``, ``worlds``, ``ratelimit``, ``errors``, ``server``;
``__main__`` serves one as a process.

Example::

    with CSEmulator(CSTenant.generate(seed=1)) as emu:
        requests.post(f"{emu.base_url}/v1/data/objects/query/Company",
                      headers={"accesskey": emu.access_key},
                      json={"select": ["Gsid", "Name"], "limit": 10})
"""

from __future__ import annotations

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
]
