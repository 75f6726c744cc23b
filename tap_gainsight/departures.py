"""Where the API answered otherwise than the tap expected: said once, listed at the end.

The API facts the tap relies on were never checked against a live tenant (docs/api.md).
Wherever the API departs from them and the tap carries on (a sort ignored, a filter refused
or ignored, a value of another type, records under another key, no `totalHits`, an expired
scroll, a body of another shape), it says so here: one WARNING per departure and run, every
line starting with `API departure:`, and the list again when the sync ends. A user who sees
one pastes those lines into an issue, and the maintainers learn what the real API does.
"""

from __future__ import annotations

import threading
import typing as t

if t.TYPE_CHECKING:
    import logging

#: The start of every departure line: what a user greps for.
PREFIX = "API departure:"


class Departures:
    """The departures of one run, each logged the first time it is seen."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._lock = threading.Lock()
        #: `where: what`, in the order first seen.
        self.seen: dict[tuple[str, str], str] = {}

    def note(self, where: str, what: str, consequence: str) -> None:
        """Log a departure once per run: where it was seen, what the API did, what follows.

        `where` is an endpoint or `stream.field`; `what` names the kind of departure
        (same kind at the same place: logged once).
        """
        with self._lock:
            if (where, what) in self.seen:
                return
            self.seen[(where, what)] = consequence
        self._logger.warning("%s %s: %s; %s.", PREFIX, where, what, consequence.rstrip("."))

    def report(self) -> None:
        """Log the run's departures in one line (nothing if the API behaved as expected)."""
        if not self.seen:
            return
        listed = "; ".join(f"{where}: {what}" for where, what in self.seen)
        count = len(self.seen)
        self._logger.warning(
            "%s %d departure%s from the documented API this run (each logged above; "
            "please report them, see docs/api.md): %s.",
            PREFIX,
            count,
            "" if count == 1 else "s",
            listed,
        )
