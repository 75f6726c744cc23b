"""An in-process emulator of the Gainsight PX REST API (v1, and ``/v2/feature_ext``), for tests
and demos.

It embodies the API reference, docs/api.md (cited by topic in docstrings): start it, point a client
at ``base_url`` with header ``X-APTRINSIC-API-KEY: <api_key>``, and it serves a seeded,
deterministic tenant with the real API's envelopes, paging, filters, date-window rules and
quirks, plus switchable faults.

Modules, one concern each:

* ``tenant``    -- the data (``Tenant``, ``TenantSize``), clock and mutations;
* ``filters``   -- the ``filter``/``sort`` query syntax;
* ``endpoints`` -- every endpoint family (scroll, event windows, page-number, attributes);
* ``admin``     -- subscription, integrations, engagement collisions, user preferences,
  ``/v2/feature_ext`` and ``/v1/engagement/extended``, with their data (``emulator.admin``);
* ``index``     -- the date index of each event collection (the fast path of event reads);
* ``scrolls``   -- server-side scroll cursors;
* ``encoding``  -- JSON encoding (msgspec or orjson if installed, else the standard library);
* ``quirks``    -- real-API behaviours as flags (``Quirks``): documented quirks, and worlds
  where the docs are silent;
* ``drift``     -- the drifted-types world: its table, and a record as it drifts (``Drift``);
* ``faults``    -- injected failures (``Faults``) and their order;
* ``errors``    -- the ``externalapierror`` envelope;
* ``server``    -- HTTP plumbing (``Emulator``, ``RequestRecord``);
* ``__main__``  -- ``python -m tests.emulator`` for demos;
* ``cs``        -- the Gainsight CS (NXT) Data API emulator, a package of its own.

Example::

    with Emulator(Tenant.generate(seed=1, size=TenantSize.small())) as emu:
        requests.get(f"{emu.base_url}/users", headers={"X-APTRINSIC-API-KEY": emu.api_key})
"""

from .endpoints import MAX_PAGE_SIZE, RECORDS_KEYS
from .faults import Faults
from .quirks import Quirks
from .server import Emulator, RequestRecord
from .tenant import Tenant, TenantSize

__all__ = [
    "MAX_PAGE_SIZE",
    "RECORDS_KEYS",
    "Emulator",
    "Faults",
    "Quirks",
    "RequestRecord",
    "Tenant",
    "TenantSize",
]

# Gainsight CS (NXT) Data API emulator: the package ``cs`` (see its docstring).
from .cs import CSEmulator, CSQuirks, CSRequestRecord, CSTenant

__all__ += ["CSEmulator", "CSQuirks", "CSRequestRecord", "CSTenant"]
