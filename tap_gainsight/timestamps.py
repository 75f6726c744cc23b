"""Conversions between the APIs' epoch milliseconds and RFC 3339 strings (always UTC)."""

from __future__ import annotations

import datetime as dt
import functools

import pendulum

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


_MS_PER_DAY = 86_400_000


@functools.lru_cache(maxsize=4096)
def _day_prefix(day: int) -> str:
    """`YYYY-MM-DDT` of a day counted from the epoch: events cluster on few days."""
    date = _EPOCH + dt.timedelta(days=day)
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}T"


def epoch_ms_to_rfc3339(value: int) -> str:
    """Format epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`, keeping every millisecond.

    Integer arithmetic, not `fromtimestamp(value / 1000)`: the float division can round a
    millisecond away, and bookmarks must compare exactly with the API's values. It runs for
    every date of every record, hence the cached day and no `strftime`.
    """
    day, ms_of_day = divmod(value, _MS_PER_DAY)
    seconds, ms = divmod(ms_of_day, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{_day_prefix(day)}{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}Z"


def to_epoch_ms(moment: dt.datetime) -> int:
    """Return the epoch milliseconds of an aware datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return (moment - _EPOCH) // dt.timedelta(milliseconds=1)


def parse_setting_datetime(value: str) -> dt.datetime:
    """Parse an RFC 3339 / ISO 8601 setting value into an aware UTC datetime.

    Raises:
        ValueError: If the value is not a date or date-time.
    """
    try:
        parsed: object = pendulum.parse(value)
    except (pendulum.parsing.exceptions.ParserError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    if isinstance(parsed, dt.datetime):
        # Back to a plain datetime: pendulum's arithmetic on a stdlib UTC tzinfo can drop it.
        utc = parsed.astimezone(dt.timezone.utc)
        return dt.datetime(*utc.timetuple()[:6], utc.microsecond, tzinfo=dt.timezone.utc)
    if isinstance(parsed, dt.date):
        return dt.datetime(parsed.year, parsed.month, parsed.day, tzinfo=dt.timezone.utc)
    msg = f"{value!r} is not a date-time"
    raise ValueError(msg)
