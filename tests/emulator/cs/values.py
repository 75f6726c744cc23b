"""How the CS emulator holds values: records, epoch milliseconds and ISO-8601 strings.

A record is a plain dict keyed by field name, holding what the API returns for that field
(docs/api.md, "CS: dates and filters"): dates as epoch-ms ints (DATEs at UTC midnight),
except the delete log's ``DeletedOn``, an ISO-8601 UTC string with whole seconds (docs/api.md,
"CS: delete logs"). What an answer sends may differ where a world says so (``CSQuirks``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from tests.emulator.tenant import DAY_MS, DEFAULT_NOW, Record, from_ms, to_ms

__all__ = ["DAY_MS", "DEFAULT_NOW", "Record", "from_ms", "iso_seconds", "parse_instant", "to_ms"]


def iso_seconds(ms: int) -> str:
    """``yyyy-MM-ddTHH:mm:ssZ`` of epoch ms, truncated to the second (the delete log's form)."""
    return from_ms(ms // 1000 * 1000).strftime("%Y-%m-%dT%H:%M:%SZ")


_ISO_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE
)


@lru_cache(maxsize=4096)
def parse_instant(text: str) -> int | None:
    """Epoch ms of ``yyyy-MM-dd HH:mm:ss`` or an ISO-8601 date-time, else None.

    Accepted: a space or ``T`` between date and time, optional fraction, and ``Z``, ``±HH:MM``
    or ``±HHMM``; without an offset the value is UTC (the filter time zone is undocumented).
    """
    match = _ISO_RE.fullmatch(text.strip())
    if match is None:
        return None
    date, clock, fraction, offset = match.groups()
    try:
        moment = datetime.fromisoformat(f"{date}T{clock}{fraction or ''}")
    except ValueError:  # e.g. month 13
        return None
    tz = timezone.utc
    if offset and offset.upper() != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return to_ms(moment.replace(tzinfo=tz))
