"""The tap-gainsight Singer tap: settings and stream discovery."""

from __future__ import annotations

import functools
import json
import os
import typing as t

import click
from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers._classproperty import classproperty
from singer_sdk.plugin_base import PluginBase
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_gainsight.connection_test import ConnectionTest, Product
from tap_gainsight.cs.deletes import DeletedRecordsStream
from tap_gainsight.cs.objects import discover_cs_streams
from tap_gainsight.cs.objects import probe_stream as cs_core_stream
from tap_gainsight.departures import Departures
from tap_gainsight.errors import failures_in_one_line
from tap_gainsight.inputs import checked_catalog, checked_state
from tap_gainsight.logs import quiet_internals, show_metrics
from tap_gainsight.output import SingerOutput
from tap_gainsight.px.entities import (
    PX_ADMIN_ENDPOINTS,
    PX_ENTITY_ENDPOINTS,
    UserPreferencesStream,
)
from tap_gainsight.px.entities import probe_stream as px_core_stream
from tap_gainsight.px.events import PX_EVENT_ENDPOINTS, PX_MONITORING_ENDPOINTS
from tap_gainsight.px.history import EventReader
from tap_gainsight.run import Run
from tap_gainsight.settings import (
    CONFIG_SCHEMA,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_READ_AHEAD_MB,
    env_setting_errors,
    has_cs_credentials,
    has_px_credentials,
    semantic_errors,
    unknown_settings,
)

if t.TYPE_CHECKING:
    from singer_sdk import Stream

    from tap_gainsight.client import GainsightStream
    from tap_gainsight.px.entities import EntityEndpoint
    from tap_gainsight.px.events import EventEndpoint

#: `--help`'s line for `--test` (the SDK's says it syncs a record per stream).
TEST_HELP = (
    "Use --test to check the settings: whether each product's key is accepted, and which "
    "selected streams it can read (every stream without --catalog), with one request each "
    "for one record; nothing is synced. Use --test=schema to write the schemas without "
    "syncing records."
)


