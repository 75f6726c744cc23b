"""The PX ``filter`` and ``sort`` query syntax (docs/api.md, "PX: filter and sort"), as far as a
client replicating by date uses it.

``filter`` is ``<field><op><value>`` conditions joined by ``;`` (logical AND); several ``filter``
query params are OR'ed. Operators: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``; fields are dotted
paths into nested objects. A value is a number or an ISO-8601 date-time (UTC if no offset),
compared as epoch ms; a record whose value is no number does not match (``!=`` does).

``sort=field`` is ascending, ``sort=-field`` descending (a comma-separated list sorts by several
keys); nulls last; ties broken by the record's primary key ascending, so every order is
deterministic. Anything unparsable is a 400.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .errors import bad_request
from .tenant import Record, to_ms

_FIELD = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
# Longest operators first so that "<=" is not read as "<" followed by "=value".
_CONDITION = re.compile(rf"^({_FIELD})(==|!=|<=|>=|<|>)(.+)$", re.DOTALL)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def parse_timestamp(value: str) -> int | None:
    """Epoch ms from ``value`` given as epoch ms or ISO-8601 (UTC if no offset); else None."""
    value = value.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    text = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    # A '+' in an unencoded query string arrives as a space: "…T00:00:00 00:00".
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return to_ms(parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc))


def get_path(record: Record, dotted: str) -> Any:
    """The value at a dotted path (``location.city``); None if any step is missing."""
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


@dataclass(frozen=True)
class Condition:
    """One ``<field><op><value>`` condition; ``number`` is the value read as a number."""

    field: str
    op: str
    value: str
    number: float | None

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Parse ``"date>=2022-01-01T00:00:00Z"``; a 400 if malformed."""
        m = _CONDITION.match(text.strip())
        if not m:
            raise bad_request(f"Invalid filter condition '{text}': expected <field><op><value>")
        name, op, value = m.groups()
        number = float(value) if _NUMBER.match(value) and "." in value else parse_timestamp(value)
        return cls(name, op, value, number)

    def matches(self, record: Record) -> bool:
        """Whether ``record`` satisfies this condition (see the module docstring)."""
        value = get_path(record, self.field)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or self.number is None:
            return self.op == "!="
        return COMPARE[self.op](value, self.number)


def parse_filters(values: Iterable[str]) -> list[list[Condition]]:
    """All ``filter`` params: OR'ed branches of AND'ed conditions (an empty param: none)."""
    branches = [[Condition.parse(p) for p in v.split(";") if p.strip()] for v in values]
    return [branch for branch in branches if branch]


def matches(record: Record, branches: list[list[Condition]]) -> bool:
    """True if ``record`` satisfies any branch (all if there are none)."""
    return not branches or any(all(c.matches(record) for c in branch) for branch in branches)


@dataclass(frozen=True)
class SortKey:
    """One ``sort`` key: a dotted field, ascending unless prefixed with ``-``."""

    field: str
    descending: bool = False


def parse_sort(values: Iterable[str]) -> list[SortKey]:
    """Parse ``sort`` params (``date``, ``-lastModifiedDate``, ``a,-b``); a 400 if bad."""
    keys = []
    for raw in (text.strip() for value in values for text in value.split(",")):
        name = raw.lstrip("+-")
        if not re.fullmatch(_FIELD, name):
            raise bad_request(f"Invalid sort field '{raw}'")
        keys.append(SortKey(name, raw.startswith("-")))
    return keys


def sort_value(value: Any) -> tuple[int, Any]:
    """A key that orders numbers before text, whatever mix a field holds."""
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def sort_records(records: Iterable[Record], keys: list[SortKey], primary_key: str) -> list[Record]:
    """Sort by ``keys``; nulls last in both directions; ties by ``primary_key`` ascending."""
    out = sorted(records, key=lambda r: sort_value(r.get(primary_key)))
    for key in reversed(keys):  # stable sorts, least significant key first
        present = [r for r in out if get_path(r, key.field) is not None]
        missing = [r for r in out if get_path(r, key.field) is None]
        name = key.field
        present.sort(key=lambda r: sort_value(get_path(r, name)), reverse=key.descending)
        out = present + missing
    return out
