"""Pages read ahead of their turn, held compressed while they wait, within one bound.

A slice of a window, or a later stream's window, is read while earlier pages are still
being emitted, so its pages wait. Decoded, a page of 1,000 events takes about 2 MB; its
body compressed takes about 90 KB (zlib level 1, which releases the interpreter lock
while it works, about 3 ms a page). So a page that will wait is decoded only as far as its
reader needs (`responses.PageOutline`) and kept compressed; it is decoded whole when its
turn comes. A page the tap is waiting for is handed on decoded, as any page.

`PageRoom` bounds the pages held over the whole run. A reader asks for room before each
page, except for the page its emitter waits on (none of its pages is waiting), so the
pages the tap needs next are never held up by pages read further ahead.
"""

from __future__ import annotations

import threading
import typing as t
import zlib

from tap_gainsight.errors import UnexpectedResponseError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

#: Pages that may wait, compressed, over the whole run (about 90 KB each for 1,000 events
#: of the emulator's tenant; JSON compresses at least 3 times, so at most about 45 MB).
HELD_PAGES = 256
#: Compression level for waiting pages: the fastest; the next levels save little more.
COMPRESSION_LEVEL = 1
#: Seconds a reader waiting for room looks again whether its emitter has caught up.
_POLL_SECONDS = 0.05


class PageRoom:
    """Room for `pages` pages held while they wait (thread-safe)."""

    def __init__(self, pages: int = HELD_PAGES) -> None:
        self._free = pages
        self._changed = threading.Condition()

    def take(self, exempt: Callable[[], bool]) -> bool:
        """Wait for room for one page, unless `exempt()` becomes true; True if room was taken."""
        with self._changed:
            while self._free <= 0:
                if exempt():
                    return False
                self._changed.wait(_POLL_SECONDS)
            self._free -= 1
            return True

    def emitted(self, held_room: bool) -> None:
        """One page was handed on; give back its room if it held some."""
        with self._changed:
            if held_room:
                self._free += 1
            self._changed.notify_all()


class PageHolding:
    """How one reader's pages wait: in `room`, compressed unless the tap is waiting for them.

    `taken` is set once the window is its stream's to emit; until then every page waits.
    """

    def __init__(self, room: PageRoom, taken: threading.Event) -> None:
        self.room = room
        self.taken = taken
        self._read = 0  # written by the reader's thread only
        self._emitted = 0  # written by the emitting thread only

    @property
    def waiting(self) -> int:
        """Pages read and not yet handed on."""
        return self._read - self._emitted

    def will_wait(self) -> bool:
        """Tell whether the next page will wait (so it is worth holding compressed)."""
        return self.waiting > 0 or not self.taken.is_set()

    def take_room(self) -> bool:
        """Wait for room for the next page, unless the tap is, or comes to be, waiting for it."""
        return self.room.take(lambda: self.taken.is_set() and self.waiting == 0)

    def decoded(self, records: list[dict], held_room: bool) -> WaitingPage:
        """Wrap a page just read, decoded."""
        self._read += 1
        return WaitingPage(self, lambda: records, held_room)

    def compressed(
        self,
        content: bytes,
        count: int,
        decode: Callable[[bytes], list[dict]],
        held_room: bool,
    ) -> WaitingPage:
        """Wrap a page just read as its compressed body, of `count` records, to decode later."""
        self._read += 1
        packed = zlib.compress(content, COMPRESSION_LEVEL)

        def records() -> list[dict]:
            decoded = decode(zlib.decompress(packed))
            if len(decoded) != count:
                msg = f"a page held compressed decoded to {len(decoded)} records, not {count}"
                raise UnexpectedResponseError(msg)
            return decoded

        return WaitingPage(self, records, held_room)

    def emitted(self, held_room: bool) -> None:
        """Called as one of the reader's pages is handed on."""
        self._emitted += 1
        self.room.emitted(held_room)


class WaitingPage:
    """A page of records on its way to the emitter, decoded or compressed."""

    __slots__ = ("_held_room", "_holding", "_records")

    def __init__(
        self, holding: PageHolding, records: Callable[[], list[dict]], held_room: bool
    ) -> None:
        self._holding = holding
        self._records: Callable[[], list[dict]] | None = records
        self._held_room = held_room

    def __iter__(self) -> Iterator[dict]:
        """The page's records (decoded now if it was held compressed); iterate it once."""
        if self._records is None:
            msg = "a waiting page was handed on twice"
            raise UnexpectedResponseError(msg)
        records, self._records = self._records(), None
        self._holding.emitted(self._held_room)
        return iter(records)
