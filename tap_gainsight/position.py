"""Where a read stands: the last place handed on, and the keys handed on at exactly it.

Every incremental read asks for ascending order of its replication key (docs/api.md). While
that order holds, a record at or below the last place is one a reopened read sends again, and
is dropped. A place that goes backwards means the API ignored the order: `on_disorder` is
called once, every key handed on from then is remembered, and a read that fails is reopened
from its floor, not from the last place (the bookmark falls back too: `order_guard.py`).
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Callable

_MISSING = object()


class Position:
    """What a read has handed on, page by page (module docstring).

    `place_of` gives a record's place (default: `value_field` if an int, epoch ms); a record
    without one passes untracked. `floor_ms` is the lowest place asked for: records below it
    are dropped (an ignored filter sent them), and a read out of order reopens there.
    `remember_all` keeps every key handed on, in order too, with its place: a record sent
    again at the same place is dropped, one sent at a new place (changed since) is not.
    """

    def __init__(
        self,
        value_field: str,
        key_of: Callable[[dict], t.Hashable],
        *,
        floor_ms: int | None = None,
        on_disorder: Callable[[t.Any, t.Any], None] | None = None,
        place_of: Callable[[dict], t.Any] | None = None,
        remember_all: bool = False,
    ) -> None:
        self._key_of = key_of
        self._place_of = place_of or (
            lambda record: value if type(value := record.get(value_field)) is int else None
        )
        self._on_disorder = on_disorder
        self._floor = floor_ms
        self._remember_all = remember_all
        #: The largest place handed on.
        self.place: t.Any = None
        #: key -> place: the keys at `place` only, unless `remember_all` or out of order.
        self._seen: dict[t.Hashable, t.Any] = {}
        self.in_order = True
        #: The lowest place the last page sent below the floor (None: none).
        self.lowest_below: t.Any = None

    def reopen_from(self) -> int | None:
        """Where a read that failed part-way is opened again."""
        return self.place if self.in_order else self._floor

    def follows(self, records: list[dict]) -> bool:
        """Whether each record comes strictly after the one before it, the first after `place`."""
        last = self.place
        for place in map(self._place_of, records):
            if place is None or (last is not None and place <= last):
                return False
            last = place
        return True

    def admit(self, records: list[dict]) -> list[dict]:
        """Return the records of a page not handed on before, and note them as handed on."""
        self.lowest_below = None
        key_of, floor, seen, last = self._key_of, self._floor, self._seen, self.place
        admitted: list[dict] = []
        for record in records:
            key, place = key_of(record), self._place_of(record)
            if place is None:
                if self._remember_all:
                    if seen.get(key, _MISSING) is None:
                        continue
                    seen[key] = None
                admitted.append(record)
                continue
            if floor is not None and place < floor:
                below = self.lowest_below
                self.lowest_below = place if below is None else min(place, below)
                continue
            if seen.get(key, _MISSING) == place:
                continue  # handed on already
            if self.in_order and last is not None and place < last:
                self.in_order = False
                if self._on_disorder is not None:
                    self._on_disorder(place, last)
            if self.in_order and not self._remember_all and (last is None or place > last):
                seen = {}
            seen[key] = place
            if last is None or place > last:
                last = place
            admitted.append(record)
        self._seen, self.place = seen, last
        return admitted
