"""Rows expected and rows delivered in each world the emulators play: does any lose or double?

    .venv/bin/python scripts/worlds.py [--world NAME ...]

For each world of ``tests/emulator/quirks.py`` (PX) and ``tests/emulator/cs/quirks.py`` (CS),
in the variants its tests play, and for the documented world: fresh emulators in this process
(the tests' tenants), a first sync, the tenant's life moved on as the tests move it, and an
incremental sync from the first one's state. Per run, summed over the streams read: the rows
the tenant holds that the run must send (a refused stream's: none), the rows sent, those sent
more than once, those missing and those sent that were not due. Then the records a loader
would refuse (and the date-times that are not strict RFC 3339), the ``API departure:`` lines,
the requests the emulator answered and the seconds both runs took. The expected rows are
those the tests compute (``tests/test_px_second_contact.py``,
``tests/test_cs_second_contact.py``). Prints one row per world and variant, the streams that
differ under the table, and exits 1 if any row is missing, doubled, not due or invalid.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import logging
import sys
import time
import typing as t
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tap_gainsight import retries  # noqa: E402
from tap_gainsight.cs.deletes import DeletedRecordsStream  # noqa: E402
from tap_gainsight.cs.objects import CSObjectStream  # noqa: E402
from tap_gainsight.settings import DEFAULT_CS_LOOKBACK_HOURS  # noqa: E402
from tap_gainsight.timestamps import parse_setting_datetime  # noqa: E402
from tests import loader_check  # noqa: E402
from tests.conftest import API_KEY, CS_ACCESS_KEY, SEED, cs_config, px_config  # noqa: E402
from tests.emulator import Emulator, Tenant, TenantSize  # noqa: E402
from tests.emulator.cs import CSEmulator, CSTenant  # noqa: E402
from tests.sync import SyncResult, run_sync  # noqa: E402
from tests.test_cs_objects import OBJECT_STREAMS, object_of  # noqa: E402
from tests.test_cs_second_contact import DELETED_BETWEEN_RUNS, modified_since  # noqa: E402
from tests.test_px_second_contact import (  # noqa: E402
    CAPPED_STREAMS,
    STREAM_PATHS,
    Run,
    edge_config,
    held,
    plant_on_edges,
    sent,
    windows_of,
)

DEPARTURE = "API departure:"
CS_STREAMS = sorted(OBJECT_STREAMS | {"deleted_records"})
DELETE_LOGS = ("record_delete_log", "record_delete_log_high_volume")


@dataclass
class Plan:
    """How one world-variant is read: what a test of it sets up, as data."""

    config: dict
    #: The streams selected (None: every stream the config reads).
    streams: list[str] | None = None
    #: Streams the world refuses: none of their rows is due.
    refused: frozenset[str] = frozenset()
    #: The second run's config, made after the tenant moved on (default: the first's).
    second_config: Callable[[], dict] | None = None
    #: What changes on the tenant after it moved on, before the second run.
    between: Callable[[SyncResult], None] | None = None
    #: (owner, attribute, value) set for both runs, as the tests' fixtures set them.
    patches: list[tuple[object, str, object]] = field(default_factory=list)


@dataclass
class Tally:
    """One run's rows, summed over the streams read."""

    expected: int = 0
    delivered: int = 0
    twice: int = 0
    missing: int = 0
    extra: int = 0
    invalid: int = 0
    not_rfc3339: int = 0
    #: "stream: n missing..." for each stream that differs.
    differs: list[str] = field(default_factory=list)

    def add(self, stream: str, due: Iterable[Hashable], came: Iterable[Hashable]) -> None:
        """Count one stream: the keys due and the keys sent (each as often as sent)."""
        want, got = Counter(due), Counter(came)
        twice = sum(max(0, got[k] - n) for k, n in want.items())
        missing = sum(max(0, n - got[k]) for k, n in want.items())
        extra = sum(n for k, n in got.items() if k not in want)
        self.expected += sum(want.values())
        self.delivered += sum(got.values())
        self.twice, self.missing, self.extra = (
            self.twice + twice,
            self.missing + missing,
            self.extra + extra,
        )
        if twice or missing or extra:
            self.differs.append(
                f"{stream}: {missing:,} missing, {twice:,} sent twice, {extra:,} not due, "
                f"of {sum(want.values()):,}"
            )

    def check(self, result: SyncResult) -> None:
        """Count the records a loader would refuse and the date-times not RFC 3339."""
        self.invalid = len(loader_check.invalid_records(result))
        strict = getattr(loader_check, "not_rfc3339", None)
        self.not_rfc3339 = len(strict(result)) if strict else 0

    @property
    def whole(self) -> bool:
        """Whether every row came once, none came that was not due, and all are valid."""
        return not (self.twice or self.missing or self.extra or self.invalid or self.not_rfc3339)


