"""The CS Data API read query: body validation, ``where`` evaluation, ``orderBy``, paging
(docs/api.md, "CS: query, paging and order" and "CS: dates and filters").

Where the real behaviour is unknown the emulator is strict, so a client that passes here sends
only well-formed queries:

* ``select``: the object's field names (no lookup dot paths), answered in that order;
* ``where`` (optional): conditions of ``OPERATORS``, combined by ``expression`` (AND, OR,
  parentheses; every alias defined once and used) or all ANDed;
* values read per data type: DATETIME ``"yyyy-MM-dd HH:mm:ss"`` as UTC or epoch ms, DATE
  ``"MM-dd-yyyy"``/``"yyyy-MM-dd"``/epoch ms; ISO text only for ``DeletedOn`` and in the
  ``text_dates`` world. A null matches only IS_NULL; CONTAINS is case-insensitive;
* ``orderBy``: keys in order, nulls first ascending, ties in storage order;
* ``limit`` 1..5000, default 100 (over: 400 ``GSOBJ_1015``); ``offset`` >= 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tests.emulator.quirks import scrambled

from .deletes import ISO_DATETIME
from .errors import LIMIT_TOO_HIGH, CSError, bad_query
from .objects import NUMBER_TYPES, TEXT_TYPES
from .values import Record, parse_instant, to_ms

MAX_LIMIT = 5000
DEFAULT_LIMIT = 100
OPERATORS = (
    "EQ",
    "NE",
    "GT",
    "GTE",
    "LT",
    "LTE",
    "BTW",
    "IN",
    "CONTAINS",
    "IS_NULL",
    "IS_NOT_NULL",
)

Predicate = Callable[[Record], bool]


@dataclass(frozen=True)
class Query:
    """A validated query, ready to ``run`` against an object's records."""

    select: list[str]
    predicate: Predicate
    order: list[tuple[str, bool]]
    """(field, descending) pairs, most significant first."""
    limit: int
    offset: int

    def run(self, records: list[Record]) -> list[Record]:
        """The page: matching records, sorted, sliced, projected onto ``select``."""
        return self.project(self.page(records))

    def page(
        self, records: list[Record], *, order_ignored: bool = False, cap: int | None = None
    ) -> list[Record]:
        """The matching records, sorted, sliced: whole records, not projected yet.

        ``order_ignored`` (``CSQuirks.order_ignored``): sorted by a hash of each record's key
        (``Gsid``, or a delete log's ``RecordId``) instead of ``orderBy``. ``cap``
        (``CSQuirks.page_cap``): at most that many records, whatever ``limit`` asked.
        """
        matching = [r for r in records if self.predicate(r)]
        if order_ignored:
            matching.sort(key=lambda r: scrambled(r.get("Gsid", r.get("RecordId"))))
        else:
            for name, descending in reversed(self.order):  # stable sorts, least significant first
                matching.sort(key=lambda r, n=name: _sort_key(r.get(n)), reverse=descending)
        limit = self.limit if cap is None else min(self.limit, cap)
        return matching[self.offset : self.offset + limit]

    def project(self, page: list[Record]) -> list[Record]:
        """Each record with the ``select`` fields only, in their order."""
        return [{f: r.get(f) for f in self.select} for r in page]


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)


def parse_query(body: Any, fields: dict[str, str], *, text_dates: bool = False) -> Query:
    """Validate a query ``body`` for an object with ``fields`` (name -> data type).

    ``text_dates`` (``CSQuirks.text_dates``): DATE and DATETIME conditions also take the text
    forms that world answers (any ISO-8601 date-time, a space for the ``T``, a fraction).
    """
    if not isinstance(body, dict):
        raise bad_query("Request body must be a JSON object")
    select = body.get("select")
    if not isinstance(select, list) or not select or not all(isinstance(f, str) for f in select):
        raise bad_query("'select' must be a non-empty list of field names")
    _known(select, fields)
    return Query(
        select=select,
        predicate=_where(body.get("where"), fields, text_dates),
        order=_order_by(body.get("orderBy"), fields),
        limit=_limit(body.get("limit", DEFAULT_LIMIT)),
        offset=_int(body.get("offset", 0), "offset", minimum=0),
    )


def _known(names: list[str], fields: dict[str, str]) -> None:
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise bad_query(f"Invalid field(s): {', '.join(unknown)}")


