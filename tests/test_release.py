"""The built wheel is a release a team can install: in a clean environment outside the
checkout, `tap-gainsight --about` answers and a sync against the emulators delivers records.

The wheel is built from this tree with the project's uv (sdist first, wheel from the sdist,
as `make dist` does), then installed with its dependencies, pinned to the versions of
`uv.lock`, into a new virtual environment in a temporary directory. The tap runs there with
its working directory outside the checkout and no path back into it, so every schema and
module it reads must come from the wheel.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import API_KEY, CS_ACCESS_KEY, SEED
from tests.emulator import Emulator, Tenant, TenantSize
from tests.emulator.cs import CSEmulator, CSTenant

ROOT = Path(__file__).resolve().parent.parent
UV = ROOT / ".tools" / "bin" / "uv"

#: Small enough to sync in a few seconds; every page-number stream still spans two pages.
SIZE = TenantSize(
    users=300,
    accounts=40,
    features=230,
    segments=20,
    engagements=20,
    articles=20,
    kc_bots=2,
    history_days=30,
    events_per_day=5,
)


def run(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a command outside any environment of this checkout; fail with its output."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT"}
        and not key.startswith(("TAP_GAINSIGHT_", "MELTANO_"))
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        pytest.fail(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{tail}")
    return result


def project_version() -> str:
    """pyproject's version, the one place it is written."""
    match = re.search(r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert match, "pyproject.toml has no version line"
    return match.group(1)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The `bin` directory of a fresh virtual environment holding only the wheel and its
    dependencies, outside the checkout."""
    work = tmp_path_factory.mktemp("release")
    assert not work.resolve().is_relative_to(ROOT), work
    dist = work / "dist"
    run(UV, "build", "--out-dir", dist, cwd=ROOT)
    wheels = sorted(dist.glob("*.whl"))
    assert [w.name for w in wheels] == [f"tap_gainsight-{project_version()}-py3-none-any.whl"]
    constraints = work / "constraints.txt"
    run(
        UV, "export", "--frozen", "--no-default-groups", "--no-emit-project", "--no-hashes",
        "--output-file", constraints, cwd=ROOT,
    )  # fmt: skip
    venv = work / "venv"
    run(UV, "venv", "--python", sys.executable, venv, cwd=work)
    python = venv / "bin" / "python"
    # The dependencies come from the wheel's own metadata, at the lock's versions.
    run(UV, "pip", "install", "--python", python, "-c", constraints, wheels[0], cwd=work)
    return venv / "bin"


def test_the_installed_package_lives_in_the_new_environment(installed, tmp_path) -> None:
    result = run(
        installed / "python", "-c",
        "import json, tap_gainsight, importlib.metadata as m; print(json.dumps(["
        "tap_gainsight.__file__, m.version('tap-gainsight'), m.distribution('tap-gainsight')"
        ".read_text('direct_url.json')]))",
        cwd=tmp_path,
    )  # fmt: skip
    module, version, direct_url = json.loads(result.stdout)
    assert Path(module).is_relative_to(installed.parent), module
    assert not Path(module).resolve().is_relative_to(ROOT), module
    assert version == project_version()
    # Installed from a wheel file, not as an editable link to the checkout.
    assert '"editable"' not in (direct_url or ""), direct_url


def test_about_reports_the_release(installed, tmp_path) -> None:
    text = run(installed / "tap-gainsight", "--about", cwd=tmp_path).stdout
    assert "Name: tap-gainsight" in text
    assert f"Version: {project_version()}" in text

    about = json.loads(
        run(installed / "tap-gainsight", "--about", "--format", "json", cwd=tmp_path).stdout
    )
    assert about["name"] == "tap-gainsight"
    assert about["version"] == project_version()
    assert {"state", "catalog", "discover", "about"} <= set(about["capabilities"])
    settings = about["settings"]["properties"]
    assert {"api_key", "region", "start_date", "cs_api_url", "cs_access_key"} <= set(settings)


def test_the_installed_tap_syncs_px_and_cs_outside_the_checkout(installed, tmp_path) -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    tenant = Tenant.generate(seed=SEED, size=SIZE, now=now)
    cs_tenant = CSTenant.generate(seed=SEED, companies=60, people=150, now=now)
    with (
        Emulator(tenant, api_key=API_KEY) as px,
        CSEmulator(cs_tenant, access_key=CS_ACCESS_KEY, requests_per_minute=None) as cs,
    ):
        config = {
            "api_key": API_KEY,
            "api_url": px.base_url,
            "start_date": (now - dt.timedelta(days=SIZE.history_days)).isoformat(),
            "max_requests_per_second": 10_000,
            "cs_api_url": cs.base_url,
            "cs_access_key": CS_ACCESS_KEY,
            "cs_requests_per_minute": 100_000,
        }
        (tmp_path / "config.json").write_text(json.dumps(config))
        result = run(installed / "tap-gainsight", "--config", "config.json", cwd=tmp_path)

    messages = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    records = Counter(m["stream"] for m in messages if m["type"] == "RECORD")
    schemas = {m["stream"]: m["schema"] for m in messages if m["type"] == "SCHEMA"}
    states = [m for m in messages if m["type"] == "STATE"]

    assert records["users"] == len(tenant.collections["/users"])
    assert records["accounts"] == len(tenant.collections["/accounts"])
    assert records["features"] == SIZE.features
    for stream in ("page_view_events", "session_events", "custom_events", "companies", "people"):
        assert records[stream] > 0, (stream, dict(records))
    assert len(records) >= 15, dict(records)
    # The built-in schemas were read from the wheel: the SCHEMA carries every property of
    # the file in the checkout.
    for stream in ("users", "features", "page_view_events", "deleted_records"):
        built_in = json.loads((ROOT / "tap_gainsight" / "schemas" / f"{stream}.json").read_text())
        assert set(built_in["properties"]) <= set(schemas[stream]["properties"]), stream
    assert states, "no STATE message"
    assert "users" in states[-1]["value"]["bookmarks"]


def test_the_changelog_has_an_unreleased_section_and_one_for_this_version(tmp_path) -> None:
    assert "\n## [Unreleased]\n" in (ROOT / "CHANGELOG.md").read_text()
    script = ROOT / "scripts" / "release_notes.py"
    notes = run(sys.executable, script, f"v{project_version()}", cwd=tmp_path).stdout
    assert notes.strip(), "the release workflow would publish empty release notes"
    assert "## " not in notes.replace("### ", ""), "the notes run into the next version"
    wrong = subprocess.run(
        [sys.executable, str(script), "v0.0.0-not-this"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 1
    assert "does not match pyproject's version" in wrong.stderr