@dataclass
class Outcome:
    """A world-variant measured: both runs, what it said and cost, or why it stopped."""

    world: str
    variant: str
    runs: list[Tally] = field(default_factory=list)
    departures: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def whole(self) -> bool:
        """Whether both runs ran and were whole."""
        return self.error is None and len(self.runs) == 2 and all(r.whole for r in self.runs)


class Departures(logging.Handler):
    """Counts the tap's WARNING records that start `API departure:`; keeps its errors."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Count a departure; keep an ERROR's message (what a stopped sync said)."""
        message = record.getMessage()
        if record.levelno == logging.WARNING and message.startswith(DEPARTURE):
            self.count += 1
        elif record.levelno >= logging.ERROR:
            self.errors.append(message)


# -- the PX worlds (tests/test_px_second_contact.py, tests/test_worlds.py) ------------------


def days_ago(emulator: Emulator, days: int) -> str:
    """The tenant's clock less `days`, as a setting."""
    return (emulator.tenant.now - dt.timedelta(days=days)).isoformat()


def refused_paths(paths: str, status: str | None) -> Callable[[Emulator], Plan]:
    """Every PX stream read; those whose path the world refuses owe nothing."""

    def plan(emulator: Emulator) -> Plan:
        emulator.quirks.refused_paths = paths
        emulator.quirks.refused_status = status
        refused = frozenset(
            s for s, path in STREAM_PATHS.items() if emulator.quirks.refusal_status(path)
        )
        config = px_config(emulator, start_date=days_ago(emulator, 30), page_size=500)
        return Plan(config, sorted(STREAM_PATHS), refused)

    return plan


def page_cap(cap: str, silent: str | None) -> Callable[[Emulator], Plan]:
    """Pages of at most `cap` records, the API perhaps silent on what remains."""

    def plan(emulator: Emulator) -> Plan:
        emulator.quirks.page_cap = cap
        if silent:
            setattr(emulator.quirks, silent, True)
        config = px_config(emulator, start_date=days_ago(emulator, 100), page_size=200)
        return Plan(config, CAPPED_STREAMS)

    return plan


def range_edges(mode: str) -> Callable[[Emulator], Plan]:
    """Three-day windows, events planted on every edge before each run."""

    def plan(emulator: Emulator) -> Plan:
        emulator.quirks.range_edges = mode
        config_now = edge_config(emulator)
        config = config_now()
        plant_on_edges(emulator, "/events/pageView", windows_of(config))

        def plant_again(first: SyncResult) -> None:
            later = windows_of(config_now(), first.final_state)
            plant_on_edges(emulator, "/events/pageView", later)

        streams = ["page_view_events", "engagement_collisions"]
        return Plan(config, streams, second_config=config_now, between=plant_again)

    return plan


def range_limit(days: str, template: str | None) -> Callable[[Emulator], Plan]:
    """300 days of events under a range limit of `days`, refused in `template`'s words."""

    def plan(emulator: Emulator) -> Plan:
        emulator.quirks.max_range_days = days
        emulator.quirks.range_message = template
        config = px_config(emulator, start_date=days_ago(emulator, 300), page_size=500)
        return Plan(config, ["page_view_events", "survey_responses", "engagement_collisions"])

    return plan


