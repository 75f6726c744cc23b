"""Stream maps, aliases, filters and flattening, as in any SDK tap, with the schema watch.

Records are checked as the API sent them against the stream's own schema; the target is
told what the maps make of it. So a field a map removes, renames or derives is no field the
API sends: one SCHEMA per output stream, no departure, and every record fits it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import typing as t
from collections import Counter
from dataclasses import dataclass

import pytest

from tap_gainsight.departures import PREFIX
from tests.conftest import API_KEY, SEED, px_config
from tests.emulator import Emulator, Tenant, TenantSize
from tests.loader_check import invalid_records, records_checked
from tests.meltano_project import install_plugins, meltano, meltano_env
from tests.sync import SyncResult, catalog_for, run_sync

NEW_FIELD_LOG = "the schema lacks, now added to it and kept"
SALT = "pepper-3"


@dataclass(frozen=True)
class Subject:
    """A stream the maps are tried on: where the emulator keeps it, and a field to keep out."""

    stream: str
    path: str
    key: str
    #: A field a user keeps out of the warehouse (personal data), text in every record.
    private: str
    #: A nested object with declared properties (flattened), and one of them.
    nested: str
    nested_property: str

    def derived(self, value: str | None) -> str | None:
        """What the derive case makes of the private field (an email's domain, an IP's /16)."""
        if value is None:
            return None
        return value.split("@")[-1] if "@" in value else ".".join(value.split(".")[:2])


USERS = Subject("users", "/users", "aptrinsicId", "email", "location", "city")
SESSIONS = Subject(
    "session_events", "/events/session", "eventId", "remoteHost", "inferredLocation", "city"
)


@dataclass(frozen=True)
class Case:
    """Settings of one kind of map, and what they make of each record of a subject."""

    name: str
    settings: t.Callable[[Subject], dict[str, t.Any]]
    #: The stream the records go out as.
    output: t.Callable[[Subject], str] = lambda subject: subject.stream
    #: Which held records the output has (all of them, but for a filter).
    keeps: t.Callable[[Subject, dict], bool] = lambda subject, held: True

    def __str__(self) -> str:
        return self.name


def derive_expression(subject: Subject) -> str:
    field = subject.private
    if subject is USERS:
        return f"{field}.split('@')[-1] if {field} else None"
    return f"'.'.join({field}.split('.')[:2]) if {field} else None"


def even_key(subject: Subject, held: dict) -> bool:
    return int(hashlib.md5(held[subject.key].encode()).hexdigest(), 16) % 2 == 0


CASES = [
    Case("remove", lambda s: {"stream_maps": {s.stream: {s.private: "__NULL__"}}}),
    Case(
        "rename",
        lambda s: {"stream_maps": {s.stream: {"kept_as": s.private, s.private: "__NULL__"}}},
    ),
    Case(
        "derive from a removed field",
        lambda s: {"stream_maps": {s.stream: {"derived": derive_expression(s), s.private: None}}},
    ),
    Case(
        "stream_map_config",
        lambda s: {
            "stream_map_config": {"salt": SALT},
            "stream_maps": {
                s.stream: {
                    "hashed": f"md5(config['salt'] + {s.private}) if {s.private} else None",
                    s.private: "__NULL__",
                }
            },
        },
    ),
    Case(
        "alias",
        lambda s: {"stream_maps": {s.stream: {"__alias__": f"px_{s.stream}"}}},
        output=lambda s: f"px_{s.stream}",
    ),
    Case(
        "filter",
        lambda s: {"stream_maps": {s.stream: {"__filter__": f"int(md5({s.key}), 16) % 2 == 0"}}},
        keeps=even_key,
    ),
    Case("flattening", lambda s: {"flattening_enabled": True, "flattening_max_depth": 1}),
]


def assert_mapped(case: Case, subject: Subject, held: dict, record: dict) -> None:
    """The map's effect on one record, given the record as the tenant holds it."""
    private = held[subject.private]
    if case.name == "remove":
        assert subject.private not in record
    elif case.name == "rename":
        assert subject.private not in record
        assert record["kept_as"] == private
    elif case.name == "derive from a removed field":
        assert subject.private not in record
        assert record["derived"] == subject.derived(private)
    elif case.name == "stream_map_config":
        assert subject.private not in record
        expected = None if private is None else hashlib.md5((SALT + private).encode()).hexdigest()
        assert record["hashed"] == expected
    elif case.name == "flattening":
        nested = held[subject.nested]
        assert type(record.get(subject.nested)) is not dict
        if nested is not None:
            column = f"{subject.nested}__{subject.nested_property}"
            assert record[column] == nested[subject.nested_property]
    else:
        assert record[subject.private] == private


