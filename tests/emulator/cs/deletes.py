"""The delete logs: what Gainsight remembers of deleted records (docs/api.md, "CS: delete logs").

Two logs are queried like objects, through the query API (``cs.query``)::

    POST /v1/data/objects/query/record_delete_log              (low-volume objects)
    POST /v1/data/objects/query/record_delete_log_high_volume  (high-volume objects)

    {"select": ["RecordId", "DeletedOn", "ObjectName"],
     "where": {"conditions": [
         {"name": "DeletedOn", "value": ["2024-02-05 00:00:00"], "alias": "A", "operator": "GT"},
         {"name": "ObjectName", "value": ["Company"], "alias": "B", "operator": "EQ"}],
       "expression": "A AND B"},
     "orderBy": {"DeletedOn": "asc", "RecordId": "asc"}, "limit": 100, "offset": 0}

Each entry (``DELETE_LOG_FIELDS``) is ``{"RecordId": <the deleted record's Gsid>, "DeletedOn":
"2024-02-05T07:17:16Z", "ObjectName": "Company"}``:

* ``DeletedOn`` is an ISO-8601 UTC **string** with whole seconds (the documented sample), unlike
  every other date of the API (epoch ms). Filter values may be ``yyyy-MM-dd HH:mm:ss`` (the
  documented form, read as UTC), any ISO-8601 date-time (``2024-02-05T00:00:00+00:00``, what
  a peer sends) or epoch ms; all are compared as instants, to the millisecond. Several records
  deleted in one operation share one second, as in the sample: a client paging on
  ``DeletedOn`` needs ``RecordId`` as a tie-breaker.
* ``ObjectName`` is the object's canonical name (``objects``): ``"Company"``, ``"Person"``,
  ``"call_to_action"``, ``"renewal_forecast__gc"``. Note the capital C of the documented
  ``"Company"`` where the objects list says ``company``.
* Answers always use the ``data.records`` shape of the documented sample, whatever
  ``CSQuirks.data_as_list`` says, and carry the sample's ``localizedErrorDesc`` and
  ``localizedMessage`` keys.

Which log: objects marked ``high_volume`` (``activity_timeline``) log to the high-volume log
when the tenant has one (``CSTenant.generate(high_volume_log=True)``); otherwise everything
goes to ``record_delete_log``. A tenant without the high-volume log answers a query of it with
``OBJECT_NOT_FOUND`` (``errors.ObjectNotFound``), which a peer tap treats as an empty log.

Retention: the real API keeps deletions for **15 days** only (``RETENTION_DAYS``; the Recycle
Bin purges after 15 days, on the next Saturday). The emulator does NOT enforce it: the
generated log starts with ``INITIAL_DELETIONS`` entries spread over the last
``INITIAL_SPREAD_DAYS`` days, so some are older than a real tenant would still show, and a
client that trusts a bookmark older than 15 days sees more here than it would live.
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
