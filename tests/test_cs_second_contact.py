"""The tap against CS tenants as they may really be where docs/api.md is silent.

The documented world is the first contact; a real tenant may then show what it never does:
fields or objects the key's user may not read, dates sent as text, fewer records a page than
asked. Each world is a ``CSQuirks`` switch. In each, a first and an incremental run
both succeed, every record the tenant holds arrives exactly once per run (in the incremental
run, those modified since the bookmark less the 24 h lookback), deletions arrive, every
RECORD is valid against the SCHEMA in force, every date-time and bookmark is strict RFC 3339,
and the departure is said on a line starting ``API departure:``.
"""

from __future__ import annotations

import datetime as dt
import math
import typing as t
from dataclasses import dataclass

import pytest

from tap_gainsight.cs.deletes import DeletedRecordsStream
from tap_gainsight.cs.objects import CSObjectStream
from tap_gainsight.timestamps import epoch_ms_of, parse_setting_datetime
from tests.conftest import cs_config
from tests.emulator.cs import OBJECT_FIELDS
from tests.loader_check import not_rfc3339
from tests.sync import SyncResult, one_error_line, run_cli, run_sync
from tests.test_cs_objects import OBJECT_STREAMS, date_field, delete_entries, object_of, queries_of
from tests.test_worlds import assert_loadable, departures

if t.TYPE_CHECKING:
    from tests.emulator.cs import CSEmulator, CSTenant

DATE_TYPES = ("DATE", "DATETIME")
#: Objects that lose records between the runs, so that the second run has deletions to read.
DELETED_BETWEEN_RUNS = {"Company": 2, "renewal_forecast__gc": 2, "cs_task": 1}


def fields_of(stream: str) -> dict[str, str]:
    """The described fields of a stream's object: name -> data type."""
    return OBJECT_FIELDS[object_of(stream)]


def gsids(records: list[dict]) -> list[str]:
    return sorted(r["Gsid"] for r in records)


def since_ms(first: SyncResult, stream: str) -> int:
    """Where the incremental run starts reading: the first run's bookmark less 24 h."""
    since = parse_setting_datetime(first.bookmark(stream)) - dt.timedelta(hours=24)
    return int(since.replace(microsecond=0).timestamp() * 1000)


def modified_since(tenant: CSTenant, first: SyncResult, stream: str) -> list[dict]:
    """The records an incremental run after ``first`` reads: never modified, or since."""
    field = date_field(stream)
    records = tenant.records(object_of(stream))
    if field is None:
        return list(records)  # a full table: read whole every run
    since = since_ms(first, stream)
    return [r for r in records if r[field] is None or r[field] >= since]


def passes(stream: str) -> int:
    """The queries' passes over an object: dated then never-modified, or one by Gsid."""
    return 1 if date_field(stream) is None else 2


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def closing_lines(lines: list[str]) -> list[str]:
    """What a sync says once its streams are done: its total and what follows it."""
    starts = [i for i, line in enumerate(lines) if line.startswith("Sync complete")]
    return lines[starts[-1] :] if starts else []


def must_sync(config: dict, caplog, **kwargs: t.Any) -> SyncResult:
    """One run that must succeed; a stop fails the test with what the run logged as ERROR."""
    try:
        return run_sync(config, **kwargs)
    except SystemExit as stop:
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        pytest.fail(f"the sync stopped (exit {stop.code}): {errors}")


@dataclass
class TwoRuns:
    """A first run, the tenant living three days, and an incremental run from its state."""

    first: SyncResult
    second: SyncResult
    #: The departure lines of each run.
    said_first: list[str]
    said_second: list[str]
    #: Every log line of each run.
    logged_first: list[str]
    logged_second: list[str]


def assert_sent_once(result: SyncResult, stream: str, expected: list[dict]) -> None:
    sent = [r["Gsid"] for r in result.records[stream]]
    assert len(sent) == len(set(sent)), f"{stream}: a record was sent twice"
    assert sorted(sent) == gsids(expected), f"{stream}: {len(sent)} sent, {len(expected)} held"


def assert_well_formed(result: SyncResult) -> None:
    assert_loadable(result)
    assert not_rfc3339(result) == []


def deletions(result: SyncResult) -> list[tuple[str, str]]:
    return [(r["ObjectName"], r["RecordId"]) for r in result.records["deleted_records"]]


