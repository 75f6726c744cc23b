"""The settings are declared three times (tap, meltano.yml, Hub file): they must agree."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

import yaml

from tap_gainsight.settings import CONFIG_SCHEMA, OWN_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import hub_definition  # noqa: E402

SETTINGS = {name: CONFIG_SCHEMA["properties"][name] for name in OWN_SETTINGS}


def test_hub_file_is_the_generated_definition() -> None:
    generated = io.StringIO()
    with redirect_stdout(generated):
        yaml.safe_dump(hub_definition.definition(), sys.stdout, sort_keys=False, width=100)
    committed = (ROOT / "hub" / "tap-gainsight.yml").read_text()
    assert committed == generated.getvalue(), (
        "hub/tap-gainsight.yml is stale: run "
        "`.venv/bin/python scripts/hub_definition.py > hub/tap-gainsight.yml`"
    )


def test_meltano_yml_declares_every_setting_as_the_tap_does() -> None:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    (extractor,) = [e for e in project["plugins"]["extractors"] if e["name"] == "tap-gainsight"]
    declared = {s["name"]: s for s in extractor["settings"]}
    assert set(SETTINGS) <= set(declared), set(SETTINGS) - set(declared)
    for name, schema in SETTINGS.items():
        setting = declared[name]
        assert setting["kind"] == hub_definition.setting_kind(schema), name
        assert bool(setting.get("sensitive")) == bool(schema.get("secret")), name
        if "value" in setting:
            assert setting["value"] == schema.get("default"), name


def test_hub_file_installs_the_published_package_and_claims_no_hub_rating() -> None:
    hub = yaml.safe_load((ROOT / "hub" / "tap-gainsight.yml").read_text())
    pyproject = (ROOT / "pyproject.toml").read_text()
    # The PyPI name, as pyproject names the distribution (no git URL, no local path).
    assert f'name = "{hub["pip_url"]}"' in pyproject
    assert hub["executable"] in pyproject.split("[project.scripts]")[1]
    # Meltano Hub rates a connector's quality itself.
    assert "quality" not in hub