def scroll_expiry(rule: str) -> Callable[[Emulator], Plan]:
    """Cursors that die after some pages; one scroll at a time, retries of milliseconds."""

    def plan(emulator: Emulator) -> Plan:
        emulator.quirks.scroll_expiry = rule
        config = px_config(
            emulator, start_date=days_ago(emulator, 100), page_size=50, max_concurrency=1
        )
        quick = [(retries, "INITIAL_WAIT_SECONDS", 0.02), (retries, "MAX_WAIT_SECONDS", 0.2)]
        return Plan(config, ["users", "page_view_events"], patches=quick)

    return plan


def empty_body(form: str) -> Callable[[Emulator], Plan]:
    """Windows before the history and a tenant without bots: empty pages in `form`."""

    def plan(emulator: Emulator) -> Plan:
        emulator.quirks.empty_body = form
        tenant = emulator.tenant
        tenant.remove("/kcbot", len(tenant.collections["/kcbot"]))
        first_event = min(e["date"] for e in tenant.collections["/events/pageView"])
        before = dt.datetime.fromtimestamp(first_event / 1000 - 30 * 86_400, dt.timezone.utc)
        config = px_config(
            emulator, start_date=before.isoformat(), event_window_days=5, page_size=200
        )
        return Plan(config, ["page_view_events", "engagement_collisions", "kc_bots", "segments"])

    return plan


def px_switch(
    *names: str, value: object = True, days: int = 100, page_size: int = 100, streams: list[str]
) -> Callable[[Emulator], Plan]:
    """A world of `test_worlds.py`: its switches set, its streams read from `days` ago."""

    def plan(emulator: Emulator) -> Plan:
        for name in names:
            setattr(emulator.quirks, name, value if name == names[0] else True)
        config = px_config(emulator, start_date=days_ago(emulator, days), page_size=page_size)
        return Plan(config, streams)

    return plan


ENTITIES = ["users", "accounts"]

PX_WORLDS: list[tuple[str, str, Callable[[Emulator], Plan]]] = [
    ("px.documented", "-", px_switch(streams=["users", "page_view_events", "features"])),
    ("px.refused_paths", "/articles,/kcbot 403", refused_paths("/articles,/kcbot", None)),
    ("px.refused_paths", "/survey,/admin 403", refused_paths("/survey,/admin", None)),
    ("px.refused_paths", "/articles 404", refused_paths("/articles", "404")),
    ("px.page_cap", "7", page_cap("7", None)),
    ("px.page_cap", "150", page_cap("150", None)),
    ("px.page_cap", "7, no totalHits", page_cap("7", "omit_total_hits")),
    ("px.page_cap", "150, no isLastPage", page_cap("150", "omit_is_last_page")),
    *[
        ("px.range_edges", mode, range_edges(mode))
        for mode in ("exclusive_start", "inclusive_end", "both")
    ],
    *[
        (
            "px.max_range_days",
            f"{days} days, {'with' if '{days}' in template else 'no'} number",
            range_limit(days, template),
        )
        for days in ("90", "30")
        for template in ("Date range cannot exceed {days} days", "Invalid date range")
    ],
    (
        "px.scroll_expiry",
        "404 after 3 pages",
        scroll_expiry("3:404:No search context found for id [1234]"),
    ),
    ("px.scroll_expiry", "410 after 2 pages", scroll_expiry("2:410:Scroll has expired")),
    ("px.scroll_expiry", "400 after 5 pages", scroll_expiry("5:400:Cursor timed out")),
    *[("px.empty_body", form, empty_body(form)) for form in ("{}", "absent", "null")],
    ("px.entity_sort_ignored", "-", px_switch("entity_sort_ignored", streams=ENTITIES)),
    ("px.entity_filter_refused", "-", px_switch("entity_filter_refused", streams=ENTITIES)),
    ("px.entity_filter_ignored", "-", px_switch("entity_filter_ignored", streams=ENTITIES)),
    (
        "px.renamed_records_key",
        "items, no totalHits",
        px_switch(
            "renamed_records_key",
            "omit_total_hits",
            value="items",
            days=10,
            page_size=10,
            streams=["users", "features", "session_events", "page_view_events"],
        ),
    ),
    (
        "px.drifted_types",
        "-",
        px_switch("drifted_types", days=10, page_size=200, streams=sorted(STREAM_PATHS)),
    ),
]


