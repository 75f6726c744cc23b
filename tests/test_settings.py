"""Bad settings fail before any request, with one line each that names the setting."""

from __future__ import annotations

import json
import logging

import pytest
from singer_sdk.exceptions import ConfigValidationError

from tap_gainsight.settings import (
    CONFIG_SCHEMA,
    PX_REGION_URLS,
    px_base_url,
    semantic_errors,
    unknown_settings,
)
from tap_gainsight.tap import TapGainsight
from tests.conftest import cs_config, px_config
from tests.sync import one_error_line, run_cli

SECRET = "sk-live-never-print-me-0123456789"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"api_url": "http://example.com/v1"}, "api_url: http://example.com/v1 uses plain http://"),
        ({"api_url": "ftp://example.com"}, "api_url: 'ftp://example.com' is not an https:// URL"),
        (
            {"start_date": "2024-02-01T00:00:00Z", "end_date": "2024-01-01T00:00:00Z"},
            "end_date (2024-01-01T00:00:00Z) must be later than start_date",
        ),
        ({"start_date": "last tuesday"}, "start_date: 'last tuesday' is not an RFC 3339"),
        (
            {"start_date": "2999-01-01T00:00:00Z"},
            "start_date (2999-01-01T00:00:00Z) is in the future: no event could be read",
        ),
        (
            {"cs_api_url": "http://example.com", "cs_access_key": "k"},
            "cs_api_url: http://example.com uses plain http://",
        ),
        ({"cs_access_key": "k"}, "cs_access_key is set but cs_api_url is not"),
    ],
)
def test_semantic_errors(config: dict, expected: str) -> None:
    errors = semantic_errors({"api_key": SECRET, **config})
    assert len(errors) == 1
    assert errors[0].startswith(expected)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/v1", "http://localhost/v1", "http://[::1]:9/v1", "https://x.io"]
)
def test_loopback_http_and_any_https_are_accepted(url: str) -> None:
    assert semantic_errors({"api_key": SECRET, "api_url": url}) == []
    assert semantic_errors({"cs_api_url": url, "cs_access_key": SECRET}) == []


