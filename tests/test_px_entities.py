"""PX entity streams over a real socket: completeness, paging edges, incremental state."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tap_gainsight.px.entities import PX_ENTITY_ENDPOINTS, WholeListStream
from tap_gainsight.timestamps import epoch_ms_to_rfc3339, parse_setting_datetime, to_epoch_ms
from tests.conftest import px_config
from tests.sync import catalog_for, run_sync

ENTITY_STREAMS = [endpoint.name for endpoint in PX_ENTITY_ENDPOINTS]
#: The incremental entity streams: (stream, path, key).
SCROLL_ENTITIES = pytest.mark.parametrize(
    ("stream", "path", "key"),
    [("users", "/users", "aptrinsicId"), ("accounts", "/accounts", "id")],
)
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def requests_to(emulator, path: str) -> list:
    return [r for r in emulator.requests if r.path == path]


def test_every_entity_record_arrives_exactly_once(shared_emulator) -> None:
    result = run_sync(px_config(shared_emulator), streams=ENTITY_STREAMS)
    for endpoint in PX_ENTITY_ENDPOINTS:
        held = [r[endpoint.primary_key] for r in shared_emulator.tenant.collections[endpoint.path]]
        sent = [r[endpoint.primary_key] for r in result.records[endpoint.name]]
        assert len(held) > 0, endpoint.name
        assert sorted(sent) == sorted(held), endpoint.name
        assert len(set(sent)) == len(sent), f"{endpoint.name} sent a record twice"


def test_paged_endpoints_span_several_pages(shared_emulator) -> None:
    """Without this the completeness test above would not exercise paging at all."""
    sizes = {"/users": 1000, "/feature": 200, "/segment": 200, "/engagement": 500, "/articles": 500}
    for path, page_size in sizes.items():
        assert len(shared_emulator.tenant.collections[path]) > page_size, path


def test_epoch_ms_become_rfc3339_and_unknown_dates_null(shared_emulator) -> None:
    result = run_sync(px_config(shared_emulator), streams=["users"])
    held = {u["aptrinsicId"]: u for u in shared_emulator.tenant.collections["/users"]}
    unknown_first_visits = 0
    for user in result.records["users"]:
        original = held[user["aptrinsicId"]]
        assert user["lastModifiedDate"] == epoch_ms_to_rfc3339(original["lastModifiedDate"])
        assert RFC3339_MS.match(user["createDate"])
        if original["firstVisitDate"] == 0:
            unknown_first_visits += 1
            assert user["firstVisitDate"] is None
    assert unknown_first_visits > 0, "the tenant should hold users with an unknown first visit"


def test_page_size_is_clamped_to_each_endpoints_maximum(emulator) -> None:
    run_sync(px_config(emulator, page_size=5000), streams=ENTITY_STREAMS)
    for endpoint in PX_ENTITY_ENDPOINTS:
        path = endpoint.richer_path or endpoint.path  # what the tap reads first
        sizes = {r.params.get("pageSize", [None])[0] for r in requests_to(emulator, path)}
        if endpoint.stream_class is WholeListStream:
            continue
        assert sizes == {str(endpoint.max_page_size)}, endpoint.name
    assert all(r.status == 200 for r in emulator.requests)


@pytest.mark.parametrize(("omit_total_hits", "expected_requests"), [(False, 3), (True, 4)])
def test_last_page_exactly_page_size(emulator, omit_total_hits, expected_requests) -> None:
    emulator.quirks.omit_total_hits = omit_total_hits
    users = emulator.tenant.collections["/users"]
    del users[900:]
    result = run_sync(px_config(emulator, page_size=300), streams=["users"])
    assert sorted(u["aptrinsicId"] for u in result.records["users"]) == sorted(
        u["aptrinsicId"] for u in users
    )
    # Three full pages; without totalHits one more request is needed to see the end.
    assert len(requests_to(emulator, "/users")) == expected_requests


def test_empty_endpoints_give_no_records_and_no_error(emulator) -> None:
    emulator.tenant.collections["/users"].clear()
    emulator.tenant.collections["/segment"].clear()
    result = run_sync(px_config(emulator), streams=["users", "segments"])
    assert result.records["users"] == []
    assert result.records["segments"] == []
    assert len(requests_to(emulator, "/users")) == 1
    assert len(requests_to(emulator, "/segment")) == 1


@SCROLL_ENTITIES
def test_run_with_state_reads_only_records_modified_since_bookmark(
    emulator, stream, path, key
) -> None:
    config = px_config(emulator)
    first = run_sync(config, streams=[stream])
    held = emulator.tenant.collections[path]
    assert first.bookmark(stream) == epoch_ms_to_rfc3339(max(r["lastModifiedDate"] for r in held))

    emulator.tenant.advance(dt.timedelta(days=2))
    emulator.reset_log()
    second = run_sync(config, state=first.final_state, streams=[stream])

    since = to_epoch_ms(parse_setting_datetime(first.bookmark(stream)))
    expected = {r[key] for r in emulator.tenant.collections[path] if r["lastModifiedDate"] >= since}
    sent = [r[key] for r in second.records[stream]]
    assert set(sent) == expected
    assert len(sent) == len(expected)
    assert 0 < len(sent) < len(held) / 10
    (request, *_) = requests_to(emulator, path)
    # A millisecond below the bookmark: an API taking `>=` as `>` still sends its own.
    assert request.params["filter"] == [f"lastModifiedDate>={since - 1}"]
    assert request.params["sort"] == ["lastModifiedDate"]
    newest = max(r["lastModifiedDate"] for r in emulator.tenant.collections[path])
    assert second.bookmark(stream) == epoch_ms_to_rfc3339(newest)


@SCROLL_ENTITIES
def test_start_date_does_not_bound_entities_first_or_incremental_runs(
    emulator, stream, path, key
) -> None:
    start = emulator.tenant.now - dt.timedelta(days=60)
    held = emulator.tenant.collections[path]
    older = [r for r in held if r["lastModifiedDate"] < to_epoch_ms(start)]
    assert len(older) > 5, "the tenant should hold entities untouched since before start_date"
    config = px_config(emulator, start_date=start.isoformat())

    first = run_sync(config, streams=[stream])
    sent = [r[key] for r in first.records[stream]]
    assert len(sent) == len(set(sent)), f"{stream} sent a record twice"
    assert set(sent) == {r[key] for r in held}
    assert "filter" not in requests_to(emulator, path)[0].params

    emulator.tenant.advance(dt.timedelta(days=2))
    emulator.reset_log()
    second = run_sync(config, state=first.final_state, streams=[stream])
    since = to_epoch_ms(parse_setting_datetime(first.bookmark(stream)))
    expected = {r[key] for r in emulator.tenant.collections[path] if r["lastModifiedDate"] >= since}
    assert sorted(r[key] for r in second.records[stream]) == sorted(expected)
    assert 0 < len(expected) < len(held) / 10


def test_attribute_default_values_arrive_as_text(shared_emulator) -> None:
    result = run_sync(px_config(shared_emulator), streams=["user_attributes"])
    held = {
        a["id"]: a["defaultValue"]
        for a in shared_emulator.tenant.collections["/admin/model/user/attributes"]
    }
    assert any(isinstance(v, bool) for v in held.values()), "the model should hold a boolean"
    for attribute in result.records["user_attributes"]:
        original = held[attribute["id"]]
        expected = (
            original if isinstance(original, str) or original is None else json.dumps(original)
        )
        assert attribute["defaultValue"] == expected


def test_a_run_without_users_or_accounts_asks_for_no_attribute_model(emulator) -> None:
    config = px_config(emulator)
    catalog = catalog_for(config, ["lead_events", "accounts"])
    emulator.reset_log()
    result = run_sync(config, catalog=catalog)
    paths = [request.path for request in emulator.requests]
    assert "/admin/model/user/attributes" not in paths, "users is not selected"
    assert paths.count("/admin/model/account/attributes") == 1, "accounts is"
    assert result.records["accounts"]
    assert result.schemas["accounts"]["properties"]["customAttributes"].get("properties")
