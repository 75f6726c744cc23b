"""Window planning: edges, limits and UTC arithmetic."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tap_gainsight.px.history import Window, plan_windows
from tap_gainsight.settings import EDGE_MARGIN_MS, MAX_WINDOW_DAYS

UTC = dt.timezone.utc


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("days", [1, 7, 30, 190])
def test_windows_tile_the_range_without_gap_overlap_or_excess(days: int) -> None:
    start, end = at(2025, 1, 1, 6, 30), at(2026, 2, 3, 17, 45, 12)
    windows = plan_windows(start, end, days)
    assert windows[0].start == start
    assert windows[-1].end == end
    for before, after in itertools.pairwise(windows):
        assert before.end == after.start, "consecutive windows share their edge"
    assert all(w.start < w.end <= w.start + dt.timedelta(days=days) for w in windows)


def test_400_days_at_the_limit_needs_three_windows_whose_ranges_asked_fit_it() -> None:
    windows = plan_windows(at(2025, 1, 1), at(2025, 1, 1) + dt.timedelta(days=400), 190)
    at_limit = dt.timedelta(days=190, milliseconds=-2 * EDGE_MARGIN_MS)
    assert [w.end - w.start for w in windows] == [
        at_limit,
        at_limit,
        dt.timedelta(days=400) - 2 * at_limit,
    ]


def test_a_window_under_the_limit_keeps_its_whole_days() -> None:
    windows = plan_windows(at(2025, 1, 1), at(2025, 1, 10), 3, limit_days=180)
    assert [w.start.day for w in windows] == [1, 4, 7]


def test_empty_or_inverted_range_has_no_windows() -> None:
    assert plan_windows(at(2025, 1, 1), at(2025, 1, 1), 7) == ()
    assert plan_windows(at(2025, 1, 2), at(2025, 1, 1), 7) == ()


def test_windows_are_24_hour_days_across_daylight_saving_changes() -> None:
    # 2025-03-30 is the night Europe moves its clocks; a UTC plan must not notice.
    paris = dt.timezone(dt.timedelta(hours=1))
    windows = plan_windows(dt.datetime(2025, 3, 29, 1, tzinfo=paris), at(2025, 4, 2), 1)
    assert windows[0].start == at(2025, 3, 29, 0)
    assert [w.start.hour for w in windows] == [0, 0, 0, 0]
    assert all(w.start.tzinfo == UTC for w in windows)


@pytest.mark.parametrize("days", [0, -1, MAX_WINDOW_DAYS + 1])
def test_window_length_outside_the_api_limit_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="1 to 190 days"):
        plan_windows(at(2025, 1, 1), at(2025, 6, 1), days)


def test_naive_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_windows(dt.datetime(2025, 1, 1), at(2025, 6, 1), 7)


@pytest.mark.parametrize("parts", [1, 2, 3, 4, 7])
def test_a_window_cut_in_parts_is_covered_by_equal_contiguous_slices(parts) -> None:
    window = Window(
        dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
        dt.datetime(2026, 6, 1, 0, 0, 0, 1000, tzinfo=dt.timezone.utc),
    )
    slices = window.cut(window.length / parts)
    assert len(slices) == parts
    assert slices[0].start == window.start
    assert slices[-1].end == window.end
    assert all(a.end == b.start for a, b in itertools.pairwise(slices))
    assert all(s.start.microsecond % 1000 == 0 for s in slices), "edges on whole milliseconds"
    lengths = {s.end - s.start for s in slices[:-1]}
    assert len(lengths) <= 1
