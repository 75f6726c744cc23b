"""Time windows for the event endpoints, which refuse a date range over 190 days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: The API answers 400 to an event request whose date range exceeds this
#: (docs/api.md, "PX: event windows").
MAX_WINDOW_DAYS = 190
#: How far a range asked for reaches past each edge of its window. Asked so, the answer
#: holds the window whether the API takes an edge as inclusive or exclusive; the records
#: dated outside the window are left out (docs/api.md, "PX: event windows").
EDGE_MARGIN_MS = 1
EDGE_MARGIN = dt.timedelta(milliseconds=EDGE_MARGIN_MS)


@dataclass(frozen=True)
class Window:
    """A half-open range of event dates, `[start, end)`, in UTC."""

    start: dt.datetime
    end: dt.datetime

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"

    @property
    def length(self) -> dt.timedelta:
        """How long the window is."""
        return self.end - self.start


def longest_window(days: int, limit_days: int = MAX_WINDOW_DAYS) -> dt.timedelta:
    """A window of `days` days, short enough that its range asked fits the API's limit."""
    return min(dt.timedelta(days=days), dt.timedelta(days=limit_days) - 2 * EDGE_MARGIN)


def plan_windows(
    start: dt.datetime, end: dt.datetime, days: int, limit_days: int = MAX_WINDOW_DAYS
) -> tuple[Window, ...]:
    """Cut `[start, end)` into consecutive windows of at most `days` days.

    Each window's range asked (its margins included) fits the API's `limit_days`: a window
    at the limit is two milliseconds shorter.

    Consecutive half-open windows share their edges, so an event dated exactly on an edge
    belongs to exactly one window. Arithmetic is on UTC instants: no day is 23 or 25 hours.

    Raises:
        ValueError: If `days` is outside 1..190 or a bound is naive.
    """
    if not 1 <= days <= MAX_WINDOW_DAYS:
        msg = f"a window must be 1 to {MAX_WINDOW_DAYS} days long, not {days}"
        raise ValueError(msg)
    if start.tzinfo is None or end.tzinfo is None:
        msg = "window bounds must be timezone-aware"
        raise ValueError(msg)
    start, end = start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
    length = longest_window(days, limit_days)
    windows: list[Window] = []
    while start < end:
        windows.append(Window(start, min(start + length, end)))
        start = windows[-1].end
    return tuple(windows)


def pieces_of(window: Window, longest: dt.timedelta) -> tuple[Window, ...]:
    """The window cut into as few equal pieces as are each at most `longest` long."""
    parts = -(-window.length // longest) if longest > dt.timedelta(0) else 1
    return split_window(window, max(1, parts))


def split_window(window: Window, parts: int) -> tuple[Window, ...]:
    """Cut a window into `parts` consecutive slices of equal length (to the millisecond).

    Slices share their edges like the windows of `plan_windows`, so an event dated on an
    edge belongs to exactly one slice.
    """
    step = (window.end - window.start) / max(parts, 1)
    step = max(dt.timedelta(milliseconds=1), step - step % dt.timedelta(milliseconds=1))
    edges = [window.start + step * n for n in range(parts) if window.start + step * n < window.end]
    return tuple(Window(lo, hi) for lo, hi in zip(edges, [*edges[1:], window.end], strict=True))
