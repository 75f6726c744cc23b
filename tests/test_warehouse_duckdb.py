"""`meltano run tap-gainsight target-duckdb` from this project's meltano.yml, end to end."""

from __future__ import annotations

import datetime as dt
import typing as t

import duckdb

from tap_gainsight.px.entities import PX_ENTITY_ENDPOINTS
from tap_gainsight.px.events import PX_EVENT_ENDPOINTS
from tests.conftest import API_KEY, CS_ACCESS_KEY, SEED
from tests.emulator import Emulator, Tenant, TenantSize
from tests.emulator.cs import CSEmulator, CSTenant
from tests.meltano_project import install_plugins, meltano, meltano_env

HOUR_MS = 3_600_000
SIZE = TenantSize(
    users=300,
    accounts=40,
    features=230,
    segments=210,
    engagements=510,
    articles=505,
    kc_bots=12,
    history_days=400,
    events_per_day=2,
)


def table_counts(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "select table_catalog, table_name from information_schema.tables "
            "where table_schema = 'gainsight'"
        ).fetchall()
        return {
            table: connection.execute(
                f'select count(*) from "{catalog}".gainsight."{table}"'
            ).fetchone()[0]
            for catalog, table in tables
        }


def query(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def load_settings(emulator) -> tuple[dict, int]:
    """Tap settings for a warehouse load of 401 days, flattened; and that start in epoch ms."""
    tenant = emulator.tenant
    settings = {
        "api_key": API_KEY,
        "api_url": emulator.base_url,
        "start_date": (tenant.now - dt.timedelta(days=401)).isoformat(),
        "max_requests_per_second": 10_000,
        "flattening_enabled": "true",
        "flattening_max_depth": 1,
    }
    return settings, tenant.now_ms - 401 * 86_400_000


def incremental_bookmarks(tenant) -> dict[str, int]:
    """Where the first run's bookmarks stand: the newest users and events it loaded."""
    bookmarks = {"users": max(u["lastModifiedDate"] for u in tenant.collections["/users"])}
    for endpoint in PX_EVENT_ENDPOINTS:
        bookmarks[endpoint.name] = max(e["date"] for e in tenant.collections[endpoint.path])
    return bookmarks


def resent_counts(tenant, bookmarks: dict[str, int]) -> dict[str, int]:
    """Rows the second run writes again: users since the bookmark, events since it less the
    default lookback."""
    counts = {
        "users": sum(
            1 for u in tenant.collections["/users"] if u["lastModifiedDate"] >= bookmarks["users"]
        )
    }
    for endpoint in PX_EVENT_ENDPOINTS:
        since = bookmarks[endpoint.name] - HOUR_MS
        counts[endpoint.name] = sum(
            1 for e in tenant.collections[endpoint.path] if e["date"] >= since
        )
    return counts


def held_counts(emulator, since_ms: int) -> dict[str, int]:
    """Rows the warehouse should hold: every entity and admin list, and the events and
    collisions from `start_date` on."""
    tenant, admin = emulator.tenant, emulator.admin
    counts = {e.name: len(tenant.collections[e.path]) for e in PX_ENTITY_ENDPOINTS}
    for endpoint in PX_EVENT_ENDPOINTS:
        held = tenant.collections[endpoint.path]
        counts[endpoint.name] = sum(1 for r in held if r["date"] >= since_ms)
    counts["subscription"] = 1
    counts["integrations"] = len(admin.integrations)
    counts["engagement_collisions"] = sum(
        1 for c in admin.collisions if c["triggeredDate"] >= since_ms
    )
    return counts


#: Fields the emulator starts to send between the two runs: (table, path, key, field).
NEW_FIELDS = (
    ("users", "/users", "aptrinsicId", "lifecycleStage"),
    ("page_view_events", "/events/pageView", "eventId", "scrollDepth"),
)


def start_sending_new_fields(tenant) -> None:
    """A release of the API: a text field on every user, a number on every page view."""
    tenant.add_field("/users", "lifecycleStage", lambda u: f"stage-{u['score'] % 3}")
    tenant.add_field("/events/pageView", "scrollDepth", lambda e: e["date"] % 97)


def new_field_values(tenant, path: str, key: str, field: str) -> dict[str, t.Any]:
    return {r[key]: r[field] for r in tenant.collections[path]}


def test_duckdb_load_then_incremental_run(tmp_path) -> None:
    tenant = Tenant.generate(seed=SEED, size=SIZE)
    warehouse = tmp_path / "warehouse.duckdb"
    with Emulator(tenant, api_key=API_KEY) as emulator:
        settings, since_ms = load_settings(emulator)
        env = meltano_env(tmp_path, settings, TARGET_DUCKDB_FILEPATH=str(warehouse))
        install_plugins(env, "tap-gainsight", "target-duckdb")

        meltano("run", "tap-gainsight", "target-duckdb", env=env)
        assert table_counts(warehouse) == held_counts(emulator, since_ms)

        columns = dict(
            query(
                warehouse,
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'gainsight' and table_name = 'users'",
            )
        )
        assert columns["lastmodifieddate"].startswith("TIMESTAMP")
        assert columns["customattributes__trialenddate"].startswith("TIMESTAMP")
        assert columns["customattributes__seats"] in {"DOUBLE", "BIGINT", "NUMERIC"}
        assert columns["customattributes__betatester"] == "BOOLEAN"

        first_batch = query(warehouse, "select max(_sdc_batched_at) from gainsight.users")[0][0]
        bookmarks = incremental_bookmarks(tenant)
        tenant.advance(dt.timedelta(days=3))
        start_sending_new_fields(tenant)

        meltano("run", "tap-gainsight", "target-duckdb", env=env)
        assert table_counts(warehouse) == held_counts(emulator, since_ms)

        def rewritten(table: str) -> int:
            sql = f"select count(*) from gainsight.{table} where _sdc_batched_at > ?"
            with duckdb.connect(str(warehouse), read_only=True) as connection:
                return connection.execute(sql, [first_batch]).fetchone()[0]

        resent = resent_counts(tenant, bookmarks)
        assert resent["users"] < len(tenant.collections["/users"]) / 5
        assert {table: rewritten(table) for table in resent} == resent

        # The new fields are columns, holding the values of the rows this run wrote.
        for table, path, key, field in NEW_FIELDS:
            loaded = dict(
                query(
                    warehouse,
                    f"select {key.lower()}, {field.lower()} from gainsight.{table} "
                    f"where {field.lower()} is not null",
                )
            )
            values = new_field_values(tenant, path, key, field)
            assert loaded == {k: values[k] for k in loaded}, table
            assert len(loaded) == resent[table] > 0, table


#: CS stream names that differ from the object's.
CS_RENAMED = {"Company": "companies", "Person": "people"}


def cs_held_counts(tenant: CSTenant) -> dict[str, int]:
    """Rows a CS load holds: every readable standard and custom object, and the delete log."""
    counts = {
        CS_RENAMED.get(o.name, o.name): len(tenant.records(o.name))
        for o in tenant.objects
        if o.object_type in {"STANDARD", "CUSTOM"} and o.readable
    }
    logs = ("record_delete_log", "record_delete_log_high_volume")
    counts["deleted_records"] = sum(len(tenant.collections.get(log, [])) for log in logs)
    return counts


def test_duckdb_load_of_every_cs_object_and_the_delete_log(tmp_path) -> None:
    tenant = CSTenant.generate(seed=SEED)
    warehouse = tmp_path / "cs.duckdb"
    with CSEmulator(tenant, access_key=CS_ACCESS_KEY, requests_per_minute=None) as emulator:
        settings = {
            "cs_api_url": emulator.base_url,
            "cs_access_key": CS_ACCESS_KEY,
            "cs_requests_per_minute": 100_000,
            "flattening_enabled": "true",
            "flattening_max_depth": 1,
        }
        env = meltano_env(tmp_path, settings, TARGET_DUCKDB_FILEPATH=str(warehouse))
        install_plugins(env, "tap-gainsight", "target-duckdb")
        meltano("run", "tap-gainsight", "target-duckdb", env=env)

    assert table_counts(warehouse) == cs_held_counts(tenant)
    columns = dict(
        query(
            warehouse,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'gainsight' and table_name = 'renewal_forecast__gc'",
        )
    )
    assert columns["renewal_date__gc"].startswith("TIMESTAMP")
    assert columns["committed__gc"] == "BOOLEAN"
