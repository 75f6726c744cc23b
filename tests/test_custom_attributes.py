"""customAttributes typed from the tenant's attribute models, and the untyped fallback."""

from __future__ import annotations

from tap_gainsight.px.custom_attributes import ATTRIBUTE_SCHEMAS
from tap_gainsight.tap import TapGainsight
from tap_gainsight.timestamps import epoch_ms_to_rfc3339
from tests.conftest import px_config
from tests.sync import catalog_for, run_sync

MODELS = {"users": "/admin/model/user/attributes", "accounts": "/admin/model/account/attributes"}


def discovered(config: dict, stream: str) -> dict:
    catalog = TapGainsight(config=config, parse_env_config=False).catalog_dict
    (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == stream]
    return entry["schema"]["properties"]["customAttributes"]


def test_catalog_types_every_attribute_of_both_models(shared_emulator) -> None:
    for stream, path in MODELS.items():
        schema = discovered(px_config(shared_emulator), stream)
        model = shared_emulator.tenant.collections[path]
        assert {name: prop["type"] for name, prop in schema["properties"].items()} == {
            a["apiName"]: ATTRIBUTE_SCHEMAS[a["type"]]["type"] for a in model
        }
        assert schema["additionalProperties"] is True, "keys the model lacks still pass"
        dates = {a["apiName"] for a in model if a["type"] in ("DATE_TIME", "DATE")}
        assert dates, f"the {stream} model should hold a date attribute"
        assert all(schema["properties"][name]["format"] == "date-time" for name in dates)


def test_records_carry_typed_values_and_unknown_keys(emulator) -> None:
    users = emulator.tenant.collections["/users"]
    with_attributes = [u for u in users if u["customAttributes"]]
    with_attributes[0]["customAttributes"]["notInTheModel"] = "kept"
    held = {u["aptrinsicId"]: u["customAttributes"] for u in with_attributes}
    model = {a["apiName"]: a["type"] for a in emulator.tenant.collections[MODELS["users"]]}

    result = run_sync(px_config(emulator), streams=["users"])

    converted = 0
    for user in result.records["users"]:
        if user["aptrinsicId"] not in held:
            continue
        for name, original in held[user["aptrinsicId"]].items():
            value = user["customAttributes"][name]
            if model.get(name) in ("DATE_TIME", "DATE") and isinstance(original, int):
                assert value == epoch_ms_to_rfc3339(original)
                converted += 1
            else:
                assert value == original, name
    assert converted > 0
    kept = [
        u for u in result.records["users"] if (u["customAttributes"] or {}).get("notInTheModel")
    ]
    assert [u["customAttributes"]["notInTheModel"] for u in kept] == ["kept"]


def test_unreadable_model_falls_back_to_an_untyped_object_with_one_warning(
    emulator, caplog, quick_retries
) -> None:
    emulator.tenant.collections.pop(MODELS["accounts"])
    config = px_config(emulator, retry_max_tries=2)
    catalog = catalog_for(config, ["accounts"])  # discovery: a process of its own under Meltano
    caplog.clear()
    result = run_sync(config, catalog=catalog)

    warnings = [r for r in caplog.records if "Could not read the attribute model" in r.message]
    assert len(warnings) == 1
    assert "properties" not in result.schemas["accounts"]["properties"]["customAttributes"]
    assert len(result.records["accounts"]) == len(emulator.tenant.collections["/accounts"])


def test_flattening_gives_one_typed_column_per_attribute(shared_emulator) -> None:
    config = px_config(shared_emulator, flattening_enabled=True, flattening_max_depth=1)
    result = run_sync(config, streams=["accounts"])
    columns = result.schemas["accounts"]["properties"]
    for attribute in shared_emulator.tenant.collections[MODELS["accounts"]]:
        column = f"customAttributes__{attribute['apiName']}"
        assert columns[column]["type"] == ATTRIBUTE_SCHEMAS[attribute["type"]]["type"], column
    assert any(
        isinstance(r.get("customAttributes__arr"), (int, float)) for r in result.records["accounts"]
    )