def invalid_config(errors: list[str]) -> ConfigValidationError:
    """The failure of bad settings: each error is said as one line (`errors.py`)."""
    return ConfigValidationError("Config validation failed", errors=errors, schema=CONFIG_SCHEMA)


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

    #: The unknown settings already warned of in this process: discovery and a sync in one
    #: process, or `--test`'s taps, each check the config.
    _unknown_said: t.ClassVar[set[str]] = set()

    @override
    def __init__(
        self, *, validate_config: bool = True, setup_mapper: bool = True, **kwargs: t.Any
    ) -> None:
        """The tap, its settings checked before any request is sent.

        The SDK's `Tap.__init__` sets up the mapper, whose catalog is discovery (requests to
        CS and PX): it is set up here once the settings pass (docs/singer-sdk.md, "Settings,
        discovery and `--test`"). `validate_config=False` skips the checks, as the SDK's.
        """
        super().__init__(validate_config=validate_config, setup_mapper=False, **kwargs)
        show_metrics(bool(self.config.get("log_metrics")))
        # JSON Schema lets unknown keys pass: a misspelt setting would be ignored without a
        # word. The SDK's own settings are known: its validation has appended them.
        known = self.config_jsonschema["properties"]
        for key, line in unknown_settings(self.config, known).items():
            if key not in self._unknown_said:
                self._unknown_said.add(key)
                self.logger.warning("%s", line)
        errors = semantic_errors(self.config) if validate_config else []
        if errors:
            raise invalid_config(errors)
        if setup_mapper:
            self.setup_mapper()

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
            raise invalid_config(errors or [str(error)]) from None

    @classmethod
    @override
    def invoke(
        cls,
        *,
        about: bool = False,
        state: t.IO[str] | None = None,
        catalog: t.IO[str] | None = None,
        **options: t.Any,
    ) -> None:
        """Sync, after checking the state and catalog given.

        A bad state or catalog is said before any request; a bad setting, a refused key or a
        host never reached end the run in one line, without a traceback.
        """
        with failures_in_one_line(cls.logger, "Sync"):
            if not about:
                state = checked_state(state, cls.logger)
                catalog = checked_catalog(catalog, cls.logger)
            super().invoke(about=about, state=state, catalog=catalog, **options)

    @classmethod
    @override
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """`--discover`: a refused key or a host never reached fail it, in one line."""
        with failures_in_one_line(cls.logger, "Discovery"):
            super().cb_discover(ctx, param, value)

    @functools.cached_property
    def run(self) -> Run:
        """What every stream of this run shares; each stream is given it when made."""
        config = self.config
        events = EventReader(
            int(config.get("max_concurrency", DEFAULT_MAX_CONCURRENCY)),
            int(config.get("max_read_ahead_mb", DEFAULT_MAX_READ_AHEAD_MB)),
        )
        return Run.from_config(config, self.logger, Departures(self.logger), events)

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: whether the key is accepted, and which selected streams it can read.

        One request per product's core endpoint, then one per selected stream (every stream
        without a catalog): `connection_test.py`. Exit 1 only if a key is refused or a host
        not reached. `--test=schema` keeps the SDK's meaning (write the schemas, send
        nothing); a bad setting fails it in one line too.
        """
        if value != CliTestOptionValue.All.value:
            with failures_in_one_line(cls.logger, "Writing the schemas"):
                super().cb_test(ctx, param, value)
            return
        config = ctx.params.get("config")
        with failures_in_one_line(cls.logger, "Connection test"):
            catalog = checked_catalog(ctx.params.get("catalog"), cls.logger)
            tap = cls(
                config=config.config if config else None,
                catalog=json.loads(catalog.read()) if catalog else None,
                parse_env_config=bool(config and config.parse_env),
                validate_config=True,
                setup_mapper=False,  # no schema: no attribute-model requests
            )
            passed = ConnectionTest(
                tap.logger, tap.run.core_check, tap.input_catalog, tap.products()
            ).run()
        ctx.exit(0 if passed else 1)

    @classmethod
    @override
    def get_singer_command(cls) -> click.Command:
        """The SDK's command, with `--test` said as the tap does it, after `--catalog`.

        The SDK's help of `--test` says it syncs a record per stream, which the tap does not.
        `--catalog` is made eager so that `--test` sees it whichever comes first on the
        command line (click handles the others in the order given).
        """
        command = super().get_singer_command()
        for option in command.params:
            if option.name == "test":
                t.cast("click.Option", option).help = TEST_HELP
            elif option.name == "catalog":
                option.is_eager = True
        return command

    @override
    def discover_streams(self) -> list[Stream]:
        """The streams of each product the config has credentials for."""
        return [stream for product in self.products() for stream in product.streams()]

    def products(self) -> list[Product]:
        """Each product the settings have credentials for, PX first (what `--test` tests)."""
        return [
            Product(key, functools.partial(core_stream, self), streams)
            for has_credentials, key, core_stream, streams in (
                (has_px_credentials, "API key", px_core_stream, self.px_streams),
                (has_cs_credentials, "CS access key", cs_core_stream, self.cs_streams),
            )
            if has_credentials(self.config)
        ]

    def px_streams(self) -> list[GainsightStream]:
        """The Gainsight PX streams (no request is sent to make them)."""
        endpoints: tuple[EntityEndpoint | EventEndpoint, ...] = (
            *PX_ENTITY_ENDPOINTS,
            *PX_EVENT_ENDPOINTS,
            *PX_ADMIN_ENDPOINTS,
            *PX_MONITORING_ENDPOINTS,
        )
        streams: list[GainsightStream] = [endpoint.build(self) for endpoint in endpoints]
        if self.config.get("read_user_preferences"):
            streams.append(UserPreferencesStream(self))
        return streams

    def cs_streams(self) -> list[GainsightStream]:
        """The Gainsight CS streams: the tenant's objects (asked of the API) and the delete log."""
        return [*discover_cs_streams(self), DeletedRecordsStream(self)]


if __name__ == "__main__":
    TapGainsight.cli()
