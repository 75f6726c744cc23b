"""A team's own Meltano project, set up as README.md says: the extractor by `meltano add
--from-ref` or by pasting its block, and the loader blocks it gives, which load every row."""

from __future__ import annotations

import dataclasses
import shlex

import yaml

from tests.conftest import API_KEY, CS_ACCESS_KEY, SEED
from tests.documented import (
    README,
    ROOT,
    documented_loaders,
    fenced_blocks,
    run_shell,
    section,
    shell_env,
    tail,
)
from tests.emulator import Emulator, Tenant
from tests.emulator.cs import CSEmulator, CSTenant
from tests.meltano_project import MELTANO, meltano, meltano_env
from tests.postgres_server import PostgresServer, postgres_server  # noqa: F401 (fixture)
from tests.test_warehouse_duckdb import SIZE, cs_held_counts, held_counts, load_settings
from tests.test_warehouse_duckdb import table_counts as duckdb_counts
from tests.test_warehouse_postgres import table_counts as postgres_counts

OWN_PROJECT = "### In a Meltano project of your own"
HUB = yaml.safe_load((ROOT / "hub" / "tap-gainsight.yml").read_text())


def new_project(tmp_path, env) -> object:
    """`meltano init` of an empty project in tmp_path; its directory."""
    meltano("init", "team", "--no_usage_stats", env=env, project=tmp_path)
    return tmp_path / "team"


def documented_extractor() -> dict:
    (block,) = fenced_blocks(section(README.read_text(), OWN_PROJECT), "yaml")
    (extractor,) = yaml.safe_load(block)["plugins"]["extractors"]
    return extractor


def listed_settings(project, env) -> str:
    return meltano("config", "list", "--all", "tap-gainsight", env=env, project=project).stdout


def test_meltano_add_from_the_hub_file_as_documented(tmp_path) -> None:
    (block,) = fenced_blocks(section(README.read_text(), OWN_PROJECT), "sh")
    env = shell_env(tmp_path)
    project = new_project(tmp_path, env)
    command = block.strip().replace("/path/to/tap-gainsight", str(ROOT))
    # As written but for the checkout's path, and not installed: its pip_url is the release's.
    command = command.replace("meltano ", f"{shlex.quote(str(MELTANO))} ", 1) + " --no-install"
    result = run_shell(command, env, cwd=project, timeout=120)
    assert result.returncode == 0, tail(result)
    listed = listed_settings(project, env)
    for setting in HUB["settings"]:
        assert f"{setting['name']} " in listed, setting["name"]


def test_the_documented_extractor_block_declares_every_setting(tmp_path) -> None:
    extractor = documented_extractor()
    declared = {s["name"]: s for s in extractor["settings"]}
    for setting in HUB["settings"]:
        name = setting["name"]
        assert name in declared, name
        assert declared[name]["kind"] == setting["kind"], name
        assert bool(declared[name].get("sensitive")) == bool(setting.get("sensitive")), name
        assert declared[name].get("value") == setting.get("value"), name
    for key in ("namespace", "executable", "pip_url", "capabilities", "settings_group_validation"):
        assert extractor[key] == HUB[key], key

    env = shell_env(tmp_path)
    project = new_project(tmp_path, env)
    with_block = yaml.safe_load((project / "meltano.yml").read_text())
    with_block["plugins"] = {"extractors": [extractor]}
    (project / "meltano.yml").write_text(yaml.safe_dump(with_block, sort_keys=False))
    listed = listed_settings(project, env)
    for setting in HUB["settings"]:
        assert f"{setting['name']} " in listed, setting["name"]


def project_with_documented_plugins(tmp_path, env, loader: str):
    """A new project of the README's extractor (installed from this checkout, as its comment
    says until the release) and one of its loader blocks, both installed."""
    project = new_project(tmp_path, env)
    extractor = documented_extractor() | {"pip_url": f"-e {ROOT}"}
    definition = yaml.safe_load((project / "meltano.yml").read_text())
    definition["plugins"] = {"extractors": [extractor], "loaders": [documented_loaders()[loader]]}
    (project / "meltano.yml").write_text(yaml.safe_dump(definition, sort_keys=False))
    meltano("install", env=env, project=project)
    return project


def load_both_tenants(tmp_path, loader: str, **loader_env: str) -> dict[str, int]:
    """`meltano run tap-gainsight <loader>` over a PX and a CS emulator; the rows they hold."""
    tenant = Tenant.generate(seed=SEED, size=SIZE)
    cs_tenant = CSTenant.generate(seed=SEED)
    with (
        Emulator(tenant, api_key=API_KEY) as px,
        CSEmulator(cs_tenant, access_key=CS_ACCESS_KEY, requests_per_minute=None) as cs,
    ):
        settings, since_ms = load_settings(px)
        settings |= {"flattening_enabled": "false"}
        settings |= {
            "cs_api_url": cs.base_url,
            "cs_access_key": CS_ACCESS_KEY,
            "cs_requests_per_minute": 100_000,
        }
        env = meltano_env(tmp_path, settings, **loader_env)
        project = project_with_documented_plugins(tmp_path, env, loader)
        meltano("run", "tap-gainsight", loader, env=env, project=project)
        return held_counts(px, since_ms) | cs_held_counts(cs_tenant)


def test_the_documented_duckdb_loader_loads_every_row(tmp_path) -> None:
    held = load_both_tenants(tmp_path, "target-duckdb")
    assert duckdb_counts(tmp_path / "team" / "gainsight.duckdb") == held


def test_the_documented_postgres_loader_loads_every_row(tmp_path, postgres_server) -> None:  # noqa: F811
    db: PostgresServer = dataclasses.replace(postgres_server, database="warehouse_documented")
    postgres_server.psql(f"create database {db.database}")
    held = load_both_tenants(
        tmp_path,
        "target-postgres",
        TARGET_POSTGRES_HOST=db.host,
        TARGET_POSTGRES_PORT=str(db.port),
        TARGET_POSTGRES_USER=db.user,
        TARGET_POSTGRES_PASSWORD="unused-trust-auth",
        TARGET_POSTGRES_DATABASE=db.database,
    )
    assert postgres_counts(db) == held
