"""The PX ``filter`` and ``sort`` query syntax (docs/api.md, "PX: filter and sort").

``filter`` is ``<field><op><value>`` conditions joined by ``;`` (logical AND); several ``filter``
query params are OR'ed. Operators: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``~`` (string
match, ``*`` is a wildcard), ``!~`` (its negation). Fields are dotted paths into nested objects
(``location.city``, ``customAttributes.plan``).

``sort=field`` is ascending, ``sort=-field`` descending (a comma-separated list sorts by several
keys). Ties are broken by the record's primary key ascending, so every order is deterministic.

How a value is compared depends on the record's value, since the API is typed but the query
string is not:

* number field: the value must be a number, or an ISO-8601 UTC date-time
  (``2022-01-01T00:00:00Z``, with or without millis), converted to epoch ms; both forms are used
  in production against epoch-ms fields (docs/api.md, "PX: filter and sort").
* boolean field: ``true`` / ``false`` (case-insensitive).
* string field: compared as strings, case-sensitively [I: the docs' "Case Sensitivity" section is
  unreadable]. ``~`` is an anchored glob: ``accountId~t2700*`` matches ids *starting* with
  ``t2700``; without ``*`` it behaves like ``==`` [I].
* array field (``propertyKeys``): a positive operator matches if ANY element matches; ``!=`` and
  ``!~`` match if NO element matches.
* missing / null: ``==null`` and ``!=null`` test for it; other operators do not match, except the
  negated ones, which do.

Anything unparsable (no operator, empty field or value, bad characters in a field) raises
``FilterError``, which the endpoints answer with HTTP 400.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .tenant import to_ms

Record = dict[str, Any]

_FIELD = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
# Longest operators first so that "<=" is not read as "<" followed by "=value".
_CONDITION = re.compile(rf"^({_FIELD})(==|!=|!~|<=|>=|<|>|~)(.*)$", re.DOTALL)
_INTEGER = re.compile(r"^-?\d+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "~", "!~")
_NEGATED = frozenset(("!=", "!~"))


class FilterError(ValueError):
    """A malformed ``filter`` or ``sort`` parameter (answered with HTTP 400)."""


def parse_timestamp(value: str) -> int | None:
    """Epoch ms from ``value`` given as epoch ms or ISO-8601 (UTC if no offset); else None."""
    value = value.strip()
    if _INTEGER.match(value):
        return int(value)
    text = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    # A '+' in an unencoded query string arrives as a space: "…T00:00:00 00:00".
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return to_ms(parsed)


def get_path(record: Record, dotted: str) -> Any:
    """The value at a dotted path (``location.city``); None if any step is missing."""
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")), re.DOTALL)


@dataclass(frozen=True)
class Condition:
    """One ``<field><op><value>`` condition, pre-parsed for fast matching."""

    field: str
    op: str
    value: str
    number: float | None = dataclasses.field(default=None, compare=False)
    pattern: re.Pattern[str] | None = dataclasses.field(default=None, compare=False)

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Parse ``"date>=2022-01-01T00:00:00Z"``; raise FilterError if malformed."""
        m = _CONDITION.match(text.strip())
        if not m:
            raise FilterError(f"Invalid filter condition '{text}': expected <field><op><value>")
        name, op, value = m.groups()
        if value == "":
            raise FilterError(f"Invalid filter condition '{text}': missing value")
        number: float | None = None
        if _NUMBER.match(value):
            number = float(value) if not _INTEGER.match(value) else int(value)
        else:
            number = parse_timestamp(value)
        pattern = _glob(value) if op in ("~", "!~") else None
        return cls(name, op, value, number, pattern)

    def matches(self, record: Record) -> bool:
        """Whether ``record`` satisfies this condition (see the module docstring)."""
        value = get_path(record, self.field)
        if isinstance(value, list):
            hits = (self._test(v) for v in value)
            return all(hits) if self.op in _NEGATED else any(hits)
        return self._test(value)

    def _test(self, value: Any) -> bool:  # noqa: PLR0911 - one branch per value type
        op = self.op
        if value is None:
            if self.value == "null" and op in ("==", "!="):
                return op == "=="
            return op in _NEGATED
        if op in ("~", "!~"):
            assert self.pattern is not None
            text = str(value).lower() if isinstance(value, bool) else str(value)
            return (self.pattern.fullmatch(text) is not None) == (op == "~")
        if isinstance(value, bool):
            want = self.value.lower()
            if want not in ("true", "false"):
                return op == "!="
            return _compare(op, value, want == "true")
        if isinstance(value, (int, float)):
            if self.number is None:
                return op == "!="
            return _compare(op, value, self.number)
        if isinstance(value, str):
            return _compare(op, value, self.value)
        return op == "!="  # objects are not comparable


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def parse_filter(text: str) -> list[Condition]:
    """One ``filter`` param: conditions joined by ``;`` (AND). Empty segments are ignored."""
    return [Condition.parse(part) for part in text.split(";") if part.strip()]


def parse_filters(values: Iterable[str]) -> list[list[Condition]]:
    """All ``filter`` params: a list of OR'ed branches, each a list of AND'ed conditions.

    An empty param (``filter=``, as Swagger-UI-style clients send) is no filter at all.
    """
    return [branch for branch in (parse_filter(v) for v in values) if branch]


def matches(record: Record, branches: list[list[Condition]]) -> bool:
    """True if ``record`` satisfies any branch (all if there are none)."""
    if not branches:
        return True
    return any(all(c.matches(record) for c in branch) for branch in branches)


@dataclass(frozen=True)
class SortKey:
    """One ``sort`` key: a dotted field, ascending unless prefixed with ``-``."""

    field: str
    descending: bool = False


def parse_sort(values: Iterable[str]) -> list[SortKey]:
    """Parse ``sort`` params (``date``, ``-lastModifiedDate``, ``a,-b``); FilterError if bad."""
    keys = []
    for value in values:
        for raw in value.split(","):
            text = raw.strip()
            if not text:
                continue
            descending = text.startswith("-")
            name = text.lstrip("+-")
            if not re.fullmatch(_FIELD, name):
                raise FilterError(f"Invalid sort field '{raw}'")
            keys.append(SortKey(name, descending))
    return keys


def _sort_value(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, str(value))


def sort_records(records: Iterable[Record], keys: list[SortKey], primary_key: str) -> list[Record]:
    """Sort by ``keys``; nulls last in both directions; ties by ``primary_key`` ascending."""
    out = sorted(records, key=lambda r: _sort_value(r.get(primary_key)))
    for key in reversed(keys):  # stable sorts, least significant key first
        present = [r for r in out if get_path(r, key.field) is not None]
        missing = [r for r in out if get_path(r, key.field) is None]
        name = key.field
        present.sort(key=lambda r: _sort_value(get_path(r, name)), reverse=key.descending)
        out = present + missing
    return out
