"""Where the API answered otherwise than docs/api.md says: said once, listed at the end.

Those facts were never checked against a live tenant: wherever the tap carries on past a
departure, one `API departure:` WARNING says so, for a user to paste into an issue.
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
        """Log a departure once per run: where (an endpoint, `stream.field`), what, what follows."""
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
