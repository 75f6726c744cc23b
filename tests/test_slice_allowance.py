"""SliceAllowance: the run's extra requests, spent by the biggest windows first."""

from __future__ import annotations

import threading
import time

from tap_gainsight.px.slice_allowance import SliceAllowance


def test_slices_are_granted_until_the_allowance_is_spent() -> None:
    allowance = SliceAllowance(11)
    assert allowance.grant("a", (30,), 4) == 4
    assert allowance.grant("b", (20,), 4) == 4
    assert allowance.grant("c", (10,), 4) == 3, "three requests left: three slices"
    assert allowance.left == 0
    assert allowance.grant("d", (5,), 4) == 1, "nothing left: one scroll"
    assert allowance.left == 0


def test_one_scroll_costs_nothing() -> None:
    allowance = SliceAllowance(1)
    assert allowance.grant("a", (1,), 1) == 1
    assert allowance.grant("b", (1,), 3) == 1, "one request buys no second slice"
    assert allowance.left == 1


def grant_on_threads(allowance: SliceAllowance, windows: dict[str, int]) -> dict[str, int]:
    """Each window (name: its size) asks for 4 slices on a thread of its own."""
    granted: dict[str, int] = {}

    def decide(name: str, size: int) -> None:
        granted[name] = allowance.grant(name, (size,), 4)

    threads = [threading.Thread(target=decide, args=item) for item in windows.items()]
    for thread in threads:
        thread.start()
        time.sleep(0.05)  # the smallest window decides first, unless it waits
    for thread in threads:
        thread.join(timeout=5)
    return granted


def test_a_window_waits_for_the_openings_expected_and_leaves_the_bigger_ones_theirs() -> None:
    allowance = SliceAllowance(8)
    for name in ("small", "middle", "big"):
        allowance.expect(name)
    granted = grant_on_threads(allowance, {"small": 10, "middle": 20, "big": 30})
    assert granted == {"big": 4, "middle": 4, "small": 1}
    assert allowance.left == 0


def test_without_waiting_the_first_to_decide_would_take_the_allowance() -> None:
    allowance = SliceAllowance(8)  # nothing expected: the order of decision rules
    granted = grant_on_threads(allowance, {"small": 10, "middle": 20, "big": 30})
    assert granted == {"small": 4, "middle": 4, "big": 1}


def test_a_withdrawn_opening_is_not_waited_for() -> None:
    allowance = SliceAllowance(8)
    allowance.expect("failed")
    allowance.withdraw("failed")
    began = time.monotonic()
    assert allowance.grant("a", (1,), 4, wait_seconds=10) == 4
    assert time.monotonic() - began < 5, "waited for an opening withdrawn"


def test_an_opening_that_never_comes_is_waited_for_a_bounded_time() -> None:
    allowance = SliceAllowance(8)
    allowance.expect("lost")
    began = time.monotonic()
    assert allowance.grant("a", (1,), 4, wait_seconds=0.2) == 4
    assert time.monotonic() - began >= 0.2
