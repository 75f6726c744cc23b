"""Ordered prefetching: sources read on threads, items handed on strictly in order."""

from __future__ import annotations

import threading
import time
import typing as t

import pytest

from tap_gainsight.prefetch import prefetch_in_order

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator


class Tracker:
    """Counts the sources running at once and the items produced."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = self.most_running = self.produced = 0

    def source(self, name: str, items: int, pause: float = 0.0) -> Callable[[], Iterator[str]]:
        def produce() -> Iterator[str]:
            with self.lock:
                self.running += 1
                self.most_running = max(self.most_running, self.running)
            try:
                for n in range(items):
                    time.sleep(pause)
                    with self.lock:
                        self.produced += 1
                    yield f"{name}{n}"
            finally:
                with self.lock:
                    self.running -= 1

        return produce


def read_all(prefetched: t.Iterable[t.Iterable[str]]) -> list[str]:
    return [item for items in prefetched for item in items]


@pytest.mark.parametrize("workers", [1, 3, 8])
def test_items_come_in_source_order_whatever_finishes_first(workers: int) -> None:
    tracker = Tracker()
    # Earlier sources are the slow ones: read in parallel, later ones finish first.
    pauses = {"a": 0.03, "b": 0.02, "c": 0.01, "d": 0.0}
    sources = [tracker.source(name, 3, pause) for name, pause in pauses.items()]
    got = read_all(prefetch_in_order(sources, workers=workers))
    assert got == [f"{name}{n}" for name in "abcd" for n in range(3)]
    assert tracker.most_running <= workers


def test_sources_overlap_up_to_the_worker_count() -> None:
    tracker = Tracker()
    sources = [tracker.source(str(n), 2, 0.02) for n in range(12)]
    read_all(prefetch_in_order(sources, workers=4))
    assert tracker.most_running == 4


def test_a_source_runs_only_a_few_items_ahead_of_the_reader() -> None:
    tracker = Tracker()
    prefetched = prefetch_in_order([tracker.source("a", 1000)], workers=1, items_ahead=2)
    items = next(prefetched)
    assert next(items) == "a0"
    time.sleep(0.3)  # ample time for an unbounded worker to produce all 1,000
    # One handed on, two queued, one produced and waiting for room.
    assert tracker.produced <= 4
    prefetched.close()


def test_finished_sources_free_their_worker_up_to_twice_the_workers_ahead() -> None:
    tracker = Tracker()
    sources = [tracker.source(str(n), 1) for n in range(12)]
    prefetched = prefetch_in_order(sources, workers=2)
    first = next(prefetched)
    time.sleep(0.3)  # the reader has not taken an item yet
    # Two workers read four short sources (not two: done ones do not wait), and no more.
    assert tracker.produced == 4
    assert list(first) == ["00"]
    assert read_all(prefetched) == [f"{n}0" for n in range(1, 12)]


def test_a_failure_is_raised_after_everything_before_it() -> None:
    tracker = Tracker()

    def failing() -> Iterator[str]:
        yield "b0"
        raise ValueError("page 2 of b failed")

    sources = [tracker.source("a", 3, 0.02), failing, tracker.source("c", 3)]
    got: list[str] = []

    def read_into_got() -> None:
        for items in prefetch_in_order(sources, workers=3):
            got.extend(items)

    with pytest.raises(ValueError, match="page 2 of b failed"):
        read_into_got()
    assert got == ["a0", "a1", "a2", "b0"]


def test_stopping_early_stops_the_workers() -> None:
    tracker = Tracker()
    sources = [tracker.source(str(n), 1000) for n in range(4)]
    prefetched = prefetch_in_order(sources, workers=4, items_ahead=2)
    assert next(next(prefetched)) == "00"
    prefetched.close()
    deadline = time.monotonic() + 5
    while (tracker.running or prefetch_threads()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert tracker.running == 0, "workers kept reading after the reader stopped"
    assert not prefetch_threads()
    assert tracker.produced < 50


def prefetch_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("prefetch-")]
