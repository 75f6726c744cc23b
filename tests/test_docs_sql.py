"""Every ```sql block of README.md and docs/*.md runs in the demo's DuckDB warehouse.

The warehouse is loaded as `make demo` loads it (`meltano run tap-gainsight target-duckdb`
from the PX and CS emulators, unflattened) into a file named `gainsight.duckdb`, so its
catalog and schema share the name `gainsight` as in `output/gainsight.duckdb`, and each
block runs on a fresh connection, as a reader's `duckdb output/gainsight.duckdb` would. A
dbt `{{ source('gainsight', 'x') }}` stands for the table `gainsight.gainsight.x`.
PostgreSQL examples are fenced `plpgsql` and not run here.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import API_KEY, CS_ACCESS_KEY, SEED
from tests.emulator import Emulator, Tenant, TenantSize
from tests.emulator.cs import CSEmulator, CSTenant
from tests.meltano_project import install_plugins, meltano, meltano_env

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SQL_BLOCK = re.compile(r"^[ \t]*```sql\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
DBT_SOURCE = re.compile(r"\{\{\s*source\('(\w+)',\s*'(\w+)'\)\s*\}\}")


def sql_blocks() -> list[tuple[str, str]]:
    """(where, sql) of every ```sql block, dbt sources resolved to the warehouse's tables."""
    blocks = []
    for path in DOCS:
        text = path.read_text()
        for match in SQL_BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            sql = DBT_SOURCE.sub(r"\1.\1.\2", match.group(1))
            blocks.append((f"{path.relative_to(ROOT)}:{line}", sql))
    return blocks


BLOCKS = sql_blocks()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """The demo's warehouse: both emulators through Meltano into target-duckdb."""
    tmp_path = tmp_path_factory.mktemp("docs-sql")
    path = tmp_path / "gainsight.duckdb"
    tenant = Tenant.generate(seed=SEED, size=TenantSize.small())
    with (
        Emulator(tenant, api_key=API_KEY) as px,
        CSEmulator(
            CSTenant.generate(seed=SEED), access_key=CS_ACCESS_KEY, requests_per_minute=None
        ) as cs,
    ):
        settings = {
            "api_key": API_KEY,
            "api_url": px.base_url,
            "start_date": (tenant.now - dt.timedelta(days=190)).isoformat(),
            "end_date": (tenant.now + dt.timedelta(minutes=1)).isoformat(),
            "max_requests_per_second": 10_000,
            "cs_api_url": cs.base_url,
            "cs_access_key": CS_ACCESS_KEY,
            "cs_requests_per_minute": 100_000,
        }
        env = meltano_env(tmp_path, settings, TARGET_DUCKDB_FILEPATH=str(path))
        install_plugins(env, "tap-gainsight", "target-duckdb")
        meltano("run", "tap-gainsight", "target-duckdb", env=env)
    return path


def test_the_docs_have_sql_to_run() -> None:
    wheres = {where.split(":")[0] for where, _ in BLOCKS}
    assert {"README.md", "docs/data-model.md"} <= wheres, wheres


@pytest.mark.parametrize(("where", "sql"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_sql_block_runs_in_the_demo_warehouse(warehouse, where, sql) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        try:
            connection.execute(sql).fetchall()
        except duckdb.Error as error:
            pytest.fail(f"{where}: {error}\n{sql}")
