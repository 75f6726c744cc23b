"""The event reader alone: order, failures, memory and concurrency, over fake scrolls.

Each fake stream holds sorted event dates; a fake scroll pages through those of its window,
as the API's scroll would, optionally slowly or failing. No HTTP: the reader's
own rules, one at a time. The same rules over a real socket are in `test_px_events.py` and
`test_reliability.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from dataclasses import dataclass, field

import pytest

from tap_gainsight.position import Position
from tap_gainsight.px.history import EventReader, Window, held
from tap_gainsight.tap import TapGainsight
from tap_gainsight.timestamps import to_epoch_ms

DAY0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
PAGE = 10


def day(n: float) -> dt.datetime:
    return DAY0 + dt.timedelta(days=n)


@dataclass
class FakeScroll:
    """One scroll over the events of `window` from `position` on, `PAGE` at a time."""

    stream: FakeStream
    window: Window
    position: Position
    finished: bool = False
    total_hits: int | None = None

    def pages(self):
        start, end = to_epoch_ms(self.window.start), to_epoch_ms(self.window.end)
        dates = [d for d in self.stream.dates if start <= d < end]
        self.total_hits = len(dates)
        for at in range(0, max(len(dates), 1), PAGE):
            self.stream.requests.append(self.window)
            self.stream.in_flight.append(1)
            most_in_flight[0] = max(most_in_flight[0], len(self.stream.in_flight_all()))
            if self.stream.delay:
                time.sleep(random.uniform(0, self.stream.delay))
            self.stream.in_flight.pop()
            if self.stream.fail_at is not None and at >= self.stream.fail_at:
                raise RuntimeError(f"{self.stream.name} failed")
            page = [{"date": d, "eventId": f"{self.stream.name}-{d}"} for d in dates[at:][:PAGE]]
            self.finished = at + PAGE >= len(dates)
            yield self.position.admit(page)


@dataclass(eq=False)
class FakeStream:
    """What the reader asks of an event stream."""

    name: str
    dates: list[int]
    windows: tuple[Window, ...] = (Window(day(0), day(10)),)
    delay: float = 0.0
    fail_at: int | None = None
    requests: list[Window] = field(default_factory=list)
    in_flight: list[int] = field(default_factory=list)
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("test"))

    def window_reader(self, window: Window) -> FakeScroll:
        return FakeScroll(self, window, Position("date", lambda r: r["eventId"]))

    def in_flight_all(self) -> list[int]:
        return [n for stream in ALL_STREAMS for n in stream.in_flight]


#: Every fake stream made, for the requests in flight at once; the most seen.
ALL_STREAMS: list[FakeStream] = []
most_in_flight = [0]


@pytest.fixture(autouse=True)
def fresh_counts():
    ALL_STREAMS.clear()
    most_in_flight[0] = 0


def fake(name: str, dates: list[int], **kwargs) -> FakeStream:
    stream = FakeStream(name, dates, **kwargs)
    ALL_STREAMS.append(stream)
    return stream


def spread(count: int, days: float = 10) -> list[int]:
    """`count` event dates spread over the first `days` days."""
    step = days * 86_400_000 // max(count, 1)
    return [to_epoch_ms(DAY0) + n * step for n in range(count)]


def read_all(reader: EventReader, streams: list[FakeStream]) -> dict[str, list[int]]:
    reader.plan(streams)  # type: ignore[arg-type]
    return {
        s.name: [r["date"] for _, page in reader.pages_of(s) for r in page]  # type: ignore[arg-type]
        for s in streams
    }


def new_reader(workers: int = 4) -> EventReader:
    return EventReader(workers)


def test_every_stream_comes_out_in_order_whatever_the_workers_speed() -> None:
    random.seed(7)
    windows = tuple(Window(day(n), day(n + 1)) for n in range(10))
    streams = [fake(f"s{n}", spread(37 * (n + 1)), windows=windows, delay=0.002) for n in range(3)]
    assert read_all(new_reader(), streams) == {s.name: s.dates for s in streams}


def test_a_failure_comes_after_every_page_before_it() -> None:
    good = fake("good", spread(50), delay=0.001)
    bad = fake("bad", spread(50), fail_at=20)
    reader = new_reader()
    reader.plan([good, bad])  # type: ignore[list-item]
    assert [r["date"] for _, p in reader.pages_of(good) for r in p] == good.dates  # type: ignore[arg-type]
    emitted: list[int] = []

    def emit_bad() -> None:
        for _, page in reader.pages_of(bad):  # type: ignore[arg-type]
            emitted.extend(r["date"] for r in page)

    with pytest.raises(RuntimeError, match="bad failed"):
        emit_bad()
    assert emitted == bad.dates[:20]


def test_pages_read_ahead_stay_within_the_bound() -> None:
    windows = tuple(Window(day(n), day(n + 1)) for n in range(10))
    streams = [fake(f"s{n}", spread(400), windows=windows) for n in range(3)]
    reader = new_reader()
    first = streams[0].dates[:PAGE]
    page_bytes = len(held([{"date": d, "eventId": f"s0-{d}"} for d in first]))
    reader.plan(streams)  # type: ignore[arg-type]
    reader.max_held = 5 * page_bytes
    most = 0
    for stream in streams:
        for _ in reader.pages_of(stream):  # type: ignore[arg-type]
            time.sleep(0.001)  # a slow emitter: the readers get ahead
            most = max(most, reader._held)
    # The bound, plus a page in flight per worker (pages differ a little in size).
    assert 4 * page_bytes <= most <= (5 + 4 + 1) * page_bytes * 1.1


def test_the_bound_is_the_setting() -> None:
    tap = TapGainsight(config={"api_key": "k", "max_read_ahead_mb": 3}, setup_mapper=False)
    assert tap.run.events.max_held == 3 << 20  # type: ignore[attr-defined]


def test_a_full_bound_never_stops_the_scroll_being_emitted() -> None:
    """Scrolls further on fill the bound; the one being emitted still reads on."""
    streams = [fake(f"s{n}", spread(300)) for n in range(4)]
    reader = new_reader(workers=4)
    reader.plan(streams)  # type: ignore[arg-type]
    reader.max_held = 1  # any page held fills it
    time.sleep(0.05)  # every worker reads its scroll's first page, then waits
    assert read_all(reader, streams) == {s.name: s.dates for s in streams}


def test_scrolls_are_read_at_once_each_in_its_own_order() -> None:
    random.seed(3)
    streams = [fake(f"s{n}", spread(200), delay=0.003) for n in range(4)]
    assert read_all(new_reader(workers=3), streams) == {s.name: s.dates for s in streams}
    assert 2 <= most_in_flight[0] <= 3
    # A scroll's pages are asked one after the other: never two of one window at once.
    assert all(len(set(s.requests)) == 1 for s in streams)


def test_one_worker_reads_one_scroll_at_a_time() -> None:
    streams = [fake(f"s{n}", spread(100), delay=0.001) for n in range(3)]
    reader = new_reader(workers=1)
    assert read_all(reader, streams) == {s.name: s.dates for s in streams}
    assert most_in_flight[0] == 1


def test_a_stream_closed_early_drops_its_rest_and_the_next_reads_on() -> None:
    first = FakeStream(
        "first", spread(200), windows=(Window(day(0), day(5)), Window(day(5), day(10)))
    )
    second = fake("second", spread(30))
    reader = new_reader()
    reader.plan([first, second])  # type: ignore[list-item]
    pages = reader.pages_of(first)  # type: ignore[arg-type]
    next(pages)
    pages.close()
    assert [r["date"] for _, p in reader.pages_of(second) for r in p] == second.dates  # type: ignore[arg-type]


def test_a_stream_planned_but_never_asked_for_is_skipped() -> None:
    skipped, asked = fake("skipped", spread(60)), fake("asked", spread(60))
    reader = new_reader()
    reader.plan([skipped, asked])  # type: ignore[list-item]
    assert [r["date"] for _, p in reader.pages_of(asked) for r in p] == asked.dates  # type: ignore[arg-type]


def test_workers_stop_when_everything_is_read() -> None:
    before = threading.active_count()
    read_all(new_reader(), [fake("s", spread(100), delay=0.001)])
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= before
