"""Progress a person can follow: a line every 10 seconds per stream, a summary at the end."""

from __future__ import annotations

import threading
import time
import typing as t

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    from tap_gainsight.departures import Departures

#: Seconds between progress lines of one stream.
REPORT_EVERY_SECONDS = 10.0
#: Records between clock readings: keeps the per-record cost to a counter increment.
_CHECK_EVERY_RECORDS = 256


class StreamProgress:
    """Counts one stream's records and requests and reports them at INFO."""

    def __init__(self, logger: logging.Logger, where: Callable[[], str]) -> None:
        self._logger = logger
        self._where = where
        self.records = 0
        self.requests = 0
        self._requests_lock = threading.Lock()
        self.started = time.monotonic()
        self._next_report = self.started + REPORT_EVERY_SECONDS

    @property
    def elapsed(self) -> float:
        """Seconds since the stream started."""
        return time.monotonic() - self.started

    def record(self) -> None:
        """Count one record; every 10 s or so, say how far the stream has got."""
        self.records += 1
        if self.records % _CHECK_EVERY_RECORDS == 0 and time.monotonic() >= self._next_report:
            self._next_report = time.monotonic() + REPORT_EVERY_SECONDS
            self._logger.info(
                "Progress: %s%s records so far, %s records/s.",
                self._where(),
                f"{self.records:,}",
                f"{self.records / max(self.elapsed, 1e-9):,.0f}",
            )

    def count_request(self) -> None:
        """Count one request sent (from any thread)."""
        with self._requests_lock:
            self.requests += 1

    def summary(self) -> str:
        """One line: records, requests, time and rate."""
        seconds = self.elapsed
        return (
            f"{self.records:,} records, {self.requests:,} requests in {seconds:,.1f} s "
            f"({self.records / max(seconds, 1e-9):,.0f} records/s)"
        )


class SyncTotals:
    """Adds up the streams of one sync and says the total when the last one is done."""

    def __init__(self, logger: logging.Logger, streams: int, departures: Departures) -> None:
        self._logger = logger
        self._departures = departures
        self._streams_left = streams
        self._records = self._requests = 0
        self._started = time.monotonic()

    def stream_done(self, progress: StreamProgress) -> None:
        """Add a finished stream; after the last, log the total."""
        self._records += progress.records
        self._requests += progress.requests
        self._streams_left -= 1
        if self._streams_left == 0:
            seconds = time.monotonic() - self._started
            self._logger.info(
                "Sync complete: %s records, %s requests in %s s (%s records/s).",
                f"{self._records:,}",
                f"{self._requests:,}",
                f"{seconds:,.1f}",
                f"{self._records / max(seconds, 1e-9):,.0f}",
            )
            self._departures.report()
