"""Fields the API starts to send are kept: a new SCHEMA before the first record that has them."""

from __future__ import annotations

import datetime as dt
import logging

from tap_gainsight.schema_watch import inferred_property
from tests.conftest import px_config
from tests.sync import catalog_for, run_sync

NEW_FIELD_LOG = "the schema lacks, now added to it and kept"


def schema_then_records(result, stream: str) -> list[tuple[str, dict]]:
    """The stream's SCHEMA and RECORD messages in order, as (type, schema or record)."""
    return [
        (m["type"], m["schema"] if m["type"] == "SCHEMA" else m["record"])
        for m in result.messages
        if m.get("stream") == stream and m["type"] in {"SCHEMA", "RECORD"}
    ]


def first_record_with(messages: list[tuple[str, dict]], field: str) -> int:
    return next(i for i, (kind, body) in enumerate(messages) if kind == "RECORD" and field in body)


def last_schema_before(messages: list[tuple[str, dict]], index: int) -> dict:
    return next(body for kind, body in reversed(messages[:index]) if kind == "SCHEMA")


def events_config(emulator, **overrides):
    start = emulator.tenant.now - dt.timedelta(days=20)
    return px_config(emulator, start_date=start.isoformat(), **overrides)


def test_new_fields_are_announced_then_kept(emulator, caplog) -> None:
    tenant = emulator.tenant
    tenant.add_field("/users", "lifecycleStage", lambda u: f"stage-{u['score'] % 3}")
    tenant.add_field("/users", "seatCount", lambda u: u["score"])
    tenant.add_field("/events/pageView", "scrollDepth", lambda e: len(e["eventId"]))
    result = run_sync(events_config(emulator), streams=["users", "page_view_events"])

    for stream, path, key, fields in (
        ("users", "/users", "aptrinsicId", {"lifecycleStage": "string", "seatCount": "number"}),
        ("page_view_events", "/events/pageView", "eventId", {"scrollDepth": "number"}),
    ):
        messages = schema_then_records(result, stream)
        for name, kind in fields.items():
            assert name not in messages[0][1]["properties"], "the built-in schema lacks it"
            schema = last_schema_before(messages, first_record_with(messages, name))
            assert schema["properties"][name] == {"type": [kind, "null"]}
        held = {r[key]: r for r in tenant.collections[path]}
        assert result.records[stream], stream
        for record in result.records[stream]:
            for name in fields:
                assert record[name] == held[record[key]][name], (stream, name)
        announced = [r for r in caplog.records if NEW_FIELD_LOG in r.getMessage()]
        assert len([r for r in announced if r.getMessage().startswith(f"{stream}:")]) == 1
    schemas = [m for m in result.messages if m["type"] == "SCHEMA" and m["stream"] == "users"]
    assert len(schemas) == 2, "one SCHEMA at the start, one when the new fields arrive"


def test_known_fields_send_one_schema_and_log_nothing(shared_emulator, caplog) -> None:
    result = run_sync(px_config(shared_emulator), streams=["users", "features"])
    for stream in ("users", "features"):
        assert (
            len([m for m in result.messages if m.get("stream") == stream and m["type"] == "SCHEMA"])
            == 1
        )
    assert NEW_FIELD_LOG not in caplog.text


def test_a_catalog_that_deselects_a_field_drops_it(emulator, caplog) -> None:
    emulator.tenant.add_field("/users", "lifecycleStage", lambda u: "trial")
    catalog = catalog_for(px_config(emulator), ["users"])
    (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == "users"]
    entry["schema"]["properties"]["lifecycleStage"] = {"type": ["string", "null"]}
    entry["metadata"].append(
        {"breadcrumb": ["properties", "lifecycleStage"], "metadata": {"selected": False}}
    )
    result = run_sync(px_config(emulator), catalog=catalog)
    assert result.records["users"]
    assert all("lifecycleStage" not in r for r in result.records["users"])
    assert "lifecycleStage" not in result.schemas["users"]["properties"]
    assert NEW_FIELD_LOG not in caplog.text


def test_a_stale_catalog_gains_the_declared_type_of_a_field_it_lacks(emulator) -> None:
    catalog = catalog_for(px_config(emulator), ["users"])
    (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == "users"]
    declared = entry["schema"]["properties"].pop("lastSeenDate")
    assert declared["format"] == "date-time"
    result = run_sync(px_config(emulator), catalog=catalog)
    assert result.schemas["users"]["properties"]["lastSeenDate"] == declared
    assert all(
        r["lastSeenDate"] is None or "T" in r["lastSeenDate"] for r in result.records["users"]
    )


def test_a_null_new_field_waits_for_a_value_to_be_typed(emulator) -> None:
    users = emulator.tenant.collections["/users"]
    first_valued = users[len(users) // 2]["aptrinsicId"]
    emulator.tenant.add_field(
        "/users", "region", lambda u: "emea" if u["aptrinsicId"] == first_valued else None
    )
    result = run_sync(px_config(emulator), streams=["users"])
    messages = schema_then_records(result, "users")
    index = first_record_with(messages, "region")
    assert messages[index][1]["aptrinsicId"] == first_valued
    assert last_schema_before(messages, index)["properties"]["region"] == {
        "type": ["string", "null"]
    }
    assert len(result.records["users"]) == len(users)


def test_a_new_whole_number_field_is_a_number_so_later_fractions_fit(emulator, caplog) -> None:
    caplog.set_level(logging.INFO)
    users = emulator.tenant.collections["/users"]
    fractional = {u["aptrinsicId"] for u in users[::7]}
    emulator.tenant.add_field(
        "/users", "health", lambda u: 0.5 if u["aptrinsicId"] in fractional else 3
    )
    result = run_sync(px_config(emulator, page_size=100), streams=["users"])
    messages = schema_then_records(result, "users")
    types = [
        body["properties"].get("health", {}).get("type")
        for kind, body in messages
        if kind == "SCHEMA"
    ]
    # A number from the first value: SQL loaders would keep an integer column and round.
    assert [t for t in types if t] == [["number", "null"]]
    assert sorted(r["health"] for r in result.records["users"]) == sorted(
        0.5 if u["aptrinsicId"] in fractional else 3 for u in users
    )


def test_inferred_types() -> None:
    assert inferred_property(True) == {"type": ["boolean", "null"]}
    assert inferred_property(7) == {"type": ["number", "null"]}
    assert inferred_property(7.5) == {"type": ["number", "null"]}
    assert inferred_property("x") == {"type": ["string", "null"]}
    assert inferred_property({"a": 1}) == {"type": ["object", "null"]}
    assert inferred_property([1]) == {"type": ["array", "null"], "items": {}}
