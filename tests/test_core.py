"""The SDK's standard tap tests, run against a PX emulator on 127.0.0.1.

`parse_env_config=False` keeps TAP_GAINSIGHT_* variables (a real key, say) out of the tests,
so no test can ever reach a real tenant.
"""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_gainsight.tap import TapGainsight
from tests.conftest import API_KEY, SEED
from tests.emulator import Emulator, Tenant, TenantSize

# The generated test class takes its config when this module is imported, before any
# fixture runs, so this emulator starts here and stops when the test session ends.
_EMULATOR = Emulator(Tenant.generate(seed=SEED, size=TenantSize.small()), api_key=API_KEY)
_EMULATOR.start()
atexit.register(_EMULATOR.stop)

TestTapGainsight = get_tap_test_class(
    TapGainsight,
    config={"api_key": API_KEY, "api_url": _EMULATOR.base_url, "max_requests_per_second": 10_000},
    parse_env_config=False,
    suite_config=SuiteConfig(max_records_limit=250),
)
