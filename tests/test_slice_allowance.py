"""SliceAllowance: the run's extra requests, spent by the windows that gain most."""

from __future__ import annotations

from tap_gainsight.px.slice_allowance import SliceAllowance


def test_slices_are_granted_until_the_allowance_is_spent() -> None:
    allowance = SliceAllowance(11)
    assert allowance.grant(4) == 4
    assert allowance.grant(4) == 4
    assert allowance.grant(4) == 3, "three requests left: three slices"
    assert allowance.left == 0
    assert allowance.grant(4) == 1, "nothing left: one scroll"
    assert allowance.left == 0


def test_what_bigger_windows_need_is_kept_for_them() -> None:
    allowance = SliceAllowance(6)
    assert allowance.grant(4, reserved=4) == 2
    assert allowance.grant(4, reserved=4) == 1, "two left, four kept: no slicing"
    assert allowance.left == 4
    assert allowance.grant(4) == 4


def test_one_scroll_costs_nothing() -> None:
    allowance = SliceAllowance(1)
    assert allowance.grant(1) == 1
    assert allowance.grant(3) == 1, "one request buys no second slice"
    assert allowance.left == 1
