"""`deleted_records`: the CS delete logs, so that a warehouse can drop what Gainsight deleted.

Each log (`record_delete_log`, and `record_delete_log_high_volume`, which a tenant may lack)
is a partition read by keyset on `(DeletedOn, RecordId)`, `DeletedOn` an ISO-8601 string
(docs/api.md, "CS: delete logs"). Gainsight keeps deletions 15 days, so each log's state
keeps when its last read to the end began (`last_complete_read`): the bookmark alone cannot
tell a quiet tenant from deletions missed.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from urllib.parse import urlsplit

from typing_extensions import override

from tap_gainsight.cs.keyset import FILTER_DATETIME_FORMAT, KeysetStream
from tap_gainsight.order_guard import write_state
from tap_gainsight.responses import response_body
from tap_gainsight.timestamps import parse_setting_datetime

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context

DELETE_LOGS = ("record_delete_log", "record_delete_log_high_volume")
#: How long the API keeps deletions (Retrieve Deleted Data API).
RETENTION = dt.timedelta(days=15)
DATE_FIELD, RECORD_ID = "DeletedOn", "RecordId"
#: The answer of a tenant without the log asked for (docs/api.md, "CS: delete logs").
NOT_FOUND = "OBJECT_NOT_FOUND"
#: The key of a log's state that holds when its last read to the end began (UTC).
LAST_COMPLETE_READ = "last_complete_read"
STATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def is_absent(response: requests.Response) -> bool:
    """Whether the tenant has no such log (the high-volume one is not in every tenant)."""
    try:
        body = response_body(response)
    except ValueError:
        return False
    return isinstance(body, dict) and NOT_FOUND in (body.get("title"), body.get("errorCode"))


class DeletedRecordsStream(KeysetStream):
    """Every deletion the CS delete logs hold, keyed by `(ObjectName, RecordId)`."""

    name = "deleted_records"
    path = "/v1/data/objects/query/{delete_log}"
    primary_keys = ("ObjectName", RECORD_ID)
    replication_key = DATE_FIELD
    key_field = RECORD_ID
    null_pass = False

    @property
    @override
    def partitions(self) -> list[dict]:
        return [{"delete_log": log} for log in DELETE_LOGS]

    @override
    def begin_progress(self) -> None:
        if not self._syncing:  # one count, one summary and one warning for both logs
            super().begin_progress()
            self.warn_of_missed_deletions()

    @override
    def finish(self) -> None:
        if (self.read_context or {}).get("delete_log") == DELETE_LOGS[-1]:
            super().finish()

    @override
    def request_records(self, context: Context | None) -> Iterable[dict]:
        started = dt.datetime.now(dt.timezone.utc)
        yield from super().request_records(context)
        # Read to its end: every deletion logged before `started` has been seen.
        write_state(self, context, {LAST_COMPLETE_READ: started.strftime(STATE_FORMAT)})

    @override
    def log_read(self, context: Context | None) -> None:
        self.logger.info(
            "Reading the deletions of %s %s.",
            (context or {}).get("delete_log", DELETE_LOGS[0]),
            f"since {self._since.isoformat()}" if self._since else "it holds",
        )

    def warn_of_missed_deletions(self) -> None:
        """Warn once if a log was last read to its end (or its bookmark) over 15 days ago.

        A state without the time (an older tap's) gets no warning; this run writes it.
        """
        now = dt.datetime.now(dt.timezone.utc)
        stale: list[str] = []
        for log in DELETE_LOGS:
            context = {"delete_log": log}
            value = self.get_context_state(context).get(LAST_COMPLETE_READ)
            if not isinstance(value, str) or not value:
                continue
            read_at, bookmark = parse_setting_datetime(value), self.bookmark(context)
            covered = max(read_at, bookmark) if bookmark else read_at
            if now - covered > RETENTION:
                stale.append(f"{log} ({(now - covered).days} days ago)")
        if stale:
            self.logger.warning(
                "The delete logs were last read in full longer ago than the 15 days Gainsight "
                "keeps deletions: %s; deletions in between may have been missed. To recover, "
                "run a full refresh of the CS objects concerned (e.g. `meltano run "
                "--full-refresh tap-gainsight <loader>` with only them selected) and drop the "
                "warehouse rows it no longer returns.",
                ", ".join(stale),
            )

    @property
    @override
    def select(self) -> list[str]:
        return [RECORD_ID, DATE_FIELD, "ObjectName"]

    @override
    def filter_date(self, value: t.Any) -> t.Any:
        """A `DeletedOn` (whole seconds in the documented sample) in the filter format."""
        if isinstance(value, int):
            moment = dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc)
        else:
            moment = parse_setting_datetime(str(value))
        return moment.strftime(FILTER_DATETIME_FORMAT)

    @override
    def validate_response(self, response: requests.Response) -> None:
        if not is_absent(response):
            super().validate_response(response)
            return
        self.logger.info(
            "%s: the tenant has no such log; nothing to read.",
            urlsplit(response.url).path or self.path,
        )

    @override
    def records_of(self, response: requests.Response) -> list[dict]:
        return [] if is_absent(response) else super().records_of(response)
