"""The delete logs: what Gainsight remembers of deleted records (docs/api.md, "CS: delete logs").

``record_delete_log`` and, on some tenants, ``record_delete_log_high_volume`` (the
``high_volume`` objects' log; without it a query is ``OBJECT_NOT_FOUND``) are queried like
objects. Each entry is ``{"RecordId", "DeletedOn", "ObjectName"}``: ``DeletedOn`` an ISO-8601
UTC string of whole seconds, shared by bulk deletes (page on it with ``RecordId``), filtered as
an instant in any of the query's date forms; ``ObjectName`` canonical (``"Company"``).
Answers always use ``data.records``. The API keeps 15 days (``RETENTION_DAYS``); the emulator
does not purge: its initial log spans ``INITIAL_SPREAD_DAYS``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .values import DAY_MS, Record, iso_seconds

DELETE_LOG = "record_delete_log"
HIGH_VOLUME_LOG = "record_delete_log_high_volume"
DELETE_LOGS = (DELETE_LOG, HIGH_VOLUME_LOG)
#: The emulator's own type of ``DeletedOn`` in the query engine: an ISO string read as an
#: instant. Not a Gainsight ``dataType`` (no describe of the logs is documented).
ISO_DATETIME = "ISO_DATETIME"
DELETE_LOG_FIELDS: dict[str, str] = {
    "RecordId": "GSID",
    "DeletedOn": ISO_DATETIME,
    "ObjectName": "STRING",
}
RETENTION_DAYS = 15
INITIAL_DELETIONS = 30
INITIAL_SPREAD_DAYS = 20


def log_entry(record_id: str, deleted_ms: int, object_name: str) -> Record:
    """One delete-log entry; ``deleted_ms`` is truncated to the second."""
    return {"RecordId": record_id, "DeletedOn": iso_seconds(deleted_ms), "ObjectName": object_name}


def initial_deletions(
    rng: random.Random,
    new_gsid: Callable[[], str],
    now_ms: int,
    object_names: list[str],
    *,
    count: int = INITIAL_DELETIONS,
    spread_days: int = INITIAL_SPREAD_DAYS,
) -> list[Record]:
    """``count`` entries of records deleted before the tenant was generated, oldest first.

    The records are gone (their Gsids are in no collection). Entries come in bursts of one to
    three deletions within one second (bulk deletes), every object in ``object_names`` at
    least once when ``count`` allows. The first burst is a pair older than
    ``RETENTION_DAYS`` (the documented sample's two deletions in one second); the rest fall
    anywhere in the last ``spread_days`` days.
    """
    entries: list[Record] = []
    names = list(object_names)
    rng.shuffle(names)
    span = spread_days * DAY_MS
    while len(entries) < count:
        name = names.pop() if names else rng.choice(object_names)
        if entries:
            at, burst = now_ms - 1000 - int(rng.random() * (span - 1000)), rng.choice((1, 1, 2, 3))
        else:
            old = RETENTION_DAYS * DAY_MS + 1000
            at, burst = now_ms - old - int(rng.random() * (span - old)), 2
        for _ in range(min(burst, count - len(entries))):
            entries.append(log_entry(new_gsid(), at, name))
    entries.sort(key=lambda e: e["DeletedOn"])  # stable: a burst keeps its order
    return entries
