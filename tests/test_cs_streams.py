"""Gainsight CS streams over a real socket: completeness, keyset paging, increments, failures."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

import pytest

from tap_gainsight.cs.objects import CSObjectStream
from tap_gainsight.px.entities import PX_ADMIN_ENDPOINTS, PX_ENTITY_ENDPOINTS
from tap_gainsight.px.events import PX_EVENT_ENDPOINTS, PX_MONITORING_ENDPOINTS
from tap_gainsight.tap import TapGainsight
from tap_gainsight.timestamps import epoch_ms_to_rfc3339, parse_setting_datetime, to_epoch_ms
from tests.conftest import cs_config, px_config
from tests.sync import catalog_for, error_lines, one_error_line, run_cli, run_sync

STREAMS = {"companies": "Company", "people": "Person"}
QUERY = "/v1/data/objects/query/"
DESCRIBE = "/v1/meta/services/objects/describe"


def held(emulator, stream: str) -> list[dict]:
    return emulator.tenant.collections[STREAMS[stream]]


def keyset_order(records: list[dict]) -> list[dict]:
    dated = [r for r in records if r["ModifiedDate"] is not None]
    return sorted(dated, key=lambda r: (r["ModifiedDate"], r["Gsid"]))


def queries(emulator, stream: str | None = None) -> list:
    wanted = QUERY + STREAMS[stream] if stream else QUERY
    return [r for r in emulator.requests if r.path.startswith(wanted)]


def assert_exactly_once(result, emulator, stream: str, since_ms: int | None = None) -> None:
    expected = {
        r["Gsid"]
        for r in held(emulator, stream)
        if since_ms is None or r["ModifiedDate"] is None or r["ModifiedDate"] >= since_ms
    }
    sent = [r["Gsid"] for r in result.records[stream]]
    assert len(sent) == len(set(sent)), f"{stream}: a record was sent twice"
    assert set(sent) == expected, f"{stream}: records lost or extra"


def split_page_limit(records: list[dict], at_least: int = 15) -> int:
    """A page size whose first page ends inside a group sharing one ModifiedDate millisecond."""
    ordered = keyset_order(records)
    return next(
        k
        for k in range(at_least, len(ordered))
        if ordered[k - 1]["ModifiedDate"] == ordered[k]["ModifiedDate"]
    )


@pytest.fixture
def small_pages(monkeypatch, cs_emulator) -> int:
    limit = split_page_limit(cs_emulator.tenant.collections["Company"])
    monkeypatch.setattr(CSObjectStream, "page_limit", limit)
    return limit


def test_every_record_arrives_once_across_many_keyset_pages(cs_emulator, small_pages) -> None:
    result = run_sync(cs_config(cs_emulator), streams=STREAMS)
    for stream in STREAMS:
        assert_exactly_once(result, cs_emulator, stream)
        records = held(cs_emulator, stream)
        assert any(r["ModifiedDate"] is None for r in records), "the tenant should hold nulls"
        newest = max(r["ModifiedDate"] for r in records if r["ModifiedDate"] is not None)
        assert result.bookmark(stream) == epoch_ms_to_rfc3339(newest), "nulls moved the bookmark"
        assert len(queries(cs_emulator, stream)) > len(records) // small_pages

    bodies = [r.body for stream in STREAMS for r in queries(cs_emulator, stream)]
    assert {b["limit"] for b in bodies} == {small_pages}
    # Some page ended inside a group of records modified in one millisecond, and the next
    # page asked for the rest of that millisecond by Gsid.
    split = [
        b
        for b in bodies
        if b["where"]["expression"] == "(A AND B) OR C"
        and any(
            r["ModifiedDate"] == b["where"]["conditions"][0]["value"][0]
            and r["Gsid"] > b["where"]["conditions"][1]["value"][0]
            for r in held(cs_emulator, "companies")
        )
    ]
    assert split, "no page boundary split a millisecond: the test proves less"
    first = bodies[0]
    assert first["orderBy"] == {"ModifiedDate": "asc", "Gsid": "asc"}
    assert first["where"]["conditions"][0]["operator"] == "IS_NOT_NULL"
    nulls = [b for b in bodies if b["where"]["conditions"][0]["operator"] == "IS_NULL"]
    assert nulls, "the never-modified records are read in a last pass"
    assert all(b["orderBy"] == {"Gsid": "asc"} for b in nulls)


def test_fields_are_described_typed_and_dates_converted(cs_emulator) -> None:
    result = run_sync(cs_config(cs_emulator), streams=["companies"])
    properties = result.schemas["companies"]["properties"]
    assert properties["Gsid"]["type"] == "string"
    assert properties["Employees"]["type"] == ["number", "null"]
    assert properties["IsActive"]["type"] == ["boolean", "null"]
    assert properties["Csm"]["type"] == ["string", "null"]
    assert properties["HealthScore__gc"]["type"] == ["number", "null"], "custom fields typed"
    assert properties["RenewalDate"]["format"] == "date-time"
    assert set(properties) == set(cs_emulator.tenant.collections["Company"][0])

    originals = {r["Gsid"]: r for r in held(cs_emulator, "companies")}
    for record in result.records["companies"]:
        original = originals[record["Gsid"]]
        for field in ("ModifiedDate", "CreatedDate", "RenewalDate"):
            value = original[field]
            assert record[field] == (None if value is None else epoch_ms_to_rfc3339(value))
    selected = queries(cs_emulator, "companies")[0].body["select"]
    assert selected == list(properties)


def test_incremental_run_reads_since_bookmark_less_lookback(cs_emulator) -> None:
    config = cs_config(cs_emulator)
    first = run_sync(config)
    cs_emulator.tenant.advance(dt.timedelta(days=3))
    cs_emulator.reset_log()
    second = run_sync(config, state=first.final_state)

    for stream in STREAMS:
        since = parse_setting_datetime(first.bookmark(stream)) - dt.timedelta(hours=24)
        since = since.replace(microsecond=0)  # the filter is in whole seconds
        assert_exactly_once(second, cs_emulator, stream, since_ms=to_epoch_ms(since))
        assert 0 < len(second.records[stream]) < len(held(cs_emulator, stream)) / 4
        (condition,) = queries(cs_emulator, stream)[0].body["where"]["conditions"]
        assert condition == {
            "name": "ModifiedDate",
            "alias": "A",
            "operator": "GTE",
            "value": [since.strftime("%Y-%m-%d %H:%M:%S")],
        }
        newest = max(r["ModifiedDate"] or 0 for r in held(cs_emulator, stream))
        assert second.bookmark(stream) == epoch_ms_to_rfc3339(newest)


def test_start_date_does_not_bound_objects_first_or_incremental_runs(cs_emulator) -> None:
    start = cs_emulator.tenant.now - dt.timedelta(days=30)
    config = cs_config(cs_emulator, start_date=start.isoformat())
    for stream in STREAMS:
        older = [
            r for r in held(cs_emulator, stream) if (r["ModifiedDate"] or 0) < to_epoch_ms(start)
        ]
        assert len(older) > 10, f"{stream}: the tenant should hold records older than start_date"

    first = run_sync(config)
    for stream in STREAMS:
        assert_exactly_once(first, cs_emulator, stream)  # all, whatever start_date says
    (condition,) = queries(cs_emulator, "people")[0].body["where"]["conditions"]
    assert condition["operator"] == "IS_NOT_NULL"

    cs_emulator.tenant.advance(dt.timedelta(days=3))
    cs_emulator.reset_log()
    second = run_sync(config, state=first.final_state)
    for stream in STREAMS:
        since = parse_setting_datetime(first.bookmark(stream)) - dt.timedelta(hours=24)
        assert_exactly_once(
            second, cs_emulator, stream, since_ms=to_epoch_ms(since.replace(microsecond=0))
        )
        assert 0 < len(second.records[stream]) < len(held(cs_emulator, stream)) / 4


@pytest.mark.parametrize("data_as_list", [True, False], ids=["data-list", "data-records"])
def test_both_data_shapes(cs_emulator, monkeypatch, data_as_list) -> None:
    monkeypatch.setattr(CSObjectStream, "page_limit", 500)
    cs_emulator.quirks.data_as_list = data_as_list
    result = run_sync(cs_config(cs_emulator))
    for stream in STREAMS:
        assert_exactly_once(result, cs_emulator, stream)


@pytest.mark.parametrize("as_http_400", [True, False], ids=["http-400", "http-200"])
def test_no_data_found_is_an_empty_page(cs_emulator, as_http_400) -> None:
    cs_emulator.quirks.empty_as_http_400 = as_http_400
    cs_emulator.tenant.collections["Company"].clear()
    result = run_sync(cs_config(cs_emulator))
    assert result.records["companies"] == []
    assert_exactly_once(result, cs_emulator, "people")
    statuses = [r.status for r in queries(cs_emulator, "companies")]
    assert statuses == [400 if as_http_400 else 200] * 2, "the dated pass, then the null pass"


def test_describe_unavailable_falls_back_to_built_in_schema_with_one_warning(
    cs_emulator, caplog
) -> None:
    cs_emulator.quirks.describe_unavailable = True
    config = cs_config(cs_emulator)
    catalog = catalog_for(config, None)
    caplog.clear()
    result = run_sync(config, catalog=catalog)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "Could not describe the CS objects" in warnings[0].getMessage()
    assert "HTTP 404" in warnings[0].getMessage()
    for stream in STREAMS:
        assert_exactly_once(result, cs_emulator, stream)
    assert "HealthScore__gc" not in result.schemas["companies"]["properties"]
    assert set(result.records["people"][0]) == set(result.schemas["people"]["properties"])
    assert result.schemas["people"]["properties"]["ModifiedDate"]["format"] == "date-time"


def test_faults_lose_nothing(cs_emulator, monkeypatch, quick_retries) -> None:
    monkeypatch.setattr(CSObjectStream, "page_limit", 60)
    faults = cs_emulator.faults
    faults.error_rate = faults.reset_rate = faults.truncate_rate = faults.html_rate = 0.06
    result = run_sync(cs_config(cs_emulator, retry_max_tries=20))
    for stream in STREAMS:
        assert_exactly_once(result, cs_emulator, stream)
    for fault in ("reset", "error", "html", "truncate"):
        assert faults.injected[fault] > 0, f"no {fault} fault was injected: the test proves less"


@pytest.mark.parametrize(("tap_pace", "expect_429"), [(20, False), (100_000, True)])
def test_limiter_keeps_under_the_tenant_quota(
    cs_emulator, monkeypatch, quick_retries, tap_pace, expect_429
) -> None:
    """20 requests per window on both sides, the window shrunk from 60 s to 1 s."""
    monkeypatch.setattr("tests.emulator.cs.ratelimit.WINDOW_SECONDS", 1.0)
    monkeypatch.setattr("tap_gainsight.run.CS_WINDOW_SECONDS", 1.0)
    monkeypatch.setattr(CSObjectStream, "page_limit", 20)
    config = cs_config(cs_emulator, cs_requests_per_minute=tap_pace)
    catalog = catalog_for(config, ["companies"])
    cs_emulator.rate_limiter.per_minute = 20
    cs_emulator.rate_limiter.reset()
    cs_emulator.reset_log()

    started = time.monotonic()
    result = run_sync(config, catalog=catalog)
    took = time.monotonic() - started
    assert_exactly_once(result, cs_emulator, "companies")
    sent = len(cs_emulator.requests)
    assert sent >= 30
    refused = sum(r.status == 429 for r in cs_emulator.requests)
    if expect_429:
        assert refused > 0, "without the limiter this tenant answers 429: the test can fail"
    else:
        assert refused == 0
        # Every 20 requests after the first 20 wait out one window (1 s) from an answer,
        # and no more: a window left at a minute would hold this run for a minute.
        windows = (sent - 1) // 20
        assert windows * 1.0 <= took < windows * 1.02 + 5, (sent, took)


@pytest.mark.parametrize(("args", "failed"), [((), "Sync failed"), (("--test",), "test failed")])
def test_rejected_access_key_is_one_line(cs_emulator, tmp_path, args, failed) -> None:
    secret = "wrong-cs-key-5a4b3c2d1e"
    result = run_cli(cs_config(cs_emulator, cs_access_key=secret), tmp_path, *args)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert failed in line
    assert "refused the access key (HTTP 401, GS_APIG_2401)" in line
    assert f"cs_api_url {cs_emulator.base_url}" in line
    assert "cs_access_key" in line
    assert secret not in result.stdout + result.stderr


def test_a_refused_cs_key_fails_discovery_in_one_line(cs_emulator, tmp_path) -> None:
    secret = "wrong-cs-key-1f2e3d4c5b"
    result = run_cli(cs_config(cs_emulator, cs_access_key=secret), tmp_path, "--discover")
    line = one_error_line(result)
    assert line.startswith("Discovery failed: Gainsight CS refused the access key (HTTP 401")
    assert f"cs_api_url {cs_emulator.base_url}" in line
    assert "WARNING" not in result.stderr
    assert secret not in result.stdout + result.stderr


def test_connection_test_probes_each_configured_product(
    cs_emulator, shared_emulator, tmp_path
) -> None:
    config = {**px_config(shared_emulator), **cs_config(cs_emulator)}
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_for(config, ["accounts", "companies"])))
    cs_emulator.reset_log()
    result = run_cli(config, tmp_path, "--test", "--catalog", str(catalog))
    assert result.returncode == 0, result.stderr
    assert f"the API key is accepted at api_url {shared_emulator.base_url}" in result.stderr
    assert f"the CS access key is accepted at cs_api_url {cs_emulator.base_url}" in result.stderr
    # The key's test is the companies stream's first request, for one record; then the
    # objects of the tenant are listed, as in any run.
    (company, *discovery) = cs_emulator.requests
    assert company.path == QUERY + "Company"
    assert company.body == {"select": ["Gsid"], "limit": 1}, "the core request"
    assert not any(r.path.startswith(QUERY) for r in discovery)
    assert "Connection test passed: 2 selected streams are readable." in result.stderr
    assert result.stdout == ""


def stream_names(config: dict) -> set[str]:
    return {s["tap_stream_id"] for s in TapGainsight(config=config).catalog_dict["streams"]}


#: The streams of the emulated CS tenant: its readable standard and custom objects (Person is
#: not in its objects list, and read all the same), and the delete log.
CS_STREAMS = {
    "companies",
    "people",
    "company_person",
    "relationship",
    "gsuser",
    "activity_timeline",
    "call_to_action",
    "cs_task",
    "cta_group",
    "da_picklist",
    "renewal_forecast__gc",
    "product_usage__gc",
    "deleted_records",
}


def test_discovery_follows_the_credentials(cs_emulator, shared_emulator) -> None:
    px_streams = {
        e.name
        for e in (
            *PX_ENTITY_ENDPOINTS,
            *PX_EVENT_ENDPOINTS,
            *PX_ADMIN_ENDPOINTS,
            *PX_MONITORING_ENDPOINTS,
        )
    }
    assert stream_names(cs_config(cs_emulator)) == CS_STREAMS
    both = {**px_config(shared_emulator), **cs_config(cs_emulator)}
    assert stream_names(both) == px_streams | CS_STREAMS


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "No credentials: set api_key (Gainsight PX), or cs_api_url and cs_access_key"),
        ({"cs_api_url": "https://acme.gainsightcloud.com"}, "cs_api_url is set but cs_access_key"),
        ({"cs_access_key": "k", "region": "eu"}, "cs_access_key is set but cs_api_url is not"),
        (
            {"cs_api_url": "http://acme.gainsightcloud.com", "cs_access_key": "k"},
            "cs_api_url: http://acme.gainsightcloud.com uses plain http://",
        ),
    ],
)
def test_missing_or_unsafe_cs_settings_are_one_line(tmp_path, config, expected) -> None:
    result = run_cli(config, tmp_path, "--discover")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert expected in line


@pytest.mark.parametrize("body", [{}, {"result": True, "data": None}, {"result": True}])
def test_an_answer_without_data_records_is_an_empty_page_said_once(
    body, cs_emulator, caplog
) -> None:
    import requests

    from tap_gainsight.cs.objects import probe_stream

    companies = probe_stream(TapGainsight(config=cs_config(cs_emulator), parse_env_config=False))
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()
    assert companies.records_of(response) == []
    assert companies.records_of(response) == []
    said = [r.getMessage() for r in caplog.records if "API departure:" in r.getMessage()]
    assert len(said) == 1
    assert "an answer without data records" in said[0]