def _int(value: Any, what: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad_query(f"'{what}' must be an integer >= {minimum}")
    return value


def _limit(value: Any) -> int:
    limit = _int(value, "limit", minimum=1)
    if limit > MAX_LIMIT:
        raise CSError(400, LIMIT_TOO_HIGH, f"limit must not exceed {MAX_LIMIT}, got {limit}")
    return limit


def _order_by(order_by: Any, fields: dict[str, str]) -> list[tuple[str, bool]]:
    if order_by is None:
        return []
    if not isinstance(order_by, dict):
        raise bad_query("'orderBy' must be an object of field -> 'asc' | 'desc'")
    _known(list(order_by), fields)
    order = []
    for name, direction in order_by.items():
        if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
            raise bad_query(f"orderBy direction of {name} must be 'asc' or 'desc'")
        order.append((name, direction.lower() == "desc"))
    return order


# -- where ------------------------------------------------------------------------------------


def _where(where: Any, fields: dict[str, str], text_dates: bool) -> Predicate:
    if where is None:
        return lambda r: True
    if not isinstance(where, dict):
        raise bad_query("'where' must be an object with 'conditions' and 'expression'")
    conditions = where.get("conditions") or []
    if not isinstance(conditions, list):
        raise bad_query("'where.conditions' must be a list")
    predicates = [_condition(c, fields, text_dates) for c in conditions]
    expression = where.get("expression")
    if expression is None or expression == "":
        return lambda r: all(p(r) for _, p in predicates)
    if not isinstance(expression, str):
        raise bad_query("'where.expression' must be a string")
    by_alias: dict[str, Predicate] = {}
    for alias, predicate in predicates:
        if not isinstance(alias, str) or not alias:
            raise bad_query("every condition needs an 'alias' when 'expression' is given")
        if alias in by_alias:
            raise bad_query(f"duplicate alias {alias!r}")
        by_alias[alias] = predicate
    return _ExpressionParser(expression, by_alias).parse()


def _condition(cond: Any, fields: dict[str, str], text_dates: bool) -> tuple[Any, Predicate]:
    if not isinstance(cond, dict):
        raise bad_query("each condition must be an object")
    name, operator = cond.get("name"), cond.get("operator")
    if not isinstance(name, str) or name not in fields:
        raise bad_query(f"Invalid field in condition: {name!r}")
    if operator not in OPERATORS:
        raise bad_query(f"Invalid operator {operator!r}; expected one of {', '.join(OPERATORS)}")
    alias = cond.get("alias")
    if operator == "IS_NULL":
        return alias, lambda r: r.get(name) is None
    if operator == "IS_NOT_NULL":
        return alias, lambda r: r.get(name) is not None

    dtype = fields[name]
    raw = cond.get("value")
    if not isinstance(raw, list):
        raise bad_query(f"condition on {name}: 'value' must be a list")
    wanted = {"BTW": 2}.get(operator, 1)
    if (operator == "IN" and not raw) or (operator != "IN" and len(raw) != wanted):
        raise bad_query(f"condition on {name}: {operator} takes {wanted} value(s), got {len(raw)}")
    if operator == "CONTAINS":
        if dtype not in TEXT_TYPES or not isinstance(raw[0], str):
            raise bad_query(f"condition on {name}: CONTAINS needs a text field and a string")
        needle = raw[0].lower()
        return alias, lambda r: r.get(name) is not None and needle in str(r[name]).lower()
    values = [_coerce(name, dtype, v, text_dates) for v in raw]
    test = _test(operator, values)
    if dtype == ISO_DATETIME:  # stored as an ISO string, compared as an instant
        return alias, lambda r: r.get(name) is not None and test(parse_instant(r[name]))
    return alias, lambda r: r.get(name) is not None and test(r[name])


def _test(operator: str, values: list[Any]) -> Callable[[Any], bool]:  # noqa: PLR0911
    v = values[0]
    if operator == "EQ":
        return lambda x: x == v
    if operator == "NE":
        return lambda x: x != v
    if operator == "GT":
        return lambda x: x > v
    if operator == "GTE":
        return lambda x: x >= v
    if operator == "LT":
        return lambda x: x < v
    if operator == "LTE":
        return lambda x: x <= v
    if operator == "BTW":
        lo, hi = values
        return lambda x: lo <= x <= hi
    members = set(values)  # IN
    return lambda x: x in members


_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_DATE_FORMATS = (
    (re.compile(r"\d{2}-\d{2}-\d{4}"), "%m-%d-%Y"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "%Y-%m-%d"),
)


#: What a condition value of each date type may be (the 400's wording).
_DATE_VALUES = {
    "DATETIME": "'yyyy-MM-dd HH:mm:ss' (UTC) or epoch ms",
    "DATE": "'MM-dd-yyyy', 'yyyy-MM-dd' or epoch ms",
    ISO_DATETIME: "'yyyy-MM-dd HH:mm:ss' (UTC), an ISO-8601 date-time or epoch ms",
}


def _epoch_ms(dtype: str, value: Any, text_dates: bool = False) -> int | None:
    """A date condition value as epoch ms (strings without offset read as UTC), else None.

    ``text_dates``: a DATE or DATETIME also takes what ``parse_instant`` reads.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str):
        return None
    if dtype == ISO_DATETIME or text_dates:
        instant = parse_instant(value)
        if instant is not None or dtype == ISO_DATETIME:
            return instant
    formats = [(_DATETIME_RE, "%Y-%m-%d %H:%M:%S")] if dtype == "DATETIME" else _DATE_FORMATS
    for pattern, fmt in formats:
        if pattern.fullmatch(value):
            try:
                return to_ms(datetime.strptime(value, fmt).replace(tzinfo=timezone.utc))
            except ValueError:  # e.g. month 13
                return None
    return None


def _coerce(name: str, dtype: str, value: Any, text_dates: bool = False) -> Any:
    """A condition value as the stored type of a ``dtype`` field (see module docstring)."""

    def fail(expected: str) -> CSError:
        return bad_query(f"condition on {name} ({dtype}): expected {expected}, got {value!r}")

    if value is None:
        raise fail("a value (use IS_NULL / IS_NOT_NULL for nulls)")
    if dtype in _DATE_VALUES:
        ms = _epoch_ms(dtype, value, text_dates)
        if ms is None:
            raise fail(_DATE_VALUES[dtype])
        return ms
    if dtype in NUMBER_TYPES:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        try:
            return float(value)
        except (TypeError, ValueError):
            raise fail("a number") from None
    if dtype == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise fail("true or false")
    if not isinstance(value, str):
        raise fail("a string")
    return value


class _ExpressionParser:
    """Recursive descent over ``expr := term (OR term)*``, ``term := factor (AND factor)*``,
    ``factor := '(' expr ')' | ALIAS``."""

    _TOKEN = re.compile(r"\s*(?:(\()|(\))|([A-Za-z0-9_]+))")

    def __init__(self, text: str, by_alias: dict[str, Predicate]) -> None:
        self.text = text
        self.by_alias = by_alias
        self.used: set[str] = set()
        self.tokens: list[str] = []
        pos, text = 0, text.rstrip()
        while pos < len(text):
            match = self._TOKEN.match(text, pos)
            if match is None:
                raise self.error(f"unexpected character at {pos}")
            self.tokens.append(match.group(match.lastindex or 0))
            pos = match.end()
        self.pos = 0

    def error(self, why: str) -> CSError:
        return bad_query(f"Invalid expression {self.text!r}: {why}")

    def parse(self) -> Predicate:
        predicate = self.expr()
        if self.pos != len(self.tokens):
            raise self.error(f"unexpected {self.tokens[self.pos]!r}")
        unused = sorted(set(self.by_alias) - self.used)
        if unused:
            raise self.error(f"condition(s) {', '.join(unused)} not used")
        return predicate

    def peek_keyword(self) -> str | None:
        return self.tokens[self.pos].upper() if self.pos < len(self.tokens) else None

    def expr(self) -> Predicate:
        terms = [self.term()]
        while self.peek_keyword() == "OR":
            self.pos += 1
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else lambda r: any(t(r) for t in terms)

    def term(self) -> Predicate:
        factors = [self.factor()]
        while self.peek_keyword() == "AND":
            self.pos += 1
            factors.append(self.factor())
        return factors[0] if len(factors) == 1 else lambda r: all(f(r) for f in factors)

    def factor(self) -> Predicate:
        if self.pos >= len(self.tokens):
            raise self.error("unexpected end")
        token = self.tokens[self.pos]
        self.pos += 1
        if token == "(":
            inner = self.expr()
            if self.pos >= len(self.tokens) or self.tokens[self.pos] != ")":
                raise self.error("missing ')'")
            self.pos += 1
            return inner
        if token == ")" or token.upper() in ("AND", "OR"):
            raise self.error(f"unexpected {token!r}")
        if token not in self.by_alias:
            raise self.error(f"unknown alias {token!r}")
        self.used.add(token)
        return self.by_alias[token]