def px_due(emulator: Emulator, plan: Plan, stream: str, config: dict, before: Run | None) -> list:
    """The keys a run of `stream` must send (none where the world refuses it)."""
    return [] if stream in plan.refused else held(emulator, stream, config, before)


def measure_px(world: str, variant: str, make: Callable[[Emulator], Plan]) -> Outcome:
    """Two runs against a fresh PX emulator set up by `make`."""
    outcome = Outcome(world, variant)
    tenant = Tenant.generate(seed=SEED, size=TenantSize.small())
    with Emulator(tenant, api_key=API_KEY) as emulator, contextlib.ExitStack() as stack:
        plan = make(emulator)
        for owner, name, value in plan.patches:
            stack.enter_context(mock.patch.object(owner, name, value))
        streams = plan.streams or sorted(STREAM_PATHS)
        emulator.reset_log()
        started = time.monotonic()
        first = sync(outcome, plan.config, streams=streams)
        if first is None:
            return outcome
        outcome.runs.append(
            px_tally(emulator, plan, first, plan.config, streams=streams, before=None)
        )
        outcome.requests += len(emulator.requests)
        emulator.tenant.advance(dt.timedelta(days=2))
        config = plan.second_config() if plan.second_config else plan.config
        if plan.between is not None:
            plan.between(first)
        emulator.reset_log()
        # A copy, as a state file is: a run may change the state it is given.
        second = sync(outcome, config, state=copy.deepcopy(first.final_state), streams=streams)
        outcome.requests += len(emulator.requests)
        outcome.seconds = time.monotonic() - started
        if second is not None:
            before = Run(first, [], [])
            outcome.runs.append(
                px_tally(emulator, plan, second, config, streams=streams, before=before)
            )
    return outcome


def px_tally(
    emulator: Emulator,
    plan: Plan,
    result: SyncResult,
    config: dict,
    *,
    streams: list[str],
    before: Run | None,
) -> Tally:
    """One PX run counted stream by stream."""
    tally = Tally()
    for stream in streams:
        tally.add(stream, px_due(emulator, plan, stream, config, before), sent(result, stream))
    tally.check(result)
    return tally


# -- the CS worlds (tests/test_cs_second_contact.py, tests/test_worlds.py) ------------------


def pages_of(limit: int) -> list[tuple[object, str, object]]:
    """Object and delete-log queries of `limit` records."""
    return [(CSObjectStream, "page_limit", limit), (DeletedRecordsStream, "page_limit", limit)]


def cs_switch(
    patches: list[tuple[object, str, object]] | None = None,
    refused: frozenset[str] = frozenset(),
    **quirks: object,
) -> Callable[[CSEmulator], Plan]:
    """A CS world: its switches set, every CS stream read."""

    def plan(emulator: CSEmulator) -> Plan:
        for name, value in quirks.items():
            setattr(emulator.quirks, name, value)
        return Plan(cs_config(emulator), None, refused, patches=patches or [])

    return plan


THREE_FIELDS = "Company.Tier__gc,renewal_forecast__gc.Forecast_ARR__gc,Person.Region__gc"

