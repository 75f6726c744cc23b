"""PX admin and monitoring streams, and the richer forms of features and engagements."""

from __future__ import annotations

import datetime as dt
import itertools

from tap_gainsight.timestamps import epoch_ms_to_rfc3339, parse_setting_datetime, to_epoch_ms
from tests.conftest import px_config
from tests.sync import catalog_for, run_sync

COLLISION_KEY = ("engagementId", "propertyKey", "viewedByUser", "triggeredDate")


def requests_to(emulator, path: str) -> list:
    return [r for r in emulator.requests if r.path == path]


def collision_key(record: dict) -> tuple:
    date = record["triggeredDate"]
    date = epoch_ms_to_rfc3339(date) if isinstance(date, int) else date
    return (record["engagementId"], record["propertyKey"], record["viewedByUser"], date)


def test_subscription_is_one_row_with_its_products_nested(shared_emulator) -> None:
    result = run_sync(px_config(shared_emulator), streams=["subscription"])
    assert result.records["subscription"] == [shared_emulator.admin.subscription]
    assert result.records["subscription"][0]["products"][0]["productKeys"]


def test_integrations_with_their_last_success_as_a_date(shared_emulator) -> None:
    result = run_sync(px_config(shared_emulator), streams=["integrations"])
    held = {i["integrationSyncName"]: i for i in shared_emulator.admin.integrations}
    sent = {i["integrationSyncName"]: i for i in result.records["integrations"]}
    assert sent.keys() == held.keys()
    for name, record in sent.items():
        when = held[name]["lastSuccessfulDate"]
        assert record["lastSuccessfulDate"] == (epoch_ms_to_rfc3339(when) if when else None)
        assert record["currentStatus"] == held[name]["currentStatus"]
    assert any(r["lastSuccessfulDate"] is None for r in sent.values()), "one never succeeded"


def test_collisions_over_more_than_180_days_arrive_exactly_once(emulator) -> None:
    start = emulator.tenant.now - dt.timedelta(days=400)
    config = px_config(emulator, start_date=start.isoformat(), page_size=50, max_concurrency=1)
    result = run_sync(config, streams=["engagement_collisions"])

    since = to_epoch_ms(start)
    held = [collision_key(c) for c in emulator.admin.collisions if c["triggeredDate"] >= since]
    sent = [collision_key(r) for r in result.records["engagement_collisions"]]
    assert len(sent) == len(set(sent)), "a collision was sent twice"
    assert sorted(sent) == sorted(held)
    opened = [
        r
        for r in requests_to(emulator, "/admin/monitoring/engagement_collisions")
        if "scrollId" not in r.params
    ]
    ranges = [
        (int(r.params["dateRangeStart"][0]), int(r.params["dateRangeEnd"][0])) for r in opened
    ]
    assert len(ranges) == 3, "400 days in windows of at most 180"
    assert all(end - begin <= 180 * 86_400_000 for begin, end in ranges)
    assert all(a[1] - b[0] == 2 for a, b in itertools.pairwise(ranges)), (
        "each range asked reaches a millisecond past its window's shared edge"
    )

    emulator.tenant.advance(dt.timedelta(days=2))
    emulator.reset_log()
    second = run_sync(config, state=result.final_state, streams=["engagement_collisions"])
    bookmark = parse_setting_datetime(result.bookmark("engagement_collisions"))
    resume = to_epoch_ms(bookmark - dt.timedelta(minutes=60))
    expected = {collision_key(c) for c in emulator.admin.collisions if c["triggeredDate"] >= resume}
    assert {collision_key(r) for r in second.records["engagement_collisions"]} == expected
    assert 0 < len(expected) < len(held) / 10


def test_user_preferences_follow_the_users_a_run_delivers(emulator) -> None:
    config = px_config(emulator, read_user_preferences=True)
    assert "user_preferences" not in {
        s["tap_stream_id"] for s in catalog_for(px_config(emulator), None)["streams"]
    }, "off unless read_user_preferences"
    first = run_sync(config, streams=["users", "user_preferences"])
    users = emulator.tenant.collections["/users"]
    sent = {r["identifyId"]: r for r in first.records["user_preferences"]}
    assert sent.keys() == {u["identifyId"] for u in users if u.get("identifyId")}
    for identify_id, record in sent.items():
        assert record == {"identifyId": identify_id, **emulator.admin.preferences(identify_id)}

    emulator.tenant.advance(dt.timedelta(days=2))
    emulator.reset_log()
    second = run_sync(config, state=first.final_state, streams=["users", "user_preferences"])
    changed = {u["identifyId"] for u in second.records["users"] if u["identifyId"]}
    assert {r["identifyId"] for r in second.records["user_preferences"]} == changed
    asked = [r for r in emulator.requests if r.path.startswith("/user/preferences/")]
    assert len(asked) == len(changed) < len(users) / 10


def test_a_user_deleted_meanwhile_is_skipped_and_counted(emulator, caplog) -> None:
    users = emulator.tenant.collections["/users"]
    gone = {u["identifyId"] for u in users[:3]}
    original = emulator.admin.preferences
    emulator.admin.preferences = lambda i: None if i in gone else original(i)
    result = run_sync(
        px_config(emulator, read_user_preferences=True), streams=["users", "user_preferences"]
    )
    sent = {r["identifyId"] for r in result.records["user_preferences"]}
    assert sent == {u["identifyId"] for u in users if u["identifyId"]} - gone
    (summary,) = [r.getMessage() for r in caplog.records if "users skipped" in r.getMessage()]
    assert "3 users skipped (404" in summary


def test_features_and_engagements_come_from_their_richer_forms(shared_emulator) -> None:
    result = run_sync(px_config(shared_emulator), streams=["features", "engagements"])
    admin = shared_emulator.admin
    for feature in result.records["features"]:
        assert feature["mappedElements"] == admin.mapped_elements(feature["id"])
    for engagement in result.records["engagements"]:
        assert engagement["customEvents"] == admin.custom_events(engagement["id"])
    held = {f["id"] for f in shared_emulator.tenant.collections["/feature"]}
    assert {f["id"] for f in result.records["features"]} == held


def test_a_tenant_without_them_is_read_at_v1_with_one_warning(emulator, caplog) -> None:
    emulator.quirks.no_v2_feature_ext = True
    emulator.quirks.no_engagement_extended = True
    result = run_sync(px_config(emulator), streams=["features", "engagements"])
    warnings = [r.getMessage() for r in caplog.records if "answered 404" in r.getMessage()]
    assert len(warnings) == 2
    assert {f["id"] for f in result.records["features"]} == {
        f["id"] for f in emulator.tenant.collections["/feature"]
    }
    assert all(f.get("mappedElements") is None for f in result.records["features"])
    assert len(requests_to(emulator, "/v2/feature_ext")) == 1
    assert requests_to(emulator, "/feature")
