"""What the streams of one run share: limiters, the event reader, departures, totals.

The tap builds one `Run` and hands it to every stream it makes (`GainsightStream.run`).
"""

from __future__ import annotations

import threading
import time
import typing as t
from dataclasses import dataclass, field

from singer_sdk.exceptions import FatalAPIError

from tap_gainsight.departures import Departures
from tap_gainsight.progress import StreamProgress, log_sync_summary
from tap_gainsight.rate_limit import QuotaLimiter, RequestLimiter
from tap_gainsight.retries import FirstContact
from tap_gainsight.settings import (
    DEFAULT_CS_REQUESTS_PER_MINUTE,
    DEFAULT_MAX_REQUESTS_PER_DAY,
    DEFAULT_MAX_REQUESTS_PER_SECOND,
)

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterator, Mapping, Sequence

#: The window the CS API counts a tenant's calls in (docs/api.md, "CS: transport and limits").
CS_WINDOW_SECONDS = 60.0


class EventHistory(t.Protocol):
    """The PX event history every event stream reads ahead (`px.history.EventReader`)."""

    def plan(self, streams: Sequence[t.Any]) -> None:
        """Note the event streams still to come, to read their first windows ahead."""

    def pages_of(self, stream: t.Any) -> Iterator[tuple[t.Any, list[dict]]]:
        """The stream's pages, in order, with the scroll each belongs to."""


class CoreCheck:
    """Whether each product's key reads its core endpoint: asked once a run, when needed.

    A refusal elsewhere means the key is wrong only if the core endpoint refuses it too
    (docs/api.md, "PX and CS: refusals").
    """

    def __init__(self) -> None:
        self._answers: dict[str, bool] = {}
        self._lock = threading.Lock()

    def key_reads(self, product: str, ask: Callable[[], object]) -> bool:
        """Whether the key reads `product`'s core endpoint; `ask` sends that one request.

        Raises:
            Exception: Whatever `ask` raises other than a refusal: the answer is unknown.
        """
        with self._lock:
            if product not in self._answers:
                try:
                    ask()
                    self._answers[product] = True
                except FatalAPIError:  # the key refused, or the address unknown
                    self._answers[product] = False
            return self._answers[product]

    def accepted(self, product: str) -> None:
        """Note that the key read the core endpoint, asked elsewhere (by `--test`)."""
        with self._lock:
            self._answers[product] = True


@dataclass
class Run:
    """The objects every stream of one run shares (each is thread-safe where it must be)."""

    logger: logging.Logger
    #: The pace and budget of every PX request of the process.
    px_limiter: RequestLimiter
    #: The pace of every CS request (no budget: at the default pace a run cannot reach the
    #: API's 50,000 calls a day in less than a day).
    cs_limiter: RequestLimiter
    #: The PX event history, built by the tap (`px/history.py`).
    events: EventHistory
    #: Where the API differed from docs/api.md this run: logged once each, then listed.
    departures: Departures
    #: The hosts that have answered in this run (one never reached is not retried long).
    first_contact: FirstContact = field(default_factory=FirstContact)
    #: Whether each product's key reads its core endpoint (asked on a first refusal).
    core_check: CoreCheck = field(default_factory=CoreCheck)
    #: When the first stream of the sync began reading (monotonic), and how many are selected.
    sync_began: float | None = None
    selected_streams: int = 0
    #: The streams of the sync done so far.
    done: list[StreamProgress] = field(default_factory=list)
    #: Streams skipped this run because their endpoint refused the request: name, why.
    skipped: dict[str, str] = field(default_factory=dict)
    #: The largest page the API takes, where it refused a larger one: by endpoint group.
    page_sizes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, t.Any],
        logger: logging.Logger,
        departures: Departures,
        events: EventHistory,
    ) -> Run:
        """The run's shared objects, as the settings shape them."""
        return cls(
            logger=logger,
            px_limiter=RequestLimiter(
                config.get("max_requests_per_second", DEFAULT_MAX_REQUESTS_PER_SECOND),
                per_run=config.get("max_requests_per_day", DEFAULT_MAX_REQUESTS_PER_DAY),
            ),
            cs_limiter=QuotaLimiter(
                config.get("cs_requests_per_minute", DEFAULT_CS_REQUESTS_PER_MINUTE),
                CS_WINDOW_SECONDS,
            ),
            events=events,
            departures=departures,
        )

    def sync_started(self, selected_streams: int) -> None:
        """Called as each stream starts reading: the first starts the sync's clock.

        (`Tap.sync_all`, the natural place, is final in the SDK.)
        """
        if self.sync_began is None:
            self.sync_began, self.selected_streams = time.monotonic(), selected_streams

    def stream_done(self, progress: StreamProgress) -> None:
        """Count a finished stream; after the last, the sync's summary and its departures."""
        self.done.append(progress)
        if self.sync_began is not None and len(self.done) == self.selected_streams:
            seconds = time.monotonic() - self.sync_began
            log_sync_summary(self.logger, self.done, seconds, self.skipped)
            self.departures.report()
