"""The tap's settings: their schema, defaults and the checks JSON Schema cannot express."""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import typing as t
from urllib.parse import urlsplit

from singer_sdk import typing as th

from tap_gainsight.timestamps import parse_setting_datetime

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

#: Documented PX REST API base URLs per data centre.
PX_REGION_URLS: dict[str, str] = {
    "us": "https://api.aptrinsic.com/v1",
    "eu": "https://api-eu.aptrinsic.com/v1",
    "us2": "https://api-us2.aptrinsic.com/v1",
}
DEFAULT_REGION = "us"
DEFAULT_PAGE_SIZE = 1000
#: The API answers 400 to an event request whose date range exceeds this
#: (docs/api.md, "PX: event windows").
MAX_WINDOW_DAYS = 190
#: How far a range asked for reaches past each edge of its window. Asked so, the answer
#: holds the window whether the API takes an edge as inclusive or exclusive; the records
#: dated outside the window are left out (docs/api.md, "PX: event windows").
EDGE_MARGIN_MS = 1
#: Event history read when neither state nor `start_date` says otherwise: the longest
#: window the API takes, its margins included, so one scroll per event type.
DEFAULT_HISTORY = dt.timedelta(days=MAX_WINDOW_DAYS, milliseconds=-2 * EDGE_MARGIN_MS)
#: The largest window the API accepts: the fewest requests.
DEFAULT_EVENT_WINDOW_DAYS = 190
#: Events can reach PX after their `date`; each run re-reads this much before its bookmark.
DEFAULT_LOOKBACK_MINUTES = 60
#: A tenth of the API's ~200 requests/s, which the subscription's other integrations share.
DEFAULT_MAX_REQUESTS_PER_SECOND = 20
#: Event windows read at once: enough to hide a round trip behind the records being emitted.
DEFAULT_MAX_CONCURRENCY = 4
MAX_CONCURRENCY = 16
#: Megabytes of event pages read ahead and waiting for their turn, held compressed.
DEFAULT_MAX_READ_AHEAD_MB = 64
#: A fifth of the API's ~1,000,000 requests/day.
DEFAULT_MAX_REQUESTS_PER_DAY = 200_000
DEFAULT_REQUEST_TIMEOUT_SECONDS = 60
DEFAULT_RETRY_MAX_TRIES = 8
DEFAULT_RETRY_MAX_WAIT_SECONDS = 600
#: Under a third of the CS Data API's 100 calls/min, which every integration of the tenant
#: shares (docs/api.md, "CS: transport and limits").
DEFAULT_CS_REQUESTS_PER_MINUTE = 30
#: The time zone of CS filter values is undocumented: re-reading a day before the bookmark
#: covers any offset from UTC (docs/api.md, "CS: dates and filters").
DEFAULT_CS_LOOKBACK_HOURS = 24

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "api_key",
        th.StringType,
        secret=True,
        title="PX API key",
        description=(
            "Gainsight PX REST API key with Read permission, sent as X-APTRINSIC-API-KEY. "
            "Needed for the PX streams; give it, the CS settings, or both."
        ),
    ),
    th.Property(
        "region",
        th.StringType,
        default=DEFAULT_REGION,
        allowed_values=list(PX_REGION_URLS),
        title="PX data centre",
        description="Data centre of the PX subscription: us, eu or us2.",
    ),
    th.Property(
        "api_url",
        th.StringType,
        title="PX API base URL override",
        description=(
            "Base URL replacing the region's, e.g. for a proxy. Must be https:// "
            "(plain http:// is accepted only for loopback hosts)."
        ),
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        title="Start date",
        description=(
            "Earliest event to read (RFC 3339), on a first run: it bounds only history, the "
            "event streams and survey_responses, which without it start 190 days before the "
            "run. Entities (users, accounts, companies, people) are read whole on a first run "
            "whatever it says; every later run reads what changed since its bookmark."
        ),
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        title="End date",
        description="Optional end (exclusive) of the event history to read (RFC 3339).",
    ),
    th.Property(
        "event_window_days",
        th.IntegerType(minimum=1, maximum=MAX_WINDOW_DAYS),
        default=DEFAULT_EVENT_WINDOW_DAYS,
        title="Event window (days)",
        description=(
            "Longest window of events asked for per scroll, 1 to 190 days (the API refuses "
            "longer ranges). The default reads each 190 days in one scroll, the fewest "
            "requests; a shorter bound makes more, smaller scrolls, which max_concurrency "
            "reads at once."
        ),
    ),
    th.Property(
        "lookback_minutes",
        th.IntegerType(minimum=0),
        default=DEFAULT_LOOKBACK_MINUTES,
        title="Event lookback (minutes)",
        description=(
            "Each incremental run re-reads this many minutes of events before its bookmark, to "
            "catch events that reached PX late. Re-read events are sent again (same eventId)."
        ),
    ),
    th.Property(
        "max_requests_per_second",
        th.IntegerType(minimum=1),
        default=DEFAULT_MAX_REQUESTS_PER_SECOND,
        title="Requests per second",
        description=(
            "Pace of all the tap's requests together. The API allows about 200/s per "
            "subscription, shared with its other integrations."
        ),
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType(minimum=1, maximum=MAX_CONCURRENCY),
        default=DEFAULT_MAX_CONCURRENCY,
        title="Concurrent requests",
        description=(
            f"PX requests the tap may have in flight at once, 1 to {MAX_CONCURRENCY}: the "
            "windows of every selected event stream are read ahead, a scroll per thread, on "
            "max_concurrency threads while the API is slower to answer a page than the tap "
            "is to emit one. Records are still emitted in order, every request within "
            "max_requests_per_second. 1 reads one page at a time."
        ),
    ),
    th.Property(
        "max_read_ahead_mb",
        th.IntegerType(minimum=1),
        default=DEFAULT_MAX_READ_AHEAD_MB,
        title="Read-ahead memory (MB)",
        description=(
            "Memory the event pages read ahead may take while they wait for their turn, "
            "held compressed (about 90 KB a page of 1,000 events)."
        ),
    ),
    th.Property(
        "max_requests_per_day",
        th.IntegerType(minimum=1),
        default=DEFAULT_MAX_REQUESTS_PER_DAY,
        title="Requests per run",
        description=(
            "Most requests one run may make (the API allows about 1,000,000 a day per "
            "subscription). On reaching it the run stops cleanly with its state saved."
        ),
    ),
    th.Property(
        "request_timeout_seconds",
        th.IntegerType(minimum=1),
        default=DEFAULT_REQUEST_TIMEOUT_SECONDS,
        title="Request timeout (seconds)",
        description=(
            "Read timeout of one request; connecting may take at most 10 s of it. A timed-out "
            "request is retried, unless the host has not answered once in the run: then the "
            "run ends."
        ),
    ),
    th.Property(
        "retry_max_tries",
        th.IntegerType(minimum=1),
        default=DEFAULT_RETRY_MAX_TRIES,
        title="Tries per request",
        description="Tries of one request (the first included) before the sync gives up.",
    ),
    th.Property(
        "retry_max_wait_seconds",
        th.IntegerType(minimum=0),
        default=DEFAULT_RETRY_MAX_WAIT_SECONDS,
        title="Retry time per request (seconds)",
        description=(
            "Longest time spent retrying one request, from its first failure, the waits and "
            "the retries included (a retry's timeout is cut to the time left), before the sync "
            "gives up."
        ),
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1),
        default=DEFAULT_PAGE_SIZE,
        title="Page size",
        description=(
            "Records asked for per request, clamped to each endpoint's maximum "
            "(1000 scroll endpoints, 500 engagements/articles/kc_bots, 200 features/segments)."
        ),
    ),
    th.Property(
        "read_user_preferences",
        th.BooleanType,
        default=False,
        title="Read user preferences",
        description=(
            "Read user_preferences: one request per user that the users stream delivers in "
            "the run (every user on a first run, the changed ones after), so off by default. "
            "At the default 20 requests/s, 100,000 users take about 1.4 hours on a first run."
        ),
    ),
    th.Property(
        "emit_activate_version_messages",
        th.BooleanType,
        default=False,
        title="Emit ACTIVATE_VERSION messages",
        description=(
            "Start each full-table stream (features, segments, engagements, articles, kc_bots, "
            "user_attributes, account_attributes, and any stream the catalog forces to "
            "FULL_TABLE) with an ACTIVATE_VERSION message, so that a loader that honours it "
            "(target-postgres with activate_version on) removes or soft-deletes the rows "
            "deleted in Gainsight."
        ),
    ),
    th.Property(
        "log_metrics",
        th.BooleanType,
        default=False,
        title="Log metrics",
        description=(
            "Log the SDK's METRIC lines (a request's duration, each stream's record count "
            "and sync time) at INFO, for tools that read them. Off, they appear only at "
            "DEBUG (TAP_GAINSIGHT_LOGLEVEL=DEBUG)."
        ),
    ),
    th.Property(
        "cs_api_url",
        th.StringType,
        title="CS tenant URL",
        description=(
            "The Gainsight CS tenant's domain, e.g. https://acme.gainsightcloud.com (the API "
            "paths start with /v1 under it). Must be https:// (plain http:// is accepted only "
            "for loopback hosts). Needed, with cs_access_key, for the CS streams."
        ),
    ),
    th.Property(
        "cs_access_key",
        th.StringType,
        secret=True,
        title="CS access key",
        description="Gainsight CS REST API access key, sent as the accesskey header.",
    ),
    th.Property(
        "cs_objects",
        th.ArrayType(th.StringType),
        title="CS objects",
        description=(
            'The CS objects to read, by API name (case does not matter), e.g. ["Company", '
            '"Person", "activity_timeline", "renewal_forecast__gc"]: exactly these, '
            "SYSTEM or unreadable ones included if named. Default: every readable STANDARD and "
            "CUSTOM object the objects list gives, with Company and Person always. The delete "
            "log (deleted_records) is read in either case."
        ),
    ),
    th.Property(
        "cs_requests_per_minute",
        th.IntegerType(minimum=1),
        default=DEFAULT_CS_REQUESTS_PER_MINUTE,
        title="CS requests per minute",
        description=(
            "Pace of all the tap's CS requests together. The Data API allows 100 calls a "
            "minute per tenant, shared with its other integrations."
        ),
    ),
    th.Property(
        "cs_lookback_hours",
        th.IntegerType(minimum=0),
        default=DEFAULT_CS_LOOKBACK_HOURS,
        title="CS lookback (hours)",
        description=(
            "Each incremental CS run re-reads records modified this many hours before its "
            "bookmark: the API's time zone for date filters is undocumented. Re-read records "
            "are sent again (same Gsid)."
        ),
    ),
).to_dict()


