"""The tap-gainsight Singer tap: settings and stream discovery."""

from __future__ import annotations

import gc
import os
import typing as t
from functools import cached_property

import click
from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers._classproperty import classproperty
from singer_sdk.plugin_base import PluginBase
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_gainsight.client import GainsightStream
from tap_gainsight.cs import client as cs_client
from tap_gainsight.cs.deletes import DeletedRecordsStream
from tap_gainsight.cs.objects import discover_cs_streams
from tap_gainsight.cs.objects import probe_stream as cs_probe_stream
from tap_gainsight.departures import Departures
from tap_gainsight.errors import EXPLAINED_FAILURES, explain, failures_in_one_line
from tap_gainsight.inputs import checked_catalog, checked_state
from tap_gainsight.logs import quiet_internals, show_metrics
from tap_gainsight.output import SingerOutput
from tap_gainsight.progress import SyncTotals
from tap_gainsight.px.entities import (
    PX_ADMIN_ENDPOINTS,
    PX_ENTITY_ENDPOINTS,
    UserPreferencesStream,
)
from tap_gainsight.px.entities import probe_stream as px_probe_stream
from tap_gainsight.px.events import (
    PX_EVENT_ENDPOINTS,
    PX_MONITORING_ENDPOINTS,
    EventStream,
    WindowStart,
)
from tap_gainsight.px.read_ahead import ReadAhead
from tap_gainsight.px.request_slots import FastestAnswer, RequestSlots
from tap_gainsight.px.slice_allowance import SliceAllowance
from tap_gainsight.px.waiting_pages import PageRoom
from tap_gainsight.rate_limit import RequestLimiter
from tap_gainsight.retries import FirstContact
from tap_gainsight.settings import (
    CONFIG_SCHEMA,
    DEFAULT_CS_REQUESTS_PER_MINUTE,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_REQUESTS_PER_DAY,
    DEFAULT_MAX_REQUESTS_PER_SECOND,
    env_setting_errors,
    has_cs_credentials,
    has_px_credentials,
    semantic_errors,
)

if t.TYPE_CHECKING:
    from singer_sdk import Stream

# Before the SDK's first line: its internals, and METRIC lines, are DEBUG lines (`logs.py`).
quiet_internals()
show_metrics(False)