def two_runs(
    emulator: CSEmulator, caplog, config: dict, *, unread: frozenset[str] = frozenset()
) -> TwoRuns:
    """Run twice and check what every world must keep (module docstring).

    ``unread``: streams the world refuses, which must send no record (checked here); every
    other object stream must be whole in the first run and exact in the second. The
    emulator's request log holds the second run's requests only.
    """
    tenant = emulator.tenant
    readable = OBJECT_STREAMS - unread
    first = must_sync(config, caplog)
    said_first, logged_first = departures(caplog), messages(caplog)
    caplog.clear()
    assert_well_formed(first)
    for stream in readable:
        assert_sent_once(first, stream, tenant.records(object_of(stream)))
    for stream in unread:
        assert first.records.get(stream, []) == [], stream
    sent = deletions(first)
    assert len(sent) == len(set(sent)), "a deletion was sent twice"
    assert set(sent) == delete_entries(tenant)

    gone = {
        (name, r["Gsid"])
        for name, n in DELETED_BETWEEN_RUNS.items()
        for r in tenant.delete(name, n)
    }
    changed = tenant.advance(dt.timedelta(days=3), touch=5, new=2)
    emulator.reset_log()
    second = must_sync(config, caplog, state=first.final_state)
    said_second, logged_second = departures(caplog), messages(caplog)
    assert_well_formed(second)
    for stream in readable:
        assert_sent_once(second, stream, modified_since(tenant, first, stream))
        sent_now = {r["Gsid"] for r in second.records[stream]}
        assert {r["Gsid"] for r in changed.get(object_of(stream), [])} <= sent_now, stream
    for stream in unread:
        assert second.records.get(stream, []) == [], stream
    sent = deletions(second)
    assert len(sent) == len(set(sent)), "a deletion was sent twice"
    assert gone <= set(sent)
    return TwoRuns(first, second, said_first, said_second, logged_first, logged_second)


@pytest.fixture
def pages_of_50(monkeypatch) -> int:
    """Object and delete-log queries of 50 records, so that every object takes pages."""
    monkeypatch.setattr(CSObjectStream, "page_limit", 50)
    monkeypatch.setattr(DeletedRecordsStream, "page_limit", 50)
    return 50


# -- refused fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "refused",
    [
        pytest.param({"companies": "Tier__gc"}, id="one-field"),
        pytest.param(
            {"companies": "Tier__gc", "renewal_forecast__gc": "Forecast_ARR__gc",
             "people": "Region__gc"},
            id="three-fields",
        ),
    ],
)  # fmt: skip
@pytest.mark.parametrize(
    "wording",
    [
        pytest.param(None, id="naming"),
        pytest.param("One or more fields in select are not accessible", id="not-naming"),
    ],
)
def test_a_refused_field_is_left_out_and_the_rest_arrives(
    cs_emulator, caplog, refused, wording
) -> None:
    cs_emulator.quirks.refused_fields = ",".join(
        f"{object_of(stream)}.{field}" for stream, field in refused.items()
    )
    cs_emulator.quirks.refused_field_message = wording
    runs = two_runs(cs_emulator, caplog, cs_config(cs_emulator))

    tenant = cs_emulator.tenant
    for result in (runs.first, runs.second):
        for stream, field in refused.items():
            held = {r["Gsid"]: r for r in tenant.records(object_of(stream))}
            others = {f: dtype for f, dtype in fields_of(stream).items() if f != field}
            records = result.records[stream]
            if result is runs.first:  # as the tenant holds them now: not those changed since
                read_again = {r["Gsid"] for r in runs.second.records[stream]}
                records = [r for r in records if r["Gsid"] not in read_again]
            for record in (r for r in records if r["Gsid"] in held):  # not deleted since
                assert record.get(field) is None, (stream, field)
                stored = held[record["Gsid"]]
                for name, dtype in others.items():
                    assert name in record, (stream, name)
                    value, original = record[name], stored[name]
                    if dtype in DATE_TYPES and original is not None:
                        assert epoch_ms_of(value) == original, (stream, name, value)
                    else:
                        assert value == original, (stream, name, value)
    for field in refused.values():
        assert any(field in line for line in runs.said_first), (field, runs.said_first)


# -- dates as text --------------------------------------------------------------------------


def date_properties(result: SyncResult, stream: str) -> set[str]:
    properties = result.schemas[stream]["properties"]
    return {name for name, prop in properties.items() if prop.get("format") == "date-time"}