#: The tap's own settings, named before the SDK appends its built-in ones to the schema
#: (it does so in place, on the first config validation).
OWN_SETTINGS: tuple[str, ...] = tuple(CONFIG_SCHEMA["properties"])


def px_base_url(config: Mapping[str, t.Any]) -> str:
    """Return the PX base URL the tap talks to: `api_url` if set, else the region's."""
    override = config.get("api_url")
    if override:
        return str(override).rstrip("/")
    return PX_REGION_URLS[config.get("region") or DEFAULT_REGION]


def px_v2_base_url(v1_base_url: str) -> str:
    """The base of the few `/v2` paths: beside `/v1`, or appended to a proxy's `api_url`."""
    return v1_base_url.removesuffix("/v1") + "/v2"


def cs_base_url(config: Mapping[str, t.Any]) -> str:
    """Return the CS tenant's domain the tap talks to, without a trailing `/` or `/v1`."""
    return str(config["cs_api_url"]).rstrip("/").removesuffix("/v1")


def has_px_credentials(config: Mapping[str, t.Any]) -> bool:
    """Tell whether the config can read Gainsight PX."""
    return bool(config.get("api_key"))


def has_cs_credentials(config: Mapping[str, t.Any]) -> bool:
    """Tell whether the config can read Gainsight CS."""
    return bool(config.get("cs_api_url")) and bool(config.get("cs_access_key"))


