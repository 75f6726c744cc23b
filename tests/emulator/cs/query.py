"""The CS Data API read query: body validation, ``where`` evaluation, ``orderBy``, paging
(docs/api.md, "CS: query, paging and order" and "CS: dates and filters").

Where the real behaviour is unknown the emulator is strict, so a client that passes here sends
only well-formed queries; anything it cannot read is a 400 ``GSOBJ_1000``:

* ``select``: the object's field names (no lookup dot paths), answered in that order;
* ``where`` (optional): conditions of ``OPERATORS``, ``IS_NULL`` or ``IS_NOT_NULL``, combined
  by ``expression`` (AND, OR, parentheses; every alias defined once and used) or all ANDed;
* values read per data type: DATETIME ``"yyyy-MM-dd HH:mm:ss"`` as UTC or epoch ms, DATE
  ``"MM-dd-yyyy"``/``"yyyy-MM-dd"``/epoch ms; ISO text only for ``DeletedOn`` and in the
  ``text_dates`` world. A null matches only IS_NULL;
* ``orderBy``: keys in order, nulls first ascending, ties in storage order;
* ``limit`` 1..5000, default 100 (over: 400 ``GSOBJ_1015``); ``offset`` >= 0.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tests.emulator.quirks import scrambled

from .deletes import ISO_DATETIME
from .errors import LIMIT_TOO_HIGH, CSError, bad_query
from .objects import NUMBER_TYPES
from .values import Record, parse_instant, to_ms

MAX_LIMIT = 5000
DEFAULT_LIMIT = 100
#: Operator -> its test of a stored value against the condition's value (its values: BTW, IN).
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": operator.eq,
    "NE": operator.ne,
    "GT": operator.gt,
    "GTE": operator.ge,
    "LT": operator.lt,
    "LTE": operator.le,
    "BTW": lambda x, v: v[0] <= x <= v[1],
    "IN": lambda x, v: x in v,
}

Predicate = Callable[[Record], bool]


@dataclass(frozen=True)
class Query:
    """A validated query, ready to page an object's records."""

    select: list[str]
    predicate: Predicate
    order: list[tuple[str, bool]]
    """(field, descending) pairs, most significant first."""
    limit: int
    offset: int

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
    try:
        select, order_by = body["select"], body.get("orderBy", {})
        _known([*select, *order_by], fields)
        limit, offset = body.get("limit", DEFAULT_LIMIT), body.get("offset", 0)
        if limit > MAX_LIMIT:
            raise CSError(400, LIMIT_TOO_HIGH, f"limit must not exceed {MAX_LIMIT}, got {limit}")
        directions = {d.lower() for d in order_by.values()}
        if not select or limit < 1 or offset < 0 or not directions <= {"asc", "desc"}:
            raise bad_query("Malformed query: select, orderBy, limit or offset")
        order = [(name, d.lower() == "desc") for name, d in order_by.items()]
        predicate = _where(body.get("where"), fields, text_dates)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as e:
        raise bad_query(f"Malformed query: {e!r}") from None
    return Query(select, predicate, order, limit, offset)


def _known(names: list[str], fields: dict[str, str]) -> None:
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise bad_query(f"Invalid field(s): {', '.join(unknown)}")


def _where(where: Any, fields: dict[str, str], text_dates: bool) -> Predicate:
    if where is None:
        return lambda r: True
    predicates = [_condition(c, fields, text_dates) for c in where.get("conditions") or []]
    expression = where.get("expression")
    if not expression:
        return _all([p for _, p in predicates]) if predicates else lambda r: True
    by_alias = dict(predicates)
    if len(by_alias) != len(predicates) or not all(by_alias):
        raise bad_query("every condition needs an alias of its own when 'expression' is given")
    return _ExpressionParser(expression, by_alias).parse()