CS_WORLDS: list[tuple[str, str, Callable[[CSEmulator], Plan]]] = [
    ("cs.documented", "-", cs_switch(pages_of(40)[:1])),
    ("cs.refused_fields", "3 fields, named", cs_switch(refused_fields=THREE_FIELDS)),
    (
        "cs.refused_fields",
        "3 fields, unnamed",
        cs_switch(
            refused_fields=THREE_FIELDS,
            refused_field_message="One or more fields in select are not accessible",
        ),
    ),
    *[
        ("cs.text_dates", form, cs_switch(pages_of(50), text_dates=form))
        for form in ("offset", "space", "date", "mixed")
    ],
    (
        "cs.refused_objects",
        "renewal_forecast__gc 403",
        cs_switch(
            refused=frozenset({"renewal_forecast__gc"}), refused_objects="renewal_forecast__gc"
        ),
    ),
    (
        "cs.refused_objects",
        "activity_timeline 404",
        cs_switch(
            refused=frozenset({"activity_timeline"}),
            refused_objects="activity_timeline",
            refused_objects_status="404",
        ),
    ),
    ("cs.page_cap", "7 of 50", cs_switch(pages_of(50), page_cap="7")),
    ("cs.page_cap", "1000 of 5000", cs_switch(page_cap="1000")),
    ("cs.order_ignored", "-", cs_switch(order_ignored=True)),
    ("cs.drifted_types", "-", cs_switch(drifted_types=True)),
]


def deletion(record: dict) -> tuple[str, str]:
    """A delete-log entry's key."""
    return record["ObjectName"], record["RecordId"]


def deletions_due(tenant: CSTenant, before: SyncResult | None) -> list[tuple[str, str]]:
    """The entries of each delete log a run reads: all, or since its bookmark less 24 h."""
    since: dict[str, dt.datetime] = {}
    if before is not None:
        partitions = before.final_state["bookmarks"].get("deleted_records", {})
        for partition in partitions.get("partitions", []):
            value = partition.get("replication_key_value")
            if value is not None:
                lookback = dt.timedelta(hours=DEFAULT_CS_LOOKBACK_HOURS)
                since[partition["context"]["delete_log"]] = parse_setting_datetime(value) - lookback
    return [
        deletion(entry)
        for log in DELETE_LOGS
        for entry in tenant.collections.get(log, [])
        if log not in since or parse_setting_datetime(entry["DeletedOn"]) >= since[log]
    ]


def cs_tally(tenant: CSTenant, plan: Plan, result: SyncResult, before: SyncResult | None) -> Tally:
    """One CS run counted stream by stream: each object by Gsid, the deletions by entry."""
    tally = Tally()
    for stream in CS_STREAMS:
        records = result.records.get(stream, [])
        if stream == "deleted_records":
            tally.add(stream, deletions_due(tenant, before), map(deletion, records))
            continue
        if stream in plan.refused:
            due: list[dict] = []
        elif before is None:
            due = tenant.records(object_of(stream))
        else:
            due = modified_since(tenant, before, stream)
        tally.add(stream, (r["Gsid"] for r in due), (r["Gsid"] for r in records))
    tally.check(result)
    return tally


def measure_cs(world: str, variant: str, make: Callable[[CSEmulator], Plan]) -> Outcome:
    """Two runs against a fresh CS emulator, records deleted and three days between them."""
    outcome = Outcome(world, variant)
    tenant = CSTenant.generate(seed=SEED)
    with (
        CSEmulator(tenant, access_key=CS_ACCESS_KEY, requests_per_minute=None) as emulator,
        contextlib.ExitStack() as stack,
    ):
        plan = make(emulator)
        for owner, name, value in plan.patches:
            stack.enter_context(mock.patch.object(owner, name, value))
        emulator.reset_log()
        started = time.monotonic()
        first = sync(outcome, plan.config)
        if first is None:
            return outcome
        outcome.runs.append(cs_tally(tenant, plan, first, None))
        outcome.requests += len(emulator.requests)
        for name, n in DELETED_BETWEEN_RUNS.items():
            tenant.delete(name, n)
        tenant.advance(dt.timedelta(days=3), touch=5, new=2)
        emulator.reset_log()
        # A copy, as a state file is: a run may change the state it is given.
        second = sync(outcome, plan.config, state=copy.deepcopy(first.final_state))
        outcome.requests += len(emulator.requests)
        outcome.seconds = time.monotonic() - started
        if second is not None:
            outcome.runs.append(cs_tally(tenant, plan, second, first))
    return outcome