def test_region_and_override_choose_the_base_url() -> None:
    assert (
        px_base_url({"region": "eu"}) == PX_REGION_URLS["eu"] == "https://api-eu.aptrinsic.com/v1"
    )
    assert px_base_url({}) == "https://api.aptrinsic.com/v1"
    assert px_base_url({"region": "eu", "api_url": "https://proxy.local/v1/"}) == (
        "https://proxy.local/v1"
    )


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"api_key": SECRET, "region": "mars"}, "'mars' is not one of ['us', 'eu', 'us2']"),
        ({"region": "eu"}, "No credentials: set api_key (Gainsight PX), or cs_api_url and"),
        ({"api_key": SECRET, "api_url": "http://example.com"}, "use https://"),
        (
            {"api_key": SECRET, "max_concurrency": 0},
            "0 is less than the minimum of 1 in config['max_concurrency']",
        ),
        (
            {"api_key": SECRET, "max_concurrency": 17},
            "17 is greater than the maximum of 16 in config['max_concurrency']",
        ),
        (
            {"api_key": SECRET, "page_size": 0},
            "0 is less than the minimum of 1 in config['page_size']",
        ),
        (
            {"api_key": SECRET, "start_date": "2025-01-02", "end_date": "2025-01-01"},
            "must be later than start_date",
        ),
    ],
)
def test_bad_config_is_one_clear_line_without_traceback(tmp_path, config, expected) -> None:
    result = run_cli(config, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert result.stdout == "", "nothing but Singer messages may reach stdout"
    assert expected in output
    assert "Traceback" not in output
    assert SECRET not in output


@pytest.mark.parametrize(
    "args",
    [(), ("--discover",), ("--test",), ("--test=schema",)],
    ids=["sync", "discover", "test", "test-schema"],
)
def test_a_bad_setting_is_said_before_any_request(emulator, cs_emulator, tmp_path, args) -> None:
    """Discovery sends requests to both products (CS objects, PX attribute models)."""
    dates = {"start_date": "2025-01-02T00:00:00Z", "end_date": "2025-01-01T00:00:00Z"}
    config = {**px_config(emulator), **cs_config(cs_emulator), **dates}
    line = one_error_line(run_cli(config, tmp_path, *args))
    assert line == (
        "Config validation error: end_date (2025-01-01T00:00:00Z) must be later than "
        "start_date (2025-01-02T00:00:00Z)."
    )
    assert emulator.requests == []
    assert cs_emulator.requests == []


def test_validate_config_false_skips_the_checks(shared_emulator) -> None:
    config = px_config(shared_emulator, cs_access_key=SECRET)
    before = len(shared_emulator.requests)
    with pytest.raises(ConfigValidationError, match="Config validation failed") as failure:
        TapGainsight(config=config, parse_env_config=False)
    assert failure.value.errors == [
        "cs_access_key is set but cs_api_url is not: Gainsight CS needs both."
    ]
    assert len(shared_emulator.requests) == before, "no discovery before the settings pass"
    tap = TapGainsight(config=config, parse_env_config=False, validate_config=False)
    assert "users" in tap.streams
    assert len(shared_emulator.requests) > before, "discovery reads the attribute models"


def test_about_marks_the_key_secret(tmp_path) -> None:
    result = run_cli({"api_key": SECRET}, tmp_path, "--about", "--format", "json")
    about = json.loads(result.stdout)
    settings = about["settings"]["properties"]
    assert settings["api_key"]["secret"] is True
    assert settings["cs_access_key"]["secret"] is True
    assert set(settings) >= {"api_key", "region", "api_url", "start_date", "end_date", "page_size"}
    assert set(settings) >= {
        "cs_api_url",
        "cs_access_key",
        "cs_requests_per_minute",
        "cs_lookback_hours",
    }
    assert SECRET not in result.stdout + result.stderr


@pytest.fixture
def unknown_not_said_yet(monkeypatch) -> None:
    """Each test starts a run of its own: nothing said yet in this process."""
    monkeypatch.setattr(TapGainsight, "_unknown_said", set())


def test_an_unknown_setting_is_named_with_the_nearest_known_one() -> None:
    config = {"api_key": SECRET, "start_data": SECRET, "pagesize": 5, "colour": SECRET}
    lines = unknown_settings(config, CONFIG_SCHEMA["properties"])
    assert lines == {
        "start_data": "Unknown setting 'start_data': did you mean 'start_date'?",
        "pagesize": "Unknown setting 'pagesize': did you mean 'page_size'?",
        "colour": "Unknown setting 'colour': tap-gainsight has no such setting; it is ignored.",
    }


def warnings_of_unknown(records: list[logging.LogRecord]) -> list[str]:
    return [
        r.getMessage()
        for r in records
        if r.levelno == logging.WARNING and r.getMessage().startswith("Unknown setting")
    ]


def test_a_misspelt_setting_is_said_once_per_run_in_process(
    shared_emulator, caplog, unknown_not_said_yet
) -> None:
    config = px_config(shared_emulator, start_data=SECRET, flatening_enabled=True)
    # Discovery, then the sync: the config is validated twice in one process.
    TapGainsight(config=config, parse_env_config=False)
    TapGainsight(config=config, parse_env_config=False)
    assert warnings_of_unknown(caplog.records) == [
        "Unknown setting 'start_data': did you mean 'start_date'?",
        "Unknown setting 'flatening_enabled': did you mean 'flattening_enabled'?",
    ]
    assert SECRET not in caplog.text


def test_the_sdks_own_settings_are_known(shared_emulator, caplog, unknown_not_said_yet) -> None:
    config = px_config(shared_emulator, flattening_enabled=True, flattening_max_depth=1)
    TapGainsight(config=config, parse_env_config=False)
    assert warnings_of_unknown(caplog.records) == []


@pytest.mark.parametrize(
    "args", [(), ("--discover",), ("--test",)], ids=["sync", "discover", "test"]
)
def test_a_misspelt_setting_is_one_warning_on_the_cli(shared_emulator, tmp_path, args) -> None:
    config = px_config(shared_emulator, start_data=SECRET, api_keys=SECRET)
    result = run_cli(config, tmp_path, *args, streams=[] if not args else None)
    said = [
        line.split("| ")[-1] for line in result.stderr.splitlines() if "Unknown setting" in line
    ]
    assert said == [
        "Unknown setting 'start_data': did you mean 'start_date'?",
        "Unknown setting 'api_keys': did you mean 'api_key'?",
    ]
    assert all("| WARNING" in line for line in result.stderr.splitlines() if "Unknown" in line)
    assert SECRET not in result.stdout + result.stderr
    assert result.returncode == 0
