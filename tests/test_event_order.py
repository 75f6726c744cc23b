"""Events out of date order cost re-reads, never rows or the run."""

from __future__ import annotations

import datetime as dt

from tap_gainsight.departures import PREFIX
from tap_gainsight.timestamps import parse_setting_datetime, to_epoch_ms
from tests.conftest import px_config
from tests.sync import run_sync


def test_events_out_of_order_are_all_sent_and_the_bookmark_holds_to_the_window(
    emulator, caplog
) -> None:
    emulator.quirks.event_sort_ignored = True
    start = emulator.tenant.now - dt.timedelta(days=30)
    config = px_config(emulator, start_date=start.isoformat(), page_size=20, event_window_days=10)
    result = run_sync(config, streams=["page_view_events"])

    sent = [r["eventId"] for r in result.records["page_view_events"]]
    held = {
        e["eventId"]
        for e in emulator.tenant.collections["/events/pageView"]
        if e["date"] >= to_epoch_ms(start)
    }
    assert sorted(sent) == sorted(held), "every event once"
    said = f"{PREFIX} /events/pageView: events not in date order"
    assert [r.getMessage() for r in caplog.records].count(said) <= 1
    assert sum(r.getMessage().startswith(said) for r in caplog.records) == 1, "said once"
    # Every bookmark saved is a window's edge: never a date inside a window read out of order.
    edges = {to_epoch_ms(start + dt.timedelta(days=10 * n)) for n in range(4)}
    bookmarks = [
        s["bookmarks"]["page_view_events"].get("replication_key_value") for s in result.states
    ]
    saved = [to_epoch_ms(parse_setting_datetime(b)) for b in bookmarks if b]
    assert saved
    assert all(b in edges or b >= to_epoch_ms(emulator.tenant.now) - 60_000 for b in saved), saved
