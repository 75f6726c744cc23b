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

from .objects import OBJECT_FIELDS
from .quirks import CSQuirks
from .server import CSEmulator, CSRequestRecord
from .tenant import CSTenant

__all__ = ["OBJECT_FIELDS", "CSEmulator", "CSQuirks", "CSRequestRecord", "CSTenant"]
