"""A tenant that refuses the page size asked (a lower maximum than documented) costs requests.

The PX maxima come from the OpenAPI spec and the CS `limit` from peers (docs/api.md); the API
lowered PX maxima once before. A 400 that speaks of the page size halves it until the API
takes it, for that endpoint (PX) or every query (CS), and the run reads every record once.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import cs_config, px_config
from tests.sync import run_sync
from tests.test_cs_objects import OBJECT_STREAMS, object_of
from tests.test_worlds import EVENTS, assert_loadable, departures


@pytest.mark.parametrize("largest", ["150", "7"])
def test_a_lower_px_page_maximum_is_found_and_every_record_read(emulator, caplog, largest):
    emulator.quirks.max_page_size = largest
    start = emulator.tenant.now - dt.timedelta(days=5)
    config = px_config(emulator, start_date=start.isoformat())
    streams = ["users", "features", "page_view_events"]
    result = run_sync(config, streams=streams)
    assert_loadable(result)
    for stream, path, key in (("users", "/users", "aptrinsicId"), ("features", "/feature", "id")):
        held = sorted(r[key] for r in emulator.tenant.collections[path])
        assert sorted(r[key] for r in result.records[stream]) == held, stream
    since = int(start.timestamp() * 1000)
    events = [e["eventId"] for e in emulator.tenant.collections[EVENTS["page_view_events"]]]
    dated = {e["eventId"]: e["date"] for e in emulator.tenant.collections["/events/pageView"]}
    expected = sorted(e for e in events if dated[e] >= since)
    assert sorted(r["eventId"] for r in result.records["page_view_events"]) == expected
    said = [line for line in departures(caplog) if "a page size refused as too large" in line]
    assert {line.split(":")[1].strip() for line in said} >= {"/users", "/events/pageView"}
    pages = [r for r in emulator.requests if r.path == "/users"]
    assert max(int(r.params["pageSize"][0]) for r in pages[-2:]) <= int(largest)


def test_a_lower_cs_limit_is_found_once_for_every_query(cs_emulator, caplog):
    cs_emulator.quirks.max_limit = "1000"
    result = run_sync(cs_config(cs_emulator))
    assert_loadable(result)
    for stream in OBJECT_STREAMS:
        held = sorted(r["Gsid"] for r in cs_emulator.tenant.records(object_of(stream)))
        assert sorted(r["Gsid"] for r in result.records[stream]) == held, stream
    refused = [r for r in cs_emulator.requests if r.status == 400 and r.body.get("limit", 0) > 1000]
    assert len(refused) == 3, "5000, 2500 and 1250 refused once, for every query after"
    assert any("a page size refused as too large" in line for line in departures(caplog))
