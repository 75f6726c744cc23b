"""RequestSlots and what orders them: the lowest priority first, the API's latency."""

from __future__ import annotations

import threading
import time

from tap_gainsight.px.request_slots import FastestAnswer, RequestSlots
from tap_gainsight.px.scrolling import ScrollReader
from tap_gainsight.px.waiting_pages import PageHolding, PageRoom


def test_a_freed_slot_goes_to_the_lowest_priority_waiting() -> None:
    slots = RequestSlots(1)
    served: list[tuple[int, ...]] = []
    release = threading.Event()

    def holder() -> None:
        with slots.held((0,)):
            release.wait(5)

    def waiter(priority: tuple[int, ...]) -> None:
        with slots.held(priority):
            served.append(priority)

    first = threading.Thread(target=holder)
    first.start()
    time.sleep(0.05)
    waiters = [
        threading.Thread(target=waiter, args=(p,)) for p in [(3, 0), (1, 2), (-1, 5), (1, 1)]
    ]
    for thread in waiters:
        thread.start()
        time.sleep(0.02)  # they queue in this order
    release.set()
    for thread in [first, *waiters]:
        thread.join(timeout=5)
    assert served == [(-1, 5), (1, 1), (1, 2), (3, 0)]


def test_no_more_than_count_hold_a_slot_at_once() -> None:
    slots = RequestSlots(3)
    holding = most = 0
    lock = threading.Lock()

    def work(n: int) -> None:
        nonlocal holding, most
        with slots.held((n % 5,)):
            with lock:
                holding += 1
                most = max(most, holding)
            time.sleep(0.01)
            with lock:
                holding -= 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert most == 3
    assert holding == 0


class StubStream:
    replication_key = "date"
    page_size = 1000

    @staticmethod
    def record_key(record: dict) -> object:
        return record.get("eventId")


def reader_ahead(due_seconds: float, pages: int, base: tuple[int, ...]) -> ScrollReader:
    """A reader read ahead of its window's turn, with `pages` left to read."""
    reader = ScrollReader(StubStream(), None, None, priority=base)  # type: ignore[arg-type]
    reader.holding = PageHolding(PageRoom(), threading.Event())
    reader.expected_pages, reader.due_seconds, reader.page_seconds = pages, due_seconds, 0.2
    return reader


def test_pages_wanted_now_go_first_then_read_ahead_by_the_least_time_to_spare() -> None:
    emitting = ScrollReader(StubStream(), None, None, priority=(9, 0, 2))  # type: ignore[arg-type]
    near_short = reader_ahead(due_seconds=1.0, pages=2, base=(10, 0, 0))  # 0.6 s to spare
    far_long = reader_ahead(due_seconds=1.5, pages=9, base=(12, 0, 3))  # 0.3 s short
    far_short = reader_ahead(due_seconds=1.5, pages=2, base=(12, 0, 0))  # 1.1 s to spare
    order = sorted([far_short, near_short, far_long, emitting], key=lambda r: r.request_priority())
    assert order == [emitting, far_long, near_short, far_short]
    near_short.holding.taken.set()  # its window's turn came: wanted in emission order
    assert near_short.request_priority() == (0, 10, 0, 0)
    assert near_short.request_priority() < far_long.request_priority()


def test_the_apis_latency_is_its_fastest_answer_however_busy_the_others_were() -> None:
    fastest = FastestAnswer()
    assert fastest.note(None) is None
    assert fastest.note(0.035) == 0.035
    assert fastest.note(0.006) == 0.006, "answered at once when nothing else was in flight"
    assert fastest.note(0.024) == 0.006, "a slower answer, from a busy server, changes nothing"
