"""What the tap relies on in SDK internals: these fail on an upgrade that changes them.

Two SDK-private members are overridden, where no public hook exists, and no other:
- `OrderGuardedStream._increment_stream_state` (every incremental stream), to skip
  never-modified records, to keep only the largest value once the API's order broke, and to
  hold an event window's bookmark at its start while its events are out of date order;
- `TapGainsight._env_var_config`, to say a non-integer integer setting from the environment
  in one line rather than a traceback.

One SDK-private helper is called: `get_selected_schema`, for the stream's schema as the
SDK's mapper registers it (`schema_watch.selected_schema`).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
from importlib.metadata import version

import pytest
from singer_sdk import Stream
from singer_sdk.helpers._classproperty import classproperty
from singer_sdk.plugin_base import PluginBase

from tap_gainsight.order_guard import OrderGuardedStream
from tap_gainsight.schema_watch import selected_schema
from tap_gainsight.tap import TapGainsight
from tests.conftest import px_config
from tests.sync import catalog_for


def test_singer_sdk_is_the_pinned_minor_release() -> None:
    assert version("singer-sdk").startswith("0.54."), "review the overrides below, then re-pin"


def sdk_private_overrides(cls: type) -> set[str]:
    """The members `cls` defines that an SDK class it derives from defines too, privately."""
    sdk_bases = [base for base in cls.__mro__[1:] if base.__module__.startswith("singer_sdk")]
    return {
        name
        for name in vars(cls)
        if name.startswith("_")
        and not name.startswith("__")
        and name != "_abc_impl"  # ABCMeta's, on every abstract class
        and any(name in vars(base) for base in sdk_bases)
    }


def package_classes() -> list[type]:
    """Every class the package defines, in every module of it."""
    import tap_gainsight

    classes: list[type] = []
    for module_info in pkgutil.walk_packages(tap_gainsight.__path__, "tap_gainsight."):
        if module_info.name.endswith("__main__"):
            continue  # running it runs the tap
        module = importlib.import_module(module_info.name)
        classes += [
            value
            for value in vars(module).values()
            if inspect.isclass(value) and value.__module__ == module.__name__
        ]
    return classes


def test_only_the_tap_and_the_order_guard_override_sdk_private_members() -> None:
    overrides = {cls.__qualname__: sdk_private_overrides(cls) for cls in package_classes()}
    assert {name: found for name, found in overrides.items() if found} == {
        "TapGainsight": {"_env_var_config"},
        "OrderGuardedStream": {"_increment_stream_state"},
    }


def test_increment_stream_state_keeps_its_signature() -> None:
    parameters = inspect.signature(Stream._increment_stream_state).parameters
    assert list(parameters) == ["self", "latest_record", "context"]
    assert parameters["context"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["context"].default is None
    assert "_increment_stream_state" in vars(OrderGuardedStream)


def test_the_sdk_sets_the_bookmark_where_the_order_guard_resets_it(shared_emulator) -> None:
    """`break_order` turns back the value the SDK writes to the stream's state dictionary."""
    tap = TapGainsight(config=px_config(shared_emulator), parse_env_config=False)
    stream = tap.streams["users"]
    value = "2024-01-02T03:04:05.006Z"
    Stream._increment_stream_state(stream, {"lastModifiedDate": value})
    assert stream.get_context_state(None)["replication_key_value"] == value


def test_the_sdk_still_warns_on_a_null_bookmark_value(shared_emulator, caplog) -> None:
    """Why the override exists: without it, one warning per never-modified record."""
    tap = TapGainsight(config=px_config(shared_emulator), parse_env_config=False)
    stream = tap.streams["users"]
    caplog.set_level(logging.WARNING)
    Stream._increment_stream_state(stream, {"lastModifiedDate": None})
    assert "New replication value is null" in caplog.text


def test_env_var_config_is_still_a_class_property_that_raises_value_error(monkeypatch) -> None:
    """What `TapGainsight._env_var_config` calls and catches."""
    assert isinstance(vars(PluginBase)["_env_var_config"], classproperty)
    assert isinstance(vars(TapGainsight)["_env_var_config"], classproperty)
    monkeypatch.setenv("TAP_GAINSIGHT_PAGE_SIZE", "abc")
    with pytest.raises(ValueError, match="invalid literal for int"):
        vars(PluginBase)["_env_var_config"].fget(TapGainsight)


def test_the_schema_watch_starts_from_the_schema_the_sdks_mapper_registers(
    shared_emulator,
) -> None:
    """With no map, the primary map's `raw_schema` is the registered schema, deselections out."""
    config = px_config(shared_emulator)
    catalog = catalog_for(config, ["users"])
    (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == "users"]
    for breadcrumb in (["properties", "email"], ["properties", "location", "properties", "city"]):
        entry["metadata"].append({"breadcrumb": breadcrumb, "metadata": {"selected": False}})
    tap = TapGainsight(config=config, catalog=catalog, parse_env_config=False)
    schema = selected_schema(tap.streams["users"])
    assert "email" not in schema["properties"]
    assert "city" not in schema["properties"]["location"]["properties"]
    assert schema == tap.mapper.stream_maps["users"][0].raw_schema
