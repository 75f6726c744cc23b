"""Which fields a CS query may select: describe lists them, yet a query may refuse one.

A query that names a field the API will not read answers 400 for the whole object
(docs/api.md, "CS: query, paging and order"). Such a field is left out of that object's
select for the run and everything else is read. The error usually names it; where it does
not, the field is found by asking with half the fields at a time.
"""

from __future__ import annotations

import re
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def named_fields(message: str, fields: Sequence[str]) -> list[str]:
    """The fields an error message names, as whole words (none if it names none)."""
    return [
        field
        for field in fields
        if re.search(rf"(?<![\w.]){re.escape(field)}(?![\w])", message) is not None
    ]


def refused_field(fields: Sequence[str], refuses: Callable[[list[str]], bool]) -> str | None:
    """The one field of `fields` whose selection the API refuses, found by halving.

    `refuses(subset)` asks the API with that subset selected (besides the key). None if
    the API takes all of them: then the select is not what it refused.
    """
    candidates = list(fields)
    if not candidates or not refuses(candidates):
        return None
    while len(candidates) > 1:
        half = candidates[: len(candidates) // 2]
        candidates = half if refuses(half) else candidates[len(half) :]
    return candidates[0]
