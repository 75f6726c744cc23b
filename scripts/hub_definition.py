"""Write the Meltano Hub definition of the extractor from the tap's own settings.

    .venv/bin/python scripts/hub_definition.py > hub/tap-gainsight.yml

Generated, not written by hand, so it cannot fall out of step with `config_jsonschema`;
`tests/test_plugin_definitions.py` fails when the committed file differs from this output.

It holds only what the plugin itself can say. `quality` (gold, silver, bronze) is Meltano
Hub's rating of a connector by its usage and coverage, so the Hub assigns it, not this file.
`pip_url` is the PyPI name, which installs once a release is published (see CHANGELOG.md and
docs/development.md); until then a project installs the tap from a path or a built wheel.
"""

from __future__ import annotations

import copy
import sys
import typing as t
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tap_gainsight.settings import OWN_SETTINGS
from tap_gainsight.tap import TapGainsight

#: SDK settings worth listing on the Hub page (the rest stay documented by the SDK).
SDK_SETTINGS = ("stream_maps", "flattening_enabled", "flattening_max_depth")


def setting_kind(schema: dict[str, t.Any]) -> str:
    """The Meltano `kind` of a JSON-schema property."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "enum" in schema:
        return "options"
    if schema.get("format") == "date-time":
        return "date_iso8601"
    for json_type, kind in (
        ("boolean", "boolean"),
        ("integer", "integer"),
        ("object", "object"),
        ("array", "array"),
    ):
        if json_type in types:
            return kind
    return "string"


def hub_setting(name: str, schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """One Hub setting entry."""
    setting: dict[str, t.Any] = {
        "name": name,
        "kind": setting_kind(schema),
        "label": schema.get("title", name.replace("_", " ").capitalize()),
        "description": schema.get("description", ""),
    }
    if "default" in schema:
        setting["value"] = schema["default"]
    if "enum" in schema:
        setting["options"] = [{"label": value.upper(), "value": value} for value in schema["enum"]]
    if schema.get("secret"):
        setting["sensitive"] = True
    return setting


def definition() -> dict[str, t.Any]:
    """The Hub definition, as a mapping."""
    own = list(OWN_SETTINGS)
    full = copy.deepcopy(TapGainsight.config_jsonschema)
    TapGainsight.append_builtin_config(full)
    about = TapGainsight.__doc__ or ""
    names = [*own, *(n for n in SDK_SETTINGS if n not in own)]
    full = full["properties"]
    return {
        "name": "tap-gainsight",
        "namespace": "tap_gainsight",
        "variant": "tap-gainsight",
        "label": "Gainsight",
        "description": about.strip().rstrip("."),
        "domain_url": "https://www.gainsight.com/",
        "pip_url": "tap-gainsight",
        "executable": "tap-gainsight",
        "keywords": [
            "meltano_sdk",
            "gainsight",
            "gainsight-px",
            "gainsight-cs",
            "product-analytics",
        ],
        "capabilities": [
            "state",
            "catalog",
            "discover",
            "about",
            "stream-maps",
            "schema-flattening",
            "activate-version",
            "batch",
            "structured-logging",
        ],
        "settings_group_validation": [["api_key"], ["cs_api_url", "cs_access_key"]],
        "settings": [hub_setting(name, full[name]) for name in names],
        "maintenance_status": "active",
    }


if __name__ == "__main__":
    yaml.safe_dump(definition(), sys.stdout, sort_keys=False, width=100)