def is_loopback_host(host: str | None) -> bool:
    """Tell whether a URL host names this machine (the only place plain HTTP is allowed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def url_setting_error(setting: str, value: t.Any) -> str | None:
    """Return why a base-URL setting is unsafe or malformed, or None if it is fine or unset."""
    parts = urlsplit(str(value or ""))
    if not value or (parts.scheme == "https" and parts.hostname):
        return None
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return None
    if parts.scheme == "http":
        return (
            f"{setting}: {value} uses plain http:// for a non-loopback host; "
            "use https:// (the API key would travel unencrypted)."
        )
    return f"{setting}: {value!r} is not an https:// URL."


def semantic_errors(config: Mapping[str, t.Any]) -> list[str]:
    """Check what the JSON schema cannot: credentials, URL safety, dates and their order.

    Each error is one line naming the setting and what to do.
    """
    errors: list[str] = []
    cs_settings = ("cs_api_url", "cs_access_key")
    if not has_px_credentials(config) and not any(config.get(name) for name in cs_settings):
        errors.append(
            "No credentials: set api_key (Gainsight PX), or cs_api_url and cs_access_key "
            "(Gainsight CS), or both."
        )
    for given, missing in (cs_settings, cs_settings[::-1]):
        if config.get(given) and not config.get(missing):
            errors.append(f"{given} is set but {missing} is not: Gainsight CS needs both.")
    urls = [url_setting_error(name, config.get(name)) for name in ("api_url", "cs_api_url")]
    errors += [error for error in urls if error]
    dates: dict[str, dt.datetime] = {}
    for name in ("start_date", "end_date"):
        try:
            if config.get(name):
                dates[name] = parse_setting_datetime(str(config[name]))
        except ValueError:
            errors.append(
                f"{name}: {config[name]!r} is not an RFC 3339 date-time "
                "(e.g. 2024-01-31T00:00:00Z)."
            )
    start, end = dates.get("start_date"), dates.get("end_date")
    if start and start > dt.datetime.now(dt.timezone.utc):
        errors.append(
            f"start_date ({config['start_date']}) is in the future: no event could be read. "
            "Set it to a past date, or leave it out to read the last 190 days of events."
        )
    if start and end and end <= start:
        errors.append(
            f"end_date ({config['end_date']}) must be later than start_date "
            f"({config['start_date']})."
        )
    return errors


def unknown_settings(config: Mapping[str, t.Any], known: Iterable[str]) -> dict[str, str]:
    """The keys of `config` that are no setting, each with its warning line.

    The line names the nearest known setting, if one is near (a misspelling); never the
    value, which may be a secret.
    """
    names = sorted(known)
    lines: dict[str, str] = {}
    for key in [key for key in config if key not in names]:
        near = difflib.get_close_matches(key, names, n=1)
        lines[key] = (
            f"Unknown setting {key!r}: did you mean {near[0]!r}?"
            if near
            else f"Unknown setting {key!r}: tap-gainsight has no such setting; it is ignored."
        )
    return lines


def env_setting_errors(
    schema: Mapping[str, t.Any], prefix: str, environ: Mapping[str, str]
) -> list[str]:
    """Integer settings given as environment variables whose value is not a whole number."""
    errors: list[str] = []
    for name, prop in schema.get("properties", {}).items():
        variable = prefix + name.upper().replace("-", "_")
        value = environ.get(variable)
        # `type` is "integer" or a list holding it (e.g. ["integer", "null"]).
        if value is None or "integer" not in prop.get("type", ()):
            continue
        try:
            int(value)
        except ValueError:
            errors.append(
                f"{name}: {variable} is {value!r}, not a whole number; set it to one "
                "(e.g. 1000) or unset it."
            )
    return errors