# "mixed" cycles through the offset and space forms (and Z, and offsets other than UTC) on
# every page, the keyset passing each back; "date" is the one form it leaves out.
@pytest.mark.parametrize("form", ["date", "mixed"])
def test_dates_sent_as_text_arrive_as_rfc3339_utc_at_the_same_instant(
    cs_emulator, caplog, pages_of_50, form
) -> None:
    cs_emulator.quirks.text_dates = form
    runs = two_runs(cs_emulator, caplog, cs_config(cs_emulator))

    tenant = cs_emulator.tenant
    for result in (runs.first, runs.second):
        for stream in OBJECT_STREAMS:
            dates = {f for f, dtype in fields_of(stream).items() if dtype in DATE_TYPES}
            assert dates <= date_properties(result, stream), f"{stream}: dates stay date-times"
            for record in result.records[stream]:
                for name in dates:
                    value = record[name]
                    assert value is None or value.endswith("Z"), (stream, name, value)
            held = {r["Gsid"]: r for r in tenant.records(object_of(stream))}
            # The same instant as the tenant holds (now: so not the first run's records of
            # those the tenant changed since, which the second run read again).
            read_again = {r["Gsid"] for r in runs.second.records[stream]}
            records = result.records[stream]
            if result is runs.first:
                records = [r for r in records if r["Gsid"] not in read_again]
            for record in records[:25]:
                for name in dates:
                    original, value = held[record["Gsid"]][name], record[name]
                    if original is None:
                        assert value is None, (stream, name, value)
                    else:
                        assert epoch_ms_of(value) == original, (stream, name, value)
    assert runs.said_first, "the dates' form is said"
    assert runs.said_second, "and said again in the next run"

    # The incremental run read only what changed: no more queries than its pages need.
    for stream in OBJECT_STREAMS - {"da_picklist"}:
        expected = modified_since(tenant, runs.first, stream)
        assert len(expected) < len(tenant.records(object_of(stream))) / 2, stream
        asked = len(queries_of(cs_emulator, object_of(stream)))
        assert asked <= passes(stream) * (math.ceil(len(expected) / pages_of_50) + 1), stream


# -- refused objects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("refused", "status"),
    [
        pytest.param("renewal_forecast__gc", None, id="custom-object-403"),
        pytest.param("activity_timeline", "404", id="timeline-404"),
    ],
)
def test_a_refused_object_is_skipped_said_and_the_rest_arrives(
    cs_emulator, caplog, refused, status
) -> None:
    cs_emulator.quirks.refused_objects = refused
    cs_emulator.quirks.refused_objects_status = status
    runs = two_runs(cs_emulator, caplog, cs_config(cs_emulator), unread=frozenset({refused}))

    for said, logged in (
        (runs.said_first, runs.logged_first),
        (runs.said_second, runs.logged_second),
    ):
        assert any(refused in line and "refused" in line for line in said), said
        closing = closing_lines(logged)
        assert any("skipped" in line and refused in line for line in closing), closing


@pytest.mark.parametrize("status", [pytest.param(None, id="403"), pytest.param("404", id="404")])
def test_a_refused_company_stops_the_run_naming_the_access_key(
    cs_emulator, tmp_path, status
) -> None:
    """Company is what the product is about: without it, the key is not one to sync with."""
    cs_emulator.quirks.refused_objects = "Company"
    cs_emulator.quirks.refused_objects_status = status
    result = run_cli(cs_config(cs_emulator), tmp_path)
    assert "cs_access_key" in one_error_line(result)


# -- a silent page cap ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cap", "page_limit"),
    [
        pytest.param("7", 50, id="7-of-50"),
        pytest.param("1000", None, id="1000-of-5000"),
    ],
)
def test_a_page_cap_the_api_does_not_say_loses_nothing(
    cs_emulator, caplog, monkeypatch, cap, page_limit
) -> None:
    if page_limit is not None:
        monkeypatch.setattr(CSObjectStream, "page_limit", page_limit)
        monkeypatch.setattr(DeletedRecordsStream, "page_limit", page_limit)
    cs_emulator.quirks.page_cap = cap
    assert len(cs_emulator.tenant.records("Person")) > int(cap), "the cap must bite"
    runs = two_runs(cs_emulator, caplog, cs_config(cs_emulator))
    assert runs.said_first, "the short pages are said"


# -- the documented world -------------------------------------------------------------------


def test_the_documented_world_asks_one_query_a_page_and_pass(cs_emulator, monkeypatch) -> None:
    """Per object, at most one query per page of each pass, and one more that ends the pass."""
    monkeypatch.setattr(CSObjectStream, "page_limit", 40)
    tenant = cs_emulator.tenant
    config = cs_config(cs_emulator)
    first = run_sync(config)
    for stream in OBJECT_STREAMS:
        held = tenant.records(object_of(stream))
        asked = len(queries_of(cs_emulator, object_of(stream)))
        assert asked <= passes(stream) * (math.ceil(len(held) / 40) + 1), stream

    tenant.advance(dt.timedelta(days=3), touch=5, new=2)
    cs_emulator.reset_log()
    run_sync(config, state=first.final_state)
    for stream in OBJECT_STREAMS:
        expected = modified_since(tenant, first, stream)
        asked = len(queries_of(cs_emulator, object_of(stream)))
        assert asked <= passes(stream) * (math.ceil(len(expected) / 40) + 1), stream