def _condition(
    cond: dict[str, Any], fields: dict[str, str], text_dates: bool
) -> tuple[Any, Predicate]:
    name, op, alias = cond["name"], cond["operator"], cond.get("alias")
    _known([name], fields)
    if op == "IS_NULL":
        return alias, lambda r: r.get(name) is None
    if op == "IS_NOT_NULL":
        return alias, lambda r: r.get(name) is not None
    dtype, raw, test = fields[name], list(cond["value"]), OPERATORS[op]
    if len(raw) != {"BTW": 2}.get(op, 1) and not (op == "IN" and raw):
        raise bad_query(f"condition on {name}: {op} takes another number of values")
    values = [_coerce(name, dtype, v, text_dates) for v in raw]
    wanted: Any = values if op in ("BTW", "IN") else values[0]
    read = parse_instant if dtype == ISO_DATETIME else None  # ISO text, compared as an instant

    def predicate(r: Record) -> bool:
        x = r.get(name)
        return x is not None and test(x if read is None else read(x), wanted)

    return alias, predicate


_DATE_FORMATS = {
    "DATETIME": ((re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"), "%Y-%m-%d %H:%M:%S"),),
    "DATE": (
        (re.compile(r"\d{2}-\d{2}-\d{4}"), "%m-%d-%Y"),
        (re.compile(r"\d{4}-\d{2}-\d{2}"), "%Y-%m-%d"),
    ),
    ISO_DATETIME: (),  # ``parse_instant`` reads all its forms
}


def _epoch_ms(dtype: str, value: Any, text_dates: bool) -> int | None:
    """A date condition value as epoch ms (strings without offset read as UTC), else None.

    ``text_dates``: a DATE or DATETIME also takes what ``parse_instant`` reads.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if (dtype == ISO_DATETIME or text_dates) and (instant := parse_instant(value)) is not None:
        return instant
    for pattern, fmt in _DATE_FORMATS[dtype]:
        if pattern.fullmatch(value):
            return to_ms(datetime.strptime(value, fmt).replace(tzinfo=timezone.utc))
    return None


def _coerce(name: str, dtype: str, value: Any, text_dates: bool) -> Any:
    """A condition value as the stored type of a ``dtype`` field (see module docstring)."""
    if dtype in _DATE_FORMATS:
        value = _epoch_ms(dtype, value, text_dates)
    elif dtype in NUMBER_TYPES and isinstance(value, str):
        value = float(value)
    elif dtype == "BOOLEAN" and isinstance(value, str):
        value = {"true": True, "false": False}[value.lower()]
    if value is None:
        raise bad_query(f"condition on {name} ({dtype}): a value it cannot read")
    return value


def _all(predicates: list[Predicate]) -> Predicate:
    """One predicate true when each of ``predicates`` is (nested calls: no loop per record)."""
    return functools.reduce(lambda a, b: lambda r: a(r) and b(r), predicates)


class _ExpressionParser:
    """Recursive descent over ``expr := term (OR term)*``, ``term := factor (AND factor)*``,
    ``factor := '(' expr ')' | ALIAS``."""

    def __init__(self, text: str, by_alias: dict[str, Predicate]) -> None:
        self.text = text
        self.by_alias = by_alias
        self.used: set[str] = set()
        self.tokens = re.findall(r"\(|\)|[A-Za-z0-9_]+|\S", text)
        self.pos = 0

    def error(self, why: str) -> CSError:
        return bad_query(f"Invalid expression {self.text!r}: {why}")

    def parse(self) -> Predicate:
        predicate = self.expr()
        if self.pos != len(self.tokens) or self.used != set(self.by_alias):
            raise self.error("a token left over or a condition not used")
        return predicate

    def peek_keyword(self) -> str | None:
        return self.tokens[self.pos].upper() if self.pos < len(self.tokens) else None

    def expr(self) -> Predicate:
        terms = [self.term()]
        while self.peek_keyword() == "OR":
            self.pos += 1
            terms.append(self.term())
        return functools.reduce(lambda a, b: lambda r: a(r) or b(r), terms)

    def term(self) -> Predicate:
        factors = [self.factor()]
        while self.peek_keyword() == "AND":
            self.pos += 1
            factors.append(self.factor())
        return _all(factors)

    def factor(self) -> Predicate:
        if self.pos >= len(self.tokens):
            raise self.error("unexpected end")
        token = self.tokens[self.pos]
        self.pos += 1
        if token == "(":
            inner = self.expr()
            if self.peek_keyword() != ")":
                raise self.error("missing ')'")
            self.pos += 1
            return inner
        if token not in self.by_alias:
            raise self.error(f"unexpected {token!r}")
        self.used.add(token)
        return self.by_alias[token]
