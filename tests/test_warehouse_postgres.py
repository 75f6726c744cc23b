"""`meltano run tap-gainsight target-postgres` into a throwaway PostgreSQL server, end to end."""

from __future__ import annotations

import dataclasses
import datetime as dt

from tests.conftest import API_KEY, SEED
from tests.emulator import Emulator, Tenant
from tests.meltano_project import install_plugins, meltano, meltano_env
from tests.postgres_server import PostgresServer, postgres_server  # noqa: F401 (fixture)
from tests.test_warehouse_duckdb import (
    NEW_FIELDS,
    SIZE,
    held_counts,
    incremental_bookmarks,
    load_settings,
    new_field_values,
    resent_counts,
    start_sending_new_fields,
)


def table_counts(db: PostgresServer) -> dict[str, int]:
    tables = db.psql(
        "select table_name from information_schema.tables where table_schema = 'gainsight'"
    )
    return {
        table: int(db.psql(f'select count(*) from gainsight."{table}"')[0][0])
        for (table,) in tables
    }


def loaded_users(db: PostgresServer) -> dict[str, tuple]:
    """Typed values of users as loaded: dates as epoch ms (read as UTC), seats, betaTester."""
    rows = db.psql(
        'select "aptrinsicId",'
        ' (extract(epoch from "lastModifiedDate") * 1000)::bigint,'
        ' (extract(epoch from "customAttributes__trialEndDate") * 1000)::bigint,'
        ' "customAttributes__seats", "customAttributes__betaTester" from gainsight.users'
    )
    return {row[0]: tuple(value or None for value in row[1:]) for row in rows}


def expected_users(tenant) -> dict[str, tuple]:
    """The same values of every user held, in psql's text forms (NULL as None)."""

    def text(value) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return "t" if value else "f"
        return str(value)

    return {
        user["aptrinsicId"]: (
            text(user["lastModifiedDate"]),
            *(
                text((user["customAttributes"] or {}).get(name))
                for name in ("trialEndDate", "seats", "betaTester")
            ),
        )
        for user in tenant.collections["/users"]
    }


def loader_env(tmp_path, settings: dict, db: PostgresServer) -> dict[str, str]:
    """Meltano's environment for a run into `db`, the plugins installed."""
    env = meltano_env(
        tmp_path,
        settings,
        TARGET_POSTGRES_HOST=db.host,
        TARGET_POSTGRES_PORT=str(db.port),
        TARGET_POSTGRES_USER=db.user,
        TARGET_POSTGRES_PASSWORD="unused-trust-auth",
        TARGET_POSTGRES_DATABASE=db.database,
    )
    install_plugins(env, "tap-gainsight", "target-postgres")
    return env


def test_postgres_load_then_incremental_run(tmp_path, postgres_server: PostgresServer) -> None:  # noqa: F811
    db = dataclasses.replace(postgres_server, database="warehouse_incremental")
    postgres_server.psql(f"create database {db.database}")
    tenant = Tenant.generate(seed=SEED, size=SIZE)
    with Emulator(tenant, api_key=API_KEY) as emulator:
        settings, since_ms = load_settings(emulator)
        env = loader_env(tmp_path, settings, db)

        meltano("run", "tap-gainsight", "target-postgres", env=env)
        assert table_counts(db) == held_counts(emulator, since_ms)

        columns = dict(
            db.psql(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'gainsight' and table_name = 'users'"
            )
        )
        # The target quotes names, so they keep the tap's case; date-times lose their zone.
        assert columns["lastModifiedDate"] == "timestamp without time zone"
        assert columns["customAttributes__trialEndDate"] == "timestamp without time zone"
        assert columns["customAttributes__seats"] == "numeric"
        assert columns["customAttributes__betaTester"] == "boolean"
        assert loaded_users(db) == expected_users(tenant)

        first_batch = db.psql("select max(_sdc_batched_at) from gainsight.users")[0][0]
        bookmarks = incremental_bookmarks(tenant)
        tenant.advance(dt.timedelta(days=3))
        start_sending_new_fields(tenant)

        meltano("run", "tap-gainsight", "target-postgres", env=env)
        assert table_counts(db) == held_counts(emulator, since_ms)
        assert loaded_users(db) == expected_users(tenant)  # modified users upserted

        def rewritten(table: str) -> int:
            sql = f"select count(*) from gainsight.{table} where _sdc_batched_at > '{first_batch}'"
            return int(db.psql(sql)[0][0])

        resent = resent_counts(tenant, bookmarks)
        assert resent["users"] < len(tenant.collections["/users"]) / 5
        assert {table: rewritten(table) for table in resent} == resent

        # The new fields are columns, holding the values of the rows this run wrote.
        for table, path, key, field in NEW_FIELDS:
            rows = db.psql(
                f'select "{key}", "{field}" from gainsight.{table} where "{field}" is not null'
            )
            loaded = dict(rows)
            values = {k: str(v) for k, v in new_field_values(tenant, path, key, field).items()}
            assert loaded == {k: values[k] for k in loaded}, table
            assert len(loaded) == resent[table] > 0, table


def test_postgres_takes_every_row_when_the_api_drifts_types(tmp_path, postgres_server) -> None:  # noqa: F811
    """Values of other JSON types than documented: the validating loader takes every row."""
    db = dataclasses.replace(postgres_server, database="warehouse_drifted")
    postgres_server.psql(f"create database {db.database}")
    tenant = Tenant.generate(seed=SEED, size=SIZE)
    with Emulator(tenant, api_key=API_KEY) as emulator:
        emulator.quirks.drifted_types = True
        settings, since_ms = load_settings(emulator)
        env = loader_env(tmp_path, settings, db)
        run = meltano("run", "tap-gainsight", "target-postgres", env=env)
        assert table_counts(db) == held_counts(emulator, since_ms)
        assert sum(len(drifts) for drifts in emulator.drifted.values()) > 100
        assert "API departure: users.score" in run.stderr + run.stdout
        # A fraction sent in an integer field keeps its value in the warehouse.
        fractions = {
            key: drift.sent
            for key, drifts in emulator.drifted["/users"].items()
            for drift in drifts
            if drift.field_path == "numberOfVisits" and isinstance(drift.sent, float)
        }
        assert fractions
        loaded = dict(db.psql('select "aptrinsicId", "numberOfVisits" from gainsight.users'))
        assert {key: float(loaded[key]) for key in fractions} == fractions