# -- running and printing -------------------------------------------------------------------


def sync(outcome: Outcome, config: dict, **kwargs: t.Any) -> SyncResult | None:
    """One in-process sync, its departures counted; None (and why) if it stopped."""
    handler = Departures()
    logger = logging.getLogger("tap-gainsight")
    logger.addHandler(handler)
    try:
        return run_sync(config, **kwargs)
    except SystemExit as stop:
        said = handler.errors[-1] if handler.errors else "no error logged"
        outcome.error = f"run {len(outcome.runs) + 1} stopped (exit {stop.code}): {said}"
        return None
    finally:
        logger.removeHandler(handler)
        outcome.departures += handler.count


HEADER = (
    f"{'world':<24} {'variant':<24} "
    f"{'1st: exp':>8} {'sent':>6} {'2x':>4} {'miss':>5} {'extra':>5}  "
    f"{'2nd: exp':>8} {'sent':>6} {'2x':>4} {'miss':>5} {'extra':>5}  "
    f"{'invalid':>7} {'!3339':>5} {'depart':>6} {'reqs':>6} {'secs':>6}"
)


def row(outcome: Outcome) -> str:
    """One printed row: both runs' counts, then what the world said and cost."""
    runs = [
        f"{r.expected:>8,} {r.delivered:>6,} {r.twice:>4} {r.missing:>5,} {r.extra:>5,}"
        for r in outcome.runs
    ]
    runs += [f"{'-':>8} {'-':>6} {'-':>4} {'-':>5} {'-':>5}"] * (2 - len(runs))
    invalid = sum(r.invalid for r in outcome.runs)
    strict = sum(r.not_rfc3339 for r in outcome.runs)
    mark = "" if outcome.whole else "  <-"
    return (
        f"{outcome.world:<24} {outcome.variant:<24} {runs[0]}  {runs[1]}  "
        f"{invalid:>7} {strict:>5} {outcome.departures:>6} {outcome.requests:>6,} "
        f"{outcome.seconds:>6.1f}{mark}"
    )


WORLDS = [(*w, measure_px) for w in PX_WORLDS] + [(*w, measure_cs) for w in CS_WORLDS]


def main() -> int:
    """Measure every world asked for (all by default), print the table, say if any lost."""
    names = list(dict.fromkeys(world for world, *_ in WORLDS))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--world", action="append", choices=names, help="only this world (repeatable)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    print(HEADER)
    outcomes = []
    for world, variant, make, measure in WORLDS:
        if args.world and world not in args.world:
            continue
        try:
            outcome = measure(world, variant, make)
        except Exception as error:  # a world that breaks is a row that says so
            outcome = Outcome(world, variant, error=f"{type(error).__name__}: {error}")
        outcomes.append(outcome)
        print(row(outcome), flush=True)
    for outcome in outcomes:
        where = f"{outcome.world} {outcome.variant}"
        if outcome.error:
            print(f"{where}: {outcome.error}")
        for n, run in enumerate(outcome.runs, 1):
            for line in run.differs:
                print(f"{where}, run {n}: {line}")
            if run.invalid or run.not_rfc3339:
                print(f"{where}, run {n}: {run.invalid} invalid, {run.not_rfc3339} not RFC 3339")
    whole = all(outcome.whole for outcome in outcomes)
    print(f"{len(outcomes)} world-variants in {time.monotonic() - started:.0f} s: ", end="")
    print("every row once, every record valid" if whole else "NOT WHOLE")
    return 0 if whole else 1


if __name__ == "__main__":
    sys.exit(main())