def assert_map_schema(case: Case, subject: Subject, schema: dict) -> None:
    """The SCHEMA the target is told: the map's transformation of the stream's schema."""
    properties = schema["properties"]
    column = {"rename": "kept_as", "derive from a removed field": "derived"}.get(case.name)
    if case.name in {"remove", "rename", "derive from a removed field", "stream_map_config"}:
        assert subject.private not in properties
    if column:
        assert properties[column]["type"] == ["string", "null"]
    if case.name == "stream_map_config":
        assert "hashed" in properties
    if case.name == "flattening":
        assert subject.nested not in properties
        assert f"{subject.nested}__{subject.nested_property}" in properties


def schema_messages(result: SyncResult) -> Counter[str]:
    return Counter(m["stream"] for m in result.messages if m["type"] == "SCHEMA")


def complaints(caplog) -> list[str]:
    """Lines a user would take for a problem: WARNINGs, departures, false new fields."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING
        or r.getMessage().startswith(PREFIX)
        or NEW_FIELD_LOG in r.getMessage()
    ]


def config_for(emulator, subject: Subject, **settings: t.Any) -> dict[str, t.Any]:
    start = emulator.tenant.now - dt.timedelta(days=402)
    config = px_config(emulator, **settings)
    return {**config, "start_date": start.isoformat()} if subject is SESSIONS else config


def mapped_sync(emulator, subject: Subject, settings: dict[str, t.Any]) -> SyncResult:
    """A sync of the subject alone with the settings: the catalog is discovered without them."""
    catalog = catalog_for(config_for(emulator, subject), [subject.stream])
    return run_sync(config_for(emulator, subject, **settings), catalog=catalog)


def held_records(emulator, subject: Subject) -> dict[str, dict]:
    return {r[subject.key]: r for r in emulator.tenant.collections[subject.path]}


@pytest.mark.parametrize("subject", [USERS, SESSIONS], ids=lambda s: s.stream)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_map_sends_one_schema_and_every_record_fits_it(
    shared_emulator, caplog, case, subject
) -> None:
    result = mapped_sync(shared_emulator, subject, case.settings(subject))
    output = case.output(subject)

    assert records_checked(result) > 0
    assert invalid_records(result) == []
    assert schema_messages(result) == {output: 1}
    assert set(result.records) == {output}
    assert complaints(caplog) == []
    assert_map_schema(case, subject, result.schemas[output])

    held = held_records(shared_emulator, subject)
    sent = [r[subject.key] for r in result.records[output]]
    assert Counter(sent) == Counter(k for k, r in held.items() if case.keeps(subject, r))
    for record in result.records[output]:
        assert_mapped(case, subject, held[record[subject.key]], record)


@pytest.mark.parametrize("case", [c for c in CASES if c.name != "filter"], ids=str)
def test_a_field_the_api_starts_to_send_reaches_the_target_through_the_map(
    emulator, caplog, case
) -> None:
    emulator.tenant.add_field("/users", "lifecycleStage", lambda u: f"stage-{u['score'] % 3}")
    result = mapped_sync(emulator, USERS, case.settings(USERS))
    output = case.output(USERS)

    assert invalid_records(result) == []
    assert schema_messages(result) == {output: 2}, "one SCHEMA more, for the new field"
    schemas = [m["schema"] for m in result.messages if m["type"] == "SCHEMA"]
    assert "lifecycleStage" not in schemas[0]["properties"]
    assert schemas[1]["properties"]["lifecycleStage"] == {"type": ["string", "null"]}
    for schema in schemas:
        assert_map_schema(case, USERS, schema)
    announced = [line for line in complaints(caplog) if NEW_FIELD_LOG in line]
    assert len(announced) == 1
    assert "lifecycleStage" in announced[0]

    held = held_records(emulator, USERS)
    assert sorted(r[USERS.key] for r in result.records[output]) == sorted(held)
    for record in result.records[output]:
        user = held[record[USERS.key]]
        assert record["lifecycleStage"] == user["lifecycleStage"]
        assert_mapped(case, USERS, user, record)


def test_a_type_drift_widens_the_mapped_schema_once(emulator, caplog) -> None:
    users = emulator.tenant.collections["/users"]
    with emulator.tenant.lock:
        users[len(users) // 2] = {**users[len(users) // 2], "numberOfVisits": "many"}
    settings = {
        "stream_maps": {"users": {"visits": "numberOfVisits", "email": None}},
        "flattening_enabled": True,
        "flattening_max_depth": 1,
    }
    result = mapped_sync(emulator, USERS, settings)

    assert invalid_records(result) == []
    schemas = [m["schema"]["properties"] for m in result.messages if m["type"] == "SCHEMA"]
    assert len(schemas) == 2, "one SCHEMA more, for the widened column"
    for column in ("numberOfVisits", "visits"):
        assert schemas[0][column]["type"] == ["number", "null"]
        assert schemas[1][column]["type"] == ["number", "string", "null"]
    for properties in schemas:
        assert "email" not in properties
        assert "location" not in properties
        assert "location__city" in properties
    assert [line for line in complaints(caplog) if line.startswith(PREFIX)] != []
    assert len(result.records["users"]) == len(users)
    assert "many" in {r["visits"] for r in result.records["users"]}


def test_meltano_run_with_a_map_removing_a_field(tmp_path) -> None:
    """`meltano run` with the `stream_maps` extra, into target-jsonl, which validates records."""
    tenant = Tenant.generate(seed=SEED, size=TenantSize(users=400, history_days=10))
    with Emulator(tenant, api_key=API_KEY) as emulator:
        settings = {
            "api_key": API_KEY,
            "api_url": emulator.base_url,
            "max_requests_per_second": 10_000,
            "stream_maps": json.dumps({"users": {"email": None}}),
        }
        env = meltano_env(
            tmp_path,
            settings,
            TAP_GAINSIGHT__SELECT=json.dumps(["users.*"]),
            TARGET_JSONL_DESTINATION_PATH=str(tmp_path),
        )
        install_plugins(env, "tap-gainsight", "target-jsonl")
        run = meltano("run", "tap-gainsight", "target-jsonl", env=env)

    rows = [json.loads(line) for line in (tmp_path / "users.jsonl").read_text().splitlines()]
    users = {u["aptrinsicId"]: u for u in tenant.collections["/users"]}
    assert sorted(row["aptrinsicId"] for row in rows) == sorted(users)
    assert all("email" not in row for row in rows)
    assert all(row["firstName"] == users[row["aptrinsicId"]]["firstName"] for row in rows)
    assert [path.name for path in tmp_path.glob("*.jsonl")] == ["users.jsonl"]
    log = run.stdout + run.stderr
    assert "Sync complete: 400 records" in log, "the tap's log is read"
    assert NEW_FIELD_LOG not in log
    assert PREFIX not in log


def test_a_partly_selected_stream_with_a_map_and_flattening(shared_emulator, caplog) -> None:
    """The SDK's own path for deselected properties, then the map and flattening."""
    config = px_config(shared_emulator)
    catalog = catalog_for(config, ["users"])
    (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == "users"]
    entry["metadata"].append(
        {"breadcrumb": ["properties", "phone"], "metadata": {"selected": False}}
    )
    settings = {**CASES[0].settings(USERS), "flattening_enabled": True, "flattening_max_depth": 1}
    result = run_sync({**config, **settings}, catalog=catalog)

    assert invalid_records(result) == []
    assert schema_messages(result) == {"users": 1}
    assert complaints(caplog) == []
    assert {"phone", "email", "location"}.isdisjoint(result.schemas["users"]["properties"])
    assert len(result.records["users"]) == len(shared_emulator.tenant.collections["/users"])
    for record in result.records["users"]:
        assert {"phone", "email"}.isdisjoint(record)
        assert type(record.get("location")) is not dict
