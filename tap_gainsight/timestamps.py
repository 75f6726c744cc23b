"""Conversions between the APIs' epoch milliseconds and RFC 3339 strings (always UTC)."""

from __future__ import annotations

import datetime as dt
import re

import pendulum

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MS_PER_DAY = 86_400_000


def epoch_ms_to_rfc3339(value: int) -> str:
    """Format epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`, keeping every millisecond.

    Integer arithmetic: a float division can round a millisecond away, and bookmarks must
    compare exactly with the API's values.
    """
    day, ms_of_day = divmod(value, _MS_PER_DAY)
    seconds, ms = divmod(ms_of_day, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    date = (_EPOCH + dt.timedelta(days=day)).date()
    return f"{date.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}.{ms:03d}Z"


#: A date or date-time as text: ISO 8601 with `T` or a space, any offset or none.
_TEXT_INSTANT = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)"
    r"(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d\d(?::?\d\d)?)?",
    re.IGNORECASE,
)
#: The one form the tap sends: RFC 3339 in UTC.
_RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def is_rfc3339_utc(text: str) -> bool:
    """Whether a date-time is already in the form the tap sends (`...T...Z`)."""
    return _RFC3339_UTC.fullmatch(text) is not None


def text_epoch_ms(text: str) -> int | None:
    """Epoch milliseconds of a date or date-time written as text (ISO 8601), or None.

    Text without a zone is UTC, as the APIs' filters are (docs/api.md, "PX and CS: field types").
    """
    match = _TEXT_INSTANT.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    offset = dt.timedelta(0)
    if zone and zone.upper() != "Z":
        digits = zone[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        offset = -offset if zone[0] == "-" else offset
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    return to_epoch_ms(moment - offset) + millis


def text_to_rfc3339(text: str) -> str | None:
    """A date or date-time written as text, as RFC 3339 UTC to the millisecond (or None)."""
    ms = text_epoch_ms(text)
    return None if ms is None else epoch_ms_to_rfc3339(ms)


def epoch_ms_of(value: object) -> int | None:
    """Epoch milliseconds of a date the API sent in whatever form (None: not a date).

    Documented as an integer; a float or text is read too, so that a changed type does not
    hide a record's place in time.
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
    return text_epoch_ms(text)


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
