"""Conversions between the APIs' epoch milliseconds and RFC 3339 strings (always UTC)."""

from __future__ import annotations

import datetime as dt

import pendulum

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


_MS_PER_DAY = 86_400_000
_MS_PER_MINUTE = 60_000
#: `HH:MM:` of each minute of a day, and `SS.mmmZ` of each millisecond of a minute.
_MINUTES_OF_DAY = tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(24 * 60))
_MILLISECONDS_OF_MINUTE = tuple(
    f"{ms // 1000:02d}.{ms % 1000:03d}Z" for ms in range(_MS_PER_MINUTE)
)
_day_prefixes: dict[int, str] = {}


def _day_prefix(day: int) -> str:
    """`YYYY-MM-DDT` of a day counted from the epoch (kept: events cluster on few days)."""
    date = _EPOCH + dt.timedelta(days=day)
    prefix = f"{date.year:04d}-{date.month:02d}-{date.day:02d}T"
    if len(_day_prefixes) < 100_000:
        _day_prefixes[day] = prefix
    return prefix


def epoch_ms_to_rfc3339(value: int) -> str:
    """Format epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`, keeping every millisecond.

    Integer arithmetic, not `fromtimestamp(value / 1000)`: the float division can round a
    millisecond away, and bookmarks must compare exactly with the API's values. It runs for
    every date of every record, hence three pieces looked up rather than formatted.
    """
    day, ms_of_day = divmod(value, _MS_PER_DAY)
    minute, ms_of_minute = divmod(ms_of_day, _MS_PER_MINUTE)
    return (
        (_day_prefixes.get(day) or _day_prefix(day))
        + _MINUTES_OF_DAY[minute]
        + _MILLISECONDS_OF_MINUTE[ms_of_minute]
    )


def epoch_ms_of(value: object) -> int | None:
    """Epoch milliseconds of a date the API sent in whatever form (None: not a date).

    The documented form is an integer; a float, a numeric string or ISO 8601 text are
    read too, so that a type the API changes does not hide a record's place in time.
    """
    if type(value) is int:
        return value
    if type(value) is float:
        return int(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return to_epoch_ms(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def from_epoch_ms(value: int) -> dt.datetime:
    """The UTC datetime of epoch milliseconds, exactly (no float division)."""
    return _EPOCH + dt.timedelta(milliseconds=value)


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
