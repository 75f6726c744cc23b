"""Every object of a CS tenant and its delete log, over a real socket against the emulator."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tap_gainsight.cs.catalog import DESCRIBE_PATH, LIST_PATH
from tap_gainsight.cs.deletes import DeletedRecordsStream
from tap_gainsight.cs.objects import CSObjectStream
from tap_gainsight.tap import TapGainsight
from tap_gainsight.timestamps import epoch_ms_to_rfc3339, parse_setting_datetime, to_epoch_ms
from tests.conftest import CS_ACCESS_KEY, SEED, cs_config
from tests.emulator.cs import CSEmulator, CSTenant
from tests.sync import run_sync
from tests.test_cs_streams import CS_STREAMS

QUERY = "/v1/data/objects/query/"
OBJECT_STREAMS = CS_STREAMS - {"deleted_records"}
DATED_BY = {"activity_timeline": "LastModifiedDate", "da_picklist": None}


def object_of(stream: str) -> str:
    return {"companies": "Company", "people": "Person"}.get(stream, stream)


def date_field(stream: str) -> str | None:
    return DATED_BY.get(stream, "ModifiedDate")


def queries_of(emulator, object_name: str) -> list:
    path = (QUERY + object_name).lower()
    return [r for r in emulator.requests if r.path.lower() == path]


def delete_entries(tenant: CSTenant) -> set[tuple[str, str]]:
    logs = ("record_delete_log", "record_delete_log_high_volume")
    return {
        (e["ObjectName"], e["RecordId"]) for log in logs for e in tenant.collections.get(log, [])
    }


@pytest.fixture
def small_pages(monkeypatch) -> int:
    monkeypatch.setattr(CSObjectStream, "page_limit", 40)
    monkeypatch.setattr(DeletedRecordsStream, "page_limit", 7)
    return 40


def test_every_object_arrives_exactly_once(cs_emulator, small_pages) -> None:
    tenant = cs_emulator.tenant
    result = run_sync(cs_config(cs_emulator))
    for stream in OBJECT_STREAMS:
        held = [r["Gsid"] for r in tenant.records(object_of(stream))]
        sent = [r["Gsid"] for r in result.records[stream]]
        assert held, stream
        assert len(sent) == len(set(sent)), f"{stream}: a record was sent twice"
        assert sorted(sent) == sorted(held), f"{stream}: records lost or extra"
    assert len(queries_of(cs_emulator, "renewal_forecast__gc")) > 450 // small_pages
    dated = [r for r in tenant.records("call_to_action") if r["ModifiedDate"] is None]
    assert dated, "the tenant should hold CTAs never modified: the null pass is proven"


def test_replication_follows_each_objects_modified_date(cs_emulator) -> None:
    tenant = cs_emulator.tenant
    result = run_sync(
        cs_config(cs_emulator), streams=["activity_timeline", "da_picklist", "cs_task"]
    )
    for stream in ("activity_timeline", "cs_task"):
        field = date_field(stream)
        newest = max(r[field] for r in tenant.records(stream) if r[field] is not None)
        assert result.bookmark(stream) == epoch_ms_to_rfc3339(newest), stream
        first = queries_of(cs_emulator, stream)[0].body
        assert first["orderBy"] == {field: "asc", "Gsid": "asc"}
    assert "da_picklist" not in result.final_state["bookmarks"] or not result.bookmark(
        "da_picklist"
    )
    (picklist_query, *_) = queries_of(cs_emulator, "da_picklist")
    assert picklist_query.body["orderBy"] == {"Gsid": "asc"}
    assert "where" not in picklist_query.body


def test_full_table_object_is_versioned_when_asked(cs_emulator) -> None:
    config = cs_config(cs_emulator, emit_activate_version_messages=True)
    result = run_sync(config, streams=["da_picklist", "gsuser"])
    activations = [m["stream"] for m in result.messages if m["type"] == "ACTIVATE_VERSION"]
    assert activations == ["da_picklist"], "only the full-table object is versioned"


def test_incremental_run_reads_only_the_lookback(cs_emulator) -> None:
    config = cs_config(cs_emulator)
    first = run_sync(config)
    changed = cs_emulator.tenant.advance(dt.timedelta(days=3), touch=5, new=2)
    cs_emulator.reset_log()
    second = run_sync(config, state=first.final_state)
    tenant = cs_emulator.tenant
    for stream in OBJECT_STREAMS - {"da_picklist"}:
        field = date_field(stream)
        since = parse_setting_datetime(first.bookmark(stream)) - dt.timedelta(hours=24)
        since_ms = to_epoch_ms(since.replace(microsecond=0))
        expected = {
            r["Gsid"]
            for r in tenant.records(object_of(stream))
            if r[field] is None or r[field] >= since_ms
        }
        sent = [r["Gsid"] for r in second.records[stream]]
        assert sorted(sent) == sorted(expected), stream
        assert {r["Gsid"] for r in changed[object_of(stream)]} <= set(sent), stream
        assert len(sent) < len(tenant.records(object_of(stream))) / 2, stream
    # A daily run: the list and describe (per tap process), then the passes of each object
    # (dated and never-modified) and of each delete log. The API does not say a pass has
    # ended, so each ends on one empty page ("nothing matches", HTTP 400 here), after one
    # page of what changed (every pass of this tenant is under the limit).
    sync_queries = [r for r in cs_emulator.requests if r.path.startswith(QUERY)]
    ends = [r for r in sync_queries if r.status != 200]
    assert len(ends) == 2 * (len(OBJECT_STREAMS) - 1) + 1 + 2
    found = [r for r in sync_queries if r.status == 200]
    assert len(found) <= len(ends), "one page per pass that found records"


def test_deleted_records_arrive_exactly_once_then_incrementally(cs_emulator) -> None:
    tenant = cs_emulator.tenant
    config = cs_config(cs_emulator)
    first = run_sync(config, streams=["deleted_records"])
    sent = [(r["ObjectName"], r["RecordId"]) for r in first.records["deleted_records"]]
    assert len(sent) == len(set(sent)) == len(delete_entries(tenant)) >= 30
    assert set(sent) == delete_entries(tenant)
    assert all(r["DeletedOn"].endswith("Z") for r in first.records["deleted_records"])
    # This tenant has no high-volume log: one OBJECT_NOT_FOUND answer, read as empty.
    assert {r["delete_log"] for r in first.records["deleted_records"]} == {"record_delete_log"}

    tenant.advance(dt.timedelta(days=2))
    gone = {("Company", r["Gsid"]) for r in tenant.delete("Company", 3)}
    gone |= {("renewal_forecast__gc", r["Gsid"]) for r in tenant.delete("renewal_forecast__gc", 2)}
    second = run_sync(config, state=first.final_state, streams=["deleted_records"])
    again = {(r["ObjectName"], r["RecordId"]) for r in second.records["deleted_records"]}
    assert gone <= again
    assert len(again) < len(sent), "only the lookback is read again"


def test_both_delete_logs_where_the_tenant_has_them() -> None:
    tenant = CSTenant.generate(seed=SEED, high_volume_log=True)
    tenant.delete("activity_timeline", 4)
    with CSEmulator(tenant, access_key=CS_ACCESS_KEY, requests_per_minute=None) as emulator:
        result = run_sync(cs_config(emulator), streams=["deleted_records"])
    logs = {r["delete_log"] for r in result.records["deleted_records"]}
    assert logs == {"record_delete_log", "record_delete_log_high_volume"}
    sent = {(r["ObjectName"], r["RecordId"]) for r in result.records["deleted_records"]}
    assert sent == delete_entries(tenant)
    partitions = result.final_state["bookmarks"]["deleted_records"]["partitions"]
    assert {p["context"]["delete_log"] for p in partitions} == logs


def delete_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "keeps deletions" in r.getMessage()]


def log_states(**logs: dict) -> dict:
    """A `deleted_records` state with one partition per named log."""
    partitions = [{"context": {"delete_log": log}, **state} for log, state in logs.items()]
    return {"bookmarks": {"deleted_records": {"partitions": partitions}}}


def days_ago(days: float) -> str:
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_quiet_tenants_second_run_warns_of_nothing(caplog) -> None:
    # Every deletion older than the API keeps them: the newest is the bookmark, weeks old.
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=20)
    tenant = CSTenant.generate(seed=SEED, companies=50, people=50, now=now)
    with CSEmulator(tenant, access_key=CS_ACCESS_KEY, requests_per_minute=None) as emulator:
        config = cs_config(emulator)
        first = run_sync(config, streams=["deleted_records"])
        assert first.records["deleted_records"]
        bookmark = parse_setting_datetime(
            first.final_state["bookmarks"]["deleted_records"]["partitions"][0][
                "replication_key_value"
            ]
        )
        assert dt.datetime.now(dt.timezone.utc) - bookmark > dt.timedelta(days=15)
        caplog.clear()
        run_sync(config, state=first.final_state, streams=["deleted_records"])
    assert delete_warnings(caplog) == []
    partitions = first.final_state["bookmarks"]["deleted_records"]["partitions"]
    # Both logs were read to their end, the absent high-volume one included.
    for partition in partitions:
        read_at = parse_setting_datetime(partition["last_complete_read"])
        assert dt.datetime.now(dt.timezone.utc) - read_at < dt.timedelta(minutes=5)
    assert len(partitions) == 2


def test_a_log_last_read_whole_16_days_ago_warns_once(cs_emulator, caplog) -> None:
    old = {"replication_key": "DeletedOn", "replication_key_value": days_ago(20)}
    state = log_states(
        record_delete_log={**old, "last_complete_read": days_ago(16)},
        record_delete_log_high_volume={"last_complete_read": days_ago(16)},
    )
    caplog.set_level(logging.WARNING)
    result = run_sync(cs_config(cs_emulator), state=state, streams=["deleted_records"])
    (warning,) = delete_warnings(caplog)
    assert "record_delete_log (16 days ago)" in warning
    assert "record_delete_log_high_volume (16 days ago)" in warning
    assert "--full-refresh" in warning
    # This run read both logs whole: the next one has nothing to warn of.
    caplog.clear()
    run_sync(cs_config(cs_emulator), state=result.final_state, streams=["deleted_records"])
    assert delete_warnings(caplog) == []


@pytest.mark.parametrize(
    ("state", "why"),
    [
        (
            {"replication_key_value": days_ago(2), "last_complete_read": days_ago(16)},
            "a resumed read reached a deletion of 2 days ago",
        ),
        ({"replication_key_value": days_ago(20)}, "an older state, without the time"),
    ],
)
def test_no_warning_when_nothing_can_have_been_missed(cs_emulator, caplog, state, why) -> None:
    state = log_states(record_delete_log={"replication_key": "DeletedOn", **state})
    run_sync(cs_config(cs_emulator), state=state, streams=["deleted_records"])
    assert delete_warnings(caplog) == [], why


def test_an_absent_log_is_named_by_its_path(cs_emulator, caplog) -> None:
    run_sync(cs_config(cs_emulator), streams=["deleted_records"])
    (line,) = [r.getMessage() for r in caplog.records if "no such log" in r.getMessage()]
    assert line.startswith("/v1/data/objects/query/record_delete_log_high_volume: ")
    assert "{" not in line


def test_custom_object_columns_are_typed(cs_emulator) -> None:
    result = run_sync(cs_config(cs_emulator), streams=["renewal_forecast__gc"])
    properties = result.schemas["renewal_forecast__gc"]["properties"]
    assert properties["Forecast_ARR__gc"]["type"] == ["number", "null"]
    assert properties["Seats__gc"]["type"] == ["number", "null"]
    assert properties["Committed__gc"]["type"] == ["boolean", "null"]
    assert properties["Renewal_Date__gc"]["format"] == "date-time"
    assert properties["Risk_Factors__gc"]["type"] == ["string", "null"]
    held = {r["Gsid"]: r for r in cs_emulator.tenant.records("renewal_forecast__gc")}
    for record in result.records["renewal_forecast__gc"]:
        original = held[record["Gsid"]]
        expected = original["Last_Reviewed__gc"]
        assert record["Last_Reviewed__gc"] == (expected and epoch_ms_to_rfc3339(expected))
        assert record["Committed__gc"] == original["Committed__gc"]


def test_picklist_values_join_to_da_picklist(cs_emulator) -> None:
    result = run_sync(cs_config(cs_emulator), streams=["call_to_action", "da_picklist"])
    labels = {item["Gsid"]: item["Name"] for item in result.records["da_picklist"]}
    statuses = {r["StatusId"] for r in result.records["call_to_action"] if r["StatusId"]}
    assert statuses
    assert statuses <= labels.keys(), "every picklist value is an item of da_picklist"


def test_cs_objects_narrows_and_widens(cs_emulator) -> None:
    narrow = cs_config(cs_emulator, cs_objects=["GSUSER", "Renewal_Forecast__gc"])
    result = run_sync(narrow)
    assert set(result.records) == {"gsuser", "renewal_forecast__gc", "deleted_records"}
    (describe,) = [r for r in cs_emulator.requests if r.path == DESCRIBE_PATH][-1:]
    assert describe.body["objectNames"] == ["GSUSER", "Renewal_Forecast__gc"]

    cs_emulator.reset_log()
    wide = cs_config(cs_emulator, cs_objects=["email_raw_events", "internal_notes__gc"])
    result = run_sync(wide)
    assert set(result.records) >= {"email_raw_events", "internal_notes__gc"}
    for stream in ("email_raw_events", "internal_notes__gc"):
        assert len(result.records[stream]) == len(cs_emulator.tenant.records(stream))


def test_discovery_lists_once_and_describes_in_one_request(cs_emulator) -> None:
    catalog = TapGainsight(config=cs_config(cs_emulator), parse_env_config=False).catalog_dict
    assert len(catalog["streams"]) == len(CS_STREAMS)
    assert [r.path for r in cs_emulator.requests] == [LIST_PATH, DESCRIBE_PATH]
    names = {name.lower() for name in cs_emulator.requests[1].body["objectNames"]}
    assert names == {object_of(s).lower() for s in OBJECT_STREAMS}
