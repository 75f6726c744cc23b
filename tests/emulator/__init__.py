"""An in-process emulator of the Gainsight PX REST API (v1, and ``/v2/feature_ext``), for tests
and demos.

Point a client at ``base_url`` with header ``X-APTRINSIC-API-KEY: <api_key>``: it serves a
seeded, deterministic tenant with the real API's envelopes, paging, filters, date-window
rules and quirks (docs/api.md, "PX: ..."), plus switchable faults. Modules: ``tenant`` (the
data), ``filters``, ``endpoints``, ``admin``, ``index`` (events by date), ``scrolls``,
``quirks``, ``drift``, ``faults``, ``errors``, ``server``, ``__main__``; ``cs`` is
the CS Data API emulator.

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
