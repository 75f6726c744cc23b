"""Progress a person can follow: a line every 10 seconds per stream, a summary at the end."""

from __future__ import annotations

import threading
import time
import typing as t

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Mapping, Sequence

#: Seconds between progress lines of one stream.
REPORT_EVERY_SECONDS = 10.0


def plural(count: int, word: str) -> str:
    """The count and its noun: "1 request", "2 requests", "1,000 windows"."""
    return f"{count:,} {word if count == 1 else word + 's'}"


def time_left(seconds: float) -> str:
    """A duration a person reads at a glance: "about 8 s", "about 3 min", "about 1.5 h"."""
    if seconds < 90:
        return f"about {max(seconds, 1):.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def tally(records: int, requests: int, seconds: float) -> str:
    """Records, requests, time and rate: "1,000 records, 2 requests in 1.0 s (1,000 records/s)"."""
    return (
        f"{plural(records, 'record')}, {plural(requests, 'request')} in {seconds:,.1f} s "
        f"({records / max(seconds, 1e-9):,.0f} records/s)"
    )


class Total(t.NamedTuple):
    """Records done and in all, of a stream or (`in_window`) its window (from `totalHits`)."""

    done: int
    total: int
    in_window: bool = False


def through_windows(
    records: int, number: int, windows: int, totals: Mapping[int, int | None]
) -> Total | None:
    """Where a stream reading `windows` windows stands, at window `number` (from 0).

    `totals`: the `totalHits` of the windows opened so far. The stream's total is known in
    its last window; before it, only the window's. None where an answer gave no total.
    """
    known = [totals.get(n) for n in range(number + 1)]
    if any(total is None for total in known):
        return None
    sizes = t.cast("list[int]", known)
    before, current = sum(sizes[:-1]), sizes[-1]
    if number == windows - 1:
        return Total(records, max(records, before + current))
    return Total(min(max(records - before, 0), current), current, in_window=True)


class StreamProgress:
    """Counts one stream's records and requests and reports them at INFO.

    Every line names the stream: a log formatter may drop the logger's name (Meltano's does).
    """

    def __init__(
        self,
        name: str,
        logger: logging.Logger,
        where: Callable[[], str],
        total: Callable[[], Total | None],
        *,
        full_table: bool = False,
    ) -> None:
        self.name = name
        self._logger = logger
        self._where = where
        self._total = total
        #: Every record is read again on every run (no bookmark to start from).
        self.full_table = full_table
        self.records = self.requests = 0
        #: Records at or before the bookmark the run started from: read again (lookback).
        self.rereads = 0
        self._requests_lock = threading.Lock()
        self.started = time.monotonic()
        self._next_report = self.started + REPORT_EVERY_SECONDS
        #: When and at how many records the last progress line was said: the recent pace.
        self._last_report = (self.started, 0)

    @property
    def elapsed(self) -> float:
        """Seconds since the stream started."""
        return time.monotonic() - self.started

    def record(self) -> None:
        """Count one record; every 10 s or so, say how far the stream has got."""
        self.records += 1
        if time.monotonic() >= self._next_report:
            self._next_report = time.monotonic() + REPORT_EVERY_SECONDS
            self._logger.info("Progress: %s: %s%s", self.name, self._where(), self.progress_line())

    def progress_line(self) -> str:
        """Records so far (of how many and the time left, where known) and the pace.

        The pace is that since the last line: the time left follows the stream as it is now.
        """
        now = time.monotonic()
        since, records_then = self._last_report
        self._last_report = (now, self.records)
        rate = (self.records - records_then) / max(now - since, 1e-9)
        so_far = f"{plural(self.records, 'record')} so far, {rate:,.0f} records/s"
        total = self._total()
        if total is None:
            return so_far + "."
        left = time_left((total.total - total.done) / max(rate, 1e-9))
        if total.in_window:
            events = plural(total.total, "event")
            return f"{so_far}; this window: {total.done:,} of {events}, {left} left."
        percent = 100 * total.done / max(total.total, 1)
        return (
            f"{total.done:,} of {plural(total.total, 'record')} ({percent:.0f} %), "
            f"{rate:,.0f} records/s, {left} left."
        )

    def count_request(self) -> None:
        """Count one request sent (from any thread)."""
        with self._requests_lock:
            self.requests += 1

    def summary(self) -> str:
        """One line: records, requests, time and rate."""
        return tally(self.records, self.requests, self.elapsed)

    def read_again(self) -> str:
        """What of the stream was read again: every record (full table), or the lookback's."""
        if self.full_table:
            return "full table: every record each run"
        return f"{self.rereads:,} read again (at or before the bookmark)"


def log_sync_summary(
    logger: logging.Logger,
    done: Sequence[StreamProgress],
    seconds: float,
    skipped: Mapping[str, str],
) -> None:
    """The sync's closing lines: a table of its streams, aligned, the total, what was skipped."""
    width = max(len(p.name) for p in done)
    logger.info("Streams synced (records, requests, seconds, read again):")
    for p in done:
        logger.info(
            "  %s %11s %9s %9s s  %s",
            p.name.ljust(width),
            f"{p.records:,}",
            f"{p.requests:,}",
            f"{p.elapsed:,.1f}",
            p.read_again(),
        )
    records, requests = sum(p.records for p in done), sum(p.requests for p in done)
    logger.info("Sync complete: %s.", tally(records, requests, seconds))
    if skipped:
        logger.warning(
            "%s skipped, refused by the API (a module or right the tenant lacks; "
            "the rest of the sync is complete): %s.",
            plural(len(skipped), "stream"),
            "; ".join(f"{name} ({why})" for name, why in skipped.items()),
        )