class TapGainsight(Tap):
    """Singer tap for Gainsight PX and Gainsight CS, either or both."""

    name = "tap-gainsight"
    package_name = "tap-gainsight"
    config_jsonschema = CONFIG_SCHEMA
    #: The users' and accounts' schemas depend on the tenant's attribute models.
    dynamic_catalog = True
    message_writer_class = SingerOutput

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # The first hook that sees the config, before any request (discovery's included).
        show_metrics(bool(self.config.get("log_metrics")))
        # JSON Schema first (types, required, allowed values), then what it cannot express.
        errors = super()._validate_config(raise_errors=raise_errors)
        if not errors:
            errors = semantic_errors(self.config)
            if errors and raise_errors:
                raise ConfigValidationError(
                    "Config validation failed", errors=errors, schema=self.config_jsonschema
                )
        return errors

    @classproperty
    def _env_var_config(cls) -> dict[str, t.Any]:
        """The settings given as environment variables (`--config ENV`).

        The SDK's parser raises a bare `ValueError` on a non-integer value of an integer
        setting; that is said here as the setting's one line.
        """
        try:
            return t.cast("dict[str, t.Any]", vars(PluginBase)["_env_var_config"].fget(cls))
        except ValueError as error:
            errors = env_setting_errors(cls.config_jsonschema, cls._env_var_prefix, os.environ)
            raise ConfigValidationError(
                "Config validation failed",
                errors=errors or [str(error)],
                schema=cls.config_jsonschema,
            ) from None

    @classmethod
    @override
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: t.Any = None,
        state: t.IO[str] | None = None,
        catalog: t.IO[str] | None = None,
    ) -> None:
        """Sync, after checking the state and catalog given.

        A bad state or catalog is said before any request; a bad setting, a refused key or a
        host never reached end the run in one line, without a traceback.
        """
        with failures_in_one_line(cls.logger, "Sync"):
            if not about:
                state = checked_state(state)
                catalog = checked_catalog(catalog, cls.logger)
            super().invoke(
                about=about, about_format=about_format, config=config, state=state, catalog=catalog
            )

    @classmethod
    @override
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """`--discover`: a refused key or a host never reached fail it, in one line."""
        with failures_in_one_line(cls.logger, "Discovery"):
            super().cb_discover(ctx, param, value)

    @cached_property
    def first_contact(self) -> FirstContact:
        """The hosts that have answered in this run (one never reached is not retried long)."""
        return FirstContact()

    @cached_property
    def request_limiter(self) -> RequestLimiter:
        """The pace and budget every request of this process goes through."""
        return RequestLimiter(
            self.config.get("max_requests_per_second", DEFAULT_MAX_REQUESTS_PER_SECOND),
            per_run=self.config.get("max_requests_per_day", DEFAULT_MAX_REQUESTS_PER_DAY),
        )

    @cached_property
    def cs_request_limiter(self) -> RequestLimiter:
        """The pace every Gainsight CS request of this process goes through.

        No per-run budget: at the default pace a run cannot reach the API's 50,000 calls a
        day in less than a day.
        """
        # Paced over a window 2 % longer than the API's: the API counts arrivals, the
        # limiter sends, and a request delayed on the way (a few ms) would otherwise land in
        # the same window as one sent a full window after it.
        return RequestLimiter(
            self.config.get("cs_requests_per_minute", DEFAULT_CS_REQUESTS_PER_MINUTE),
            window_ms=cs_client.CS_RATE_WINDOW_MS * 51 // 50,
        )

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: one cheap request per configured product, saying where it was sent.

        `--test=schema` keeps the SDK's meaning (write the schemas, send nothing).
        """
        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        config = ctx.params.get("config")
        with failures_in_one_line(cls.logger, "Connection test"):
            tap = cls(
                config=config.config if config else None,
                parse_env_config=bool(config and config.parse_env),
                validate_config=True,
                setup_mapper=False,  # no catalog, so no schema, so no attribute-model requests
            )
        probes: list[tuple[str, GainsightStream]] = []
        if has_px_credentials(tap.config):
            probes.append(("API key", px_probe_stream(tap)))
        if has_cs_credentials(tap.config):
            probes.append(("CS access key", cs_probe_stream(tap)))
        failed = False
        for key, stream in probes:
            try:
                stream.probe()
            except EXPLAINED_FAILURES as failure:
                tap.logger.error("Connection test failed: %s", explain(failure))
                failed = True
            else:
                tap.logger.info(
                    "Connection test passed: the %s is accepted at %s.", key, stream.where()
                )
        ctx.exit(1 if failed else 0)

    @cached_property
    def in_flight(self) -> RequestSlots:
        """Held by every PX scroll request: at most `max_concurrency` at once, by priority."""
        return RequestSlots(self.config.get("max_concurrency", DEFAULT_MAX_CONCURRENCY))

    @cached_property
    def first_window_sizes(self) -> dict[int, int]:
        """Events in each event stream's first window (by sync order), as its opening says."""
        return {}

    @cached_property
    def fastest_answer(self) -> FastestAnswer:
        """The API's latency as the openings of the event windows show it."""
        return FastestAnswer()

    @cached_property
    def read_ahead(self) -> ReadAhead[WindowStart]:
        """The event streams' first windows read ahead of their turn (`px/read_ahead.py`)."""
        return ReadAhead()

    @cached_property
    def held_pages(self) -> PageRoom:
        """The room for pages read ahead and waiting, over the whole run."""
        return PageRoom()

    @cached_property
    def slice_allowance(self) -> SliceAllowance:
        """Extra requests the run's sliced windows may cost: one per selected event type."""
        return SliceAllowance(
            sum(1 for s in self.streams.values() if isinstance(s, EventStream) and s.selected)
        )

    @cached_property
    def departures(self) -> Departures:
        """Where the API differed from docs/api.md this run: logged once each, then listed."""
        return Departures(self.logger)

    @cached_property
    def sync_totals(self) -> SyncTotals:
        """Totals of this sync, logged once its last selected stream is done."""
        return SyncTotals(
            self.logger,
            sum(1 for s in self.streams.values() if s.selected),
            self.departures,
        )

    def sync_started(self) -> None:
        """Called as each stream starts reading; acts once, when the first one does.

        The run's clock starts. What exists by then (the SDK, the schemas, the catalog: a
        few hundred thousand objects) lives until the sync ends; frozen, it is left out of
        the collector's full passes, which otherwise walk all of it again while pages of
        records are allocated (docs/benchmarks.md). `Tap.sync_all`, the natural place, is
        final in the SDK.
        """
        if self._sync_started:
            return
        self._sync_started = True
        _ = self.sync_totals
        gc.freeze()

    _sync_started = False

    @override
    def discover_streams(self) -> list[Stream]:
        """The streams of each product the config has credentials for."""
        streams: list[Stream] = []
        if has_px_credentials(self.config):
            for endpoints in (
                PX_ENTITY_ENDPOINTS,
                PX_EVENT_ENDPOINTS,
                PX_ADMIN_ENDPOINTS,
                PX_MONITORING_ENDPOINTS,
            ):
                streams += [endpoint.build(self) for endpoint in endpoints]
            if self.config.get("read_user_preferences"):
                streams.append(UserPreferencesStream(self))
        if has_cs_credentials(self.config):
            streams += [*discover_cs_streams(self), DeletedRecordsStream(self)]
        return streams


if __name__ == "__main__":
    TapGainsight.cli()
