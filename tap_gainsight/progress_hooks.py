"""A stream's progress lines and summary, counted into the run's totals (`progress.py`)."""

from __future__ import annotations

import typing as t

from singer_sdk import RESTStream
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE

from tap_gainsight.progress import StreamProgress, Total

if t.TYPE_CHECKING:
    from tap_gainsight.run import Run


class ProgressHooks(RESTStream[t.Any]):
    """What a stream says of its progress; each stream may say where it is and how far."""

    run: Run
    progress: StreamProgress
    #: Set as the stream's turn comes: only then are its records checked and counted.
    _syncing = False

    def new_progress(self) -> StreamProgress:
        """A fresh count of this stream's records and requests."""
        return StreamProgress(
            self.name,
            self.logger,
            self.progress_position,
            self.progress_total,
            full_table=self.replication_method == REPLICATION_FULL_TABLE,
        )

    def begin_progress(self) -> None:
        """Start counting this stream's records and requests.

        Requests sent before the stream's turn (its first page, read ahead) stay counted.
        """
        self.run.sync_started(sum(1 for s in self._tap.streams.values() if s.selected))
        self._syncing = True
        before = self.progress.requests
        self.progress = self.new_progress()
        self.progress.requests = before

    def finish(self) -> None:
        """Log the stream's summary and count it done in the sync's total."""
        self.logger.info(
            "Done: %s: %s%s.", self.name, self.progress.summary(), self.summary_extra()
        )
        self.run.stream_done(self.progress)

    def summary_extra(self) -> str:
        """What else the summary line says, if anything (e.g. ", 3 skipped")."""
        return ""

    def progress_position(self) -> str:
        """Where the stream is, for progress lines (e.g. "window 3 of 58, ")."""
        return ""

    def progress_total(self) -> Total | None:
        """The records the stream has and has done, where the API told (progress lines)."""
        return None
