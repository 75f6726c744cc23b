"""Rows deleted in Gainsight leave PostgreSQL: ACTIVATE_VERSION through `meltano run`."""

from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import API_KEY, SEED
from tests.emulator import Emulator, Tenant, TenantSize
from tests.meltano_project import install_plugins, meltano, meltano_env
from tests.postgres_server import PostgresServer, postgres_server  # noqa: F401 (fixture)

SIZE = TenantSize(
    users=150,
    accounts=20,
    features=230,
    segments=210,
    engagements=20,
    articles=20,
    kc_bots=3,
    history_days=10,
    events_per_day=1,
)


def ids(db: PostgresServer, table: str, key: str = "id", where: str = "true") -> set[str]:
    return {row[0] for row in db.psql(f'select "{key}" from gainsight.{table} where {where}')}


def held_ids(tenant, path: str, key: str = "id") -> set[str]:
    return {r[key] for r in tenant.collections[path]}


def warehouse(postgres_server: PostgresServer, tmp_path, emulator, **settings) -> tuple:  # noqa: F811
    """A database of its own and the Meltano environment that loads the emulator into it."""
    db = dataclasses.replace(postgres_server, database=f"deletes_{tmp_path.name[-24:].lower()}")
    postgres_server.psql(f'create database "{db.database}"')
    env = meltano_env(
        tmp_path,
        {"api_key": API_KEY, "api_url": emulator.base_url, "max_requests_per_second": 10_000},
        TARGET_POSTGRES_HOST=db.host,
        TARGET_POSTGRES_PORT=str(db.port),
        TARGET_POSTGRES_USER=db.user,
        TARGET_POSTGRES_PASSWORD="unused-trust-auth",
        TARGET_POSTGRES_DATABASE=db.database,
        **{f"TARGET_POSTGRES_{k.upper()}": v for k, v in settings.items()},
    )
    install_plugins(env, "tap-gainsight", "tap-gainsight-entities-full", "target-postgres")
    return db, env


@pytest.mark.parametrize("hard_delete", [True, False], ids=["hard", "soft"])
def test_deleted_features_and_segments_leave_the_warehouse(
    tmp_path,
    postgres_server,  # noqa: F811
    hard_delete,
) -> None:
    tenant = Tenant.generate(seed=SEED, size=SIZE)
    with Emulator(tenant, api_key=API_KEY) as emulator:
        db, env = warehouse(
            postgres_server, tmp_path, emulator, hard_delete=str(hard_delete).lower()
        )
        env["TAP_GAINSIGHT_EMIT_ACTIVATE_VERSION_MESSAGES"] = "true"
        meltano("run", "tap-gainsight", "target-postgres", env=env)
        loaded = {table: ids(db, table) for table in ("features", "segments")}
        assert loaded == {
            "features": held_ids(tenant, "/feature"),
            "segments": held_ids(tenant, "/segment"),
        }

        gone = {
            "features": {r["id"] for r in tenant.remove("/feature", 3)},
            "segments": {r["id"] for r in tenant.remove("/segment", 2)},
        }
        meltano("run", "tap-gainsight", "target-postgres", env=env)

    for table, path in (("features", "/feature"), ("segments", "/segment")):
        if hard_delete:
            assert ids(db, table) == held_ids(tenant, path), table
        else:
            assert ids(db, table) == loaded[table], "soft deletes keep every row"
            assert ids(db, table, where="_sdc_deleted_at is not null") == gone[table], table


def test_weekly_entity_refresh_removes_deleted_users(tmp_path, postgres_server) -> None:  # noqa: F811
    tenant = Tenant.generate(seed=SEED, size=SIZE)
    with Emulator(tenant, api_key=API_KEY) as emulator:
        db, env = warehouse(postgres_server, tmp_path, emulator, hard_delete="true")
        meltano("run", "tap-gainsight", "target-postgres", env=env)
        all_users = held_ids(tenant, "/users", "aptrinsicId")
        assert ids(db, "users", "aptrinsicId") == all_users

        gone = {u["aptrinsicId"] for u in tenant.remove("/users", 4)}
        meltano("run", "tap-gainsight", "target-postgres", env=env)
        assert ids(db, "users", "aptrinsicId") == all_users, "PX has no delete feed for users"

        meltano("run", "tap-gainsight-entities-full", "target-postgres", env=env)
        assert ids(db, "users", "aptrinsicId") == all_users - gone
        assert ids(db, "accounts") == held_ids(tenant, "/accounts")

        # The daily incremental job carries on from its own bookmark afterwards.
        meltano("run", "tap-gainsight", "target-postgres", env=env)
        assert ids(db, "users", "aptrinsicId") == all_users - gone
