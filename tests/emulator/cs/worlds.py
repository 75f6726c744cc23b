"""The valued worlds of ``CSQuirks``: what each changes in a query's answer.

Each function reads one world's setting (``quirks``) and says what the server does with a
query of one object: refuse it (``object_refusal``, ``field_refusal``), answer fewer records
(``page_cap``) or send its dates as text (``text_dated``). The server applies them in that
order: a refused object is refused whatever its body, a refused field once the body is known
to be valid.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import ACCESS_DENIED, BAD_QUERY, CSError
from .objects import ObjectDef
from .quirks import CSQuirks
from .values import Record, from_ms

#: The ``errorDesc`` of a refused field when ``refused_field_message`` is None.
DEFAULT_REFUSED_FIELD_MESSAGE = "Invalid select field(s): {field}"
#: The data types whose values ``text_dates`` sends as text.
DATE_TYPES = frozenset({"DATETIME", "DATE"})
#: What ``"mixed"`` cycles through, by record position in the page.
MIXED_FORMS = ("offset", "space", "utc", "zoned")
#: The offsets (minutes east of UTC) of the ``"zoned"`` form, alternately.
ZONED_OFFSETS = (330, -480)


def _names(setting: str | None) -> list[str]:
    return [item.strip() for item in (setting or "").split(",") if item.strip()]


def object_refusal(quirks: CSQuirks, obj: ObjectDef, asked_as: str) -> CSError | None:
    """The answer to a query of ``obj`` under ``refused_objects``, or None if it is served.

    ``asked_as`` is the name in the query path, repeated in the description.
    """
    if obj.list_name not in {name.lower() for name in _names(quirks.refused_objects)}:
        return None
    status = int(quirks.refused_objects_status or 403)
    return CSError(status, ACCESS_DENIED, f"Access denied to object {asked_as}")


def refused_fields(quirks: CSQuirks, obj: ObjectDef) -> set[str]:
    """The fields of ``obj`` that ``refused_fields`` names."""
    refused = set()
    for item in _names(quirks.refused_fields):
        object_name, _, field = item.rpartition(".")
        if object_name.lower() == obj.list_name:
            refused.add(field)
    return refused


def field_refusal(quirks: CSQuirks, obj: ObjectDef, select: Iterable[str]) -> CSError | None:
    """The 400 of a query of ``obj`` selecting a refused field, or None if there is none."""
    refused = refused_fields(quirks, obj)
    named = [field for field in select if field in refused]
    if not named:
        return None
    template = quirks.refused_field_message or DEFAULT_REFUSED_FIELD_MESSAGE
    return CSError(400, BAD_QUERY, template.replace("{field}", ", ".join(named)))


def page_cap(quirks: CSQuirks) -> int | None:
    """The most records a query answers under ``page_cap``, None if only ``limit`` counts."""
    return int(quirks.page_cap) if quirks.page_cap else None


def _clock(ms: int, offset_minutes: int, separator: str, *, always_ms: bool) -> str:
    """The wall clock of ``ms`` at a UTC offset: date, ``separator``, time, the millisecond
    when it is not zero (or ``always_ms``)."""
    text = from_ms(ms + offset_minutes * 60_000).strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    return f"{text}.{ms % 1000:03d}" if always_ms or ms % 1000 else text


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def date_text(ms: int, data_type: str, form: str, position: int = 0) -> str:
    """Epoch ``ms`` of a DATE or DATETIME field as ``text_dates`` ``form`` sends it.

    ``position`` is the record's place in the page: which form ``"mixed"`` takes. Every form
    keeps the instant to the millisecond, except a DATE as ``2026-11-01`` (its UTC day:
    DATEs are stored at UTC midnight).
    """
    if form == "mixed":
        form = MIXED_FORMS[position % len(MIXED_FORMS)]
    if form == "date":
        if data_type == "DATE":
            return from_ms(ms).strftime("%Y-%m-%d")
        form = "space"
    if form == "offset":
        return _clock(ms, 0, "T", always_ms=True) + "+0000"
    if form == "space":
        return _clock(ms, 0, " ", always_ms=False)
    if form == "utc":
        return _clock(ms, 0, "T", always_ms=False) + "Z"
    minutes = ZONED_OFFSETS[position // len(MIXED_FORMS) % len(ZONED_OFFSETS)]
    return _clock(ms, minutes, "T", always_ms=False) + _offset(minutes)


def text_dated(records: list[Record], fields: dict[str, str], form: str) -> list[Record]:
    """Answered (projected) ``records`` with every epoch-ms DATE and DATETIME value as text.

    A value that is already no integer (null, or text under ``drifted_types``) is kept.
    """
    out = []
    for position, record in enumerate(records):
        out.append(
            {
                name: date_text(value, fields[name], form, position)
                if type(value) is int and fields.get(name) in DATE_TYPES
                else value
                for name, value in record.items()
            }
        )
    return out
