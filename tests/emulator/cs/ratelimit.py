"""The CS API's request quota: ``per_minute`` requests in any ``WINDOW_SECONDS``.

The real limit is 100 calls per minute (and 50,000 per day, not emulated) in fixed windows
(docs/api.md, "CS: transport and limits"); the emulator's window slides
(``faults.SlidingWindow``). A refused request is answered 429 with ``Retry-After`` the seconds
until a slot frees; its body (``GS_APIG_429``) is the emulator's invention (``errors``).
"""

from __future__ import annotations

from tests.emulator.faults import SlidingWindow

WINDOW_SECONDS = 60.0


class RateLimiter:
    """The quota; ``per_minute=None`` disables it. ``per_minute`` is mutable at runtime."""

    def __init__(self, per_minute: int | None) -> None:
        self.per_minute = per_minute
        self._window = SlidingWindow()

    @property
    def refused(self) -> int:
        """Requests refused so far."""
        return self._window.refused

    def acquire(self) -> int | None:
        """Take a slot: None if the request may proceed, else the seconds to wait (>= 1)."""
        return self._window.wait(self.per_minute, WINDOW_SECONDS)

    def reset(self) -> None:
        """Forget served requests and zero ``refused``."""
        self._window.clear()
