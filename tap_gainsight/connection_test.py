"""`--test`: whether the key is accepted, and which selected streams it can read.

Per product, the core endpoint first (PX `accounts`, CS `Company`): a key refused there or a
host not reached fails the test in one line (exit 1). Then each selected stream (every
stream without a catalog) is sent the first request a sync would send it, for one record,
paced and not retried, and said readable or not, and why, in one line. A stream that is not
readable (a module the tenant lacks, say) does not fail the test: a closing line lists
them, so that set-up finds out, not the first nightly run.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from tap_gainsight.errors import EXPLAINED_FAILURES, explain, public_url
from tap_gainsight.px.entities import PageNumberStream, RicherFormMissing, UserPreferencesStream
from tap_gainsight.px.history import ScrollStream, ScrollToken

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    from singer_sdk.singerlib import Catalog

    from tap_gainsight.client import GainsightStream
    from tap_gainsight.run import CoreCheck


def first_token(stream: GainsightStream) -> t.Any:
    """The token of the first page a sync of `stream` asks for.

    A scroll opens without a cursor (an event stream at its first window); any other
    stream's first token is its paginator's start value (None without a paginator).
    """
    if isinstance(stream, ScrollStream):
        return ScrollToken()
    paginator = stream.get_new_paginator()
    return None if paginator is None else paginator.current_value


def not_readable(stream: GainsightStream) -> str | None:
    """Send `stream`'s first request, for one record; None if readable, else why not.

    A richer form the tenant lacks (404) is followed by the plain endpoint, as in a sync.
    Why not is where (the URL, without its query) and the failure's one line: a refused
    key or endpoint, a host not reached...
    """
    context = stream.partitions[0] if stream.partitions else None
    request = stream.first_request(context, first_token(stream))
    try:
        try:
            stream.probe(request, context)
        except RicherFormMissing:
            if not isinstance(stream, PageNumberStream):
                raise
            stream.richer_path = None  # the plain endpoint, as a sync reads it then
            request = stream.first_request(context, first_token(stream))
            stream.probe(request, context)
    except EXPLAINED_FAILURES as failure:
        return f"at {public_url(request.url)}: {explain(failure)}"
    return None


@dataclass
class Product:
    """One product: its key, its core stream and its streams, each made when asked for."""

    key: str
    core: Callable[[], GainsightStream]
    streams: Callable[[], list[GainsightStream]]


@dataclass
class ConnectionTest:
    """The test of one tap's settings; `run` logs it and says whether it passed."""

    logger: logging.Logger
    #: The run's record of which keys read their core endpoint.
    core_check: CoreCheck
    #: The catalog given, if any: only the streams it selects are tested.
    catalog: Catalog | None
    products: list[Product]
    #: The selected streams tested, and those not readable, with why.
    tested: int = 0
    unreadable: dict[str, str] = field(default_factory=dict)

    def run(self) -> bool:
        """Test each configured product; True unless a core endpoint could not be read.

        That is a refused key or a host not reached (or an error answer there): then the
        product's other streams are not tested.
        """
        passed = True
        for product in self.products:
            core = product.core()
            failure = core_failure(core)
            if failure is not None:
                self.logger.error("Connection test failed: %s.", failure)
                passed = False
                continue
            self.core_check.accepted(core.core_name)
            self.logger.info(
                "Connection test passed: the %s is accepted at %s.", product.key, core.where()
            )
            for stream in product.streams():
                if self.selected(stream):
                    self.test_stream(stream, core)
        if passed:
            self.conclude()
        return passed

    def selected(self, stream: GainsightStream) -> bool:
        """Whether the catalog selects `stream` (every stream is, without a catalog)."""
        catalog = self.catalog
        if catalog is None:
            return True
        if catalog.get_stream(stream.tap_stream_id) is None:
            return False  # as in a sync: a stream the catalog does not list is not read
        stream.apply_catalog(catalog)
        return stream.selected

    def test_stream(self, stream: GainsightStream, core: GainsightStream) -> None:
        """Say whether one selected stream is readable (the core's answer stands for itself)."""
        logger, name = self.logger, stream.name
        if isinstance(stream, UserPreferencesStream):
            logger.info(
                "Connection test: %s is not probed: each of its requests is for one user's "
                "preferences (by identifyId).",
                name,
            )
            return
        why = None if name == core.name else not_readable(stream)
        self.tested += 1
        if why is None:
            logger.info("Connection test: %s is readable.", name)
        else:
            self.unreadable[name] = why
            logger.warning("Connection test: %s is not readable %s.", name, why)

    def conclude(self) -> None:
        """The closing line: every selected stream readable, or which are not."""
        tested = self.tested
        if tested and not self.unreadable:
            self.logger.info("Connection test passed: %s readable.", _selected_streams(tested))
        elif self.unreadable:
            self.logger.warning(
                "Connection test passed, but %d of %s not readable with these settings: %s. "
                "Deselect them, or have the tenant and the key given access to them.",
                len(self.unreadable),
                _selected_streams(tested),
                ", ".join(self.unreadable),
            )


def core_failure(core: GainsightStream) -> str | None:
    """Why the product's core endpoint cannot be read with these settings, or None.

    The failure's own line names the URL where it needs to (a host not reached) and the
    settings to check.
    """
    try:
        core.probe(core.core_request())
    except EXPLAINED_FAILURES as failure:
        return explain(failure)
    return None


def _selected_streams(count: int) -> str:
    """`count` streams and their verb: `1 selected stream is`, `22 selected streams are`."""
    return "1 selected stream is" if count == 1 else f"{count} selected streams are"
