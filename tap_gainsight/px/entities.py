"""PX entity streams: one table of endpoints, one class per paging style."""

from __future__ import annotations

import copy
import typing as t
from dataclasses import dataclass
from functools import cached_property
from http import HTTPStatus

from singer_sdk.pagination import PageNumberPaginator
from typing_extensions import override

from tap_gainsight.errors import SETUP_FAILURES, FilterRefused
from tap_gainsight.position import Position
from tap_gainsight.px.client import PXStream
from tap_gainsight.px.custom_attributes import AttributeModel
from tap_gainsight.px.history import ScrollReader, ScrollStream, ScrollToken
from tap_gainsight.responses import response_body
from tap_gainsight.settings import EDGE_MARGIN_MS, px_v2_base_url
from tap_gainsight.timestamps import epoch_ms_of, to_epoch_ms

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    import requests
    from singer_sdk import Tap
    from singer_sdk.exceptions import FatalAPIError
    from singer_sdk.helpers.types import Context
    from singer_sdk.pagination import BaseAPIPaginator


class EntityStream(ScrollStream):
    """An entity read through a scroll cursor (`/users`, `/accounts`), on `lastModifiedDate`.

    A run without a bookmark reads the whole table (`start_date` bounds event history, not
    entities). Later runs ask for `filter=lastModifiedDate>=<bookmark>` sorted ascending, both
    inferred (docs/api.md, "PX: users and accounts"): what the API makes of either, every
    record is delivered once (`position.py`, `order_guard.py`) and the departure is said.
    """

    replication_key = "lastModifiedDate"
    # The order is checked by the stream's `Position`, which tolerates what the SDK's would not.
    check_sorted = False
    #: Set when the API refused the filter this run: the stream is then read whole.
    filter_refused = False
    _position: Position
    #: The bookmark the run filters on, in epoch ms (None: the whole table).
    _floor_ms: int | None = None

    #: The stream of attribute definitions that type `customAttributes` (read on demand).
    attribute_model_source: PXStream | None = None

    @cached_property
    def attribute_model(self) -> AttributeModel | None:
        """The typed `customAttributes`, or None (untyped) when the model cannot be read.

        Not asked for when the input catalog leaves this stream out: event-only runs (a
        scheduled incremental sync, say) would otherwise send the two model requests before
        anything else, for streams they never read.
        """
        source = self.attribute_model_source
        catalog = self._tap.input_catalog
        entry = catalog.get_stream(self.tap_stream_id) if catalog else None
        if source is None or (entry is not None and not entry.metadata.resolve_selection()[()]):
            return None
        try:
            return AttributeModel.from_definitions(source.request_records(None))
        except SETUP_FAILURES:
            raise  # a refused key or a host never reached: nothing else can be read either
        except Exception as failure:
            self.logger.warning(
                "Could not read the attribute model at %s (%s); customAttributes stays an "
                "untyped object.",
                source.path,
                failure,
            )
            return None

    @cached_property
    @override
    def schema(self) -> dict:  # type: ignore[override]
        schema = copy.deepcopy(super().schema)
        if self.attribute_model is not None:
            schema["properties"]["customAttributes"] = self.attribute_model.schema()
        return schema

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        attributes = row.get("customAttributes")
        if attributes and self.attribute_model is not None:
            self.attribute_model.convert(attributes)
        return super().post_process(row, context)

    @override
    def pages(self, context: Context | None) -> Iterator[list[dict]]:
        # One scroll, read on the syncing thread: nothing to emit while waiting for it.
        position = self._position
        for page in ScrollReader(self, position).pages():
            below = position.lowest_below
            # The margin asked below the floor is expected; anything older is not.
            ignored = below is not None and below < (self._floor_ms or 0) - EDGE_MARGIN_MS
            if ignored and not self.filter_refused:
                self.note_departure(
                    f"the {self.replication_key} filter was ignored (older records came back)",
                    "the whole table is read; records older than the bookmark were delivered "
                    "by an earlier run and are skipped",
                )
            yield page

    @override
    def request_records(self, context: Context | None) -> Iterable[dict]:
        self.guard_order(context)
        self.filter_refused = False
        bookmark = self.bookmark(context)
        self._floor_ms = to_epoch_ms(bookmark) if bookmark else None
        # What the scroll hands on: records below the floor (an ignored filter) are dropped.
        field = self.replication_key
        self._position = Position(
            field,
            self.record_key,
            floor_ms=self._floor_ms,
            place_of=lambda record: epoch_ms_of(record.get(field)),
            remember_all=True,
            on_disorder=lambda *_: self.break_order(context, self.path, f"sort={field}"),
        )
        try:
            yield from super().request_records(context)
        except FilterRefused as refusal:
            self.note_departure(
                f"the {self.replication_key} filter was refused ({refusal})",
                "the stream is read whole this run (the next run asks again); records older "
                "than the bookmark are skipped",
            )
            self.filter_refused = True
            yield from super().request_records(context)
        self.save_largest_seen(context)

    @override
    def request_refused(self, response: requests.Response, message: str) -> FatalAPIError:
        # A scroll's opening request, refused: if it filtered, the filter is the suspect.
        if "filter=" in (response.request.url or ""):
            return FilterRefused(f"HTTP {response.status_code}: {message}")
        return super().request_refused(response, message)

    @override
    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        token: ScrollToken = next_page_token
        params: dict[str, t.Any] = {"pageSize": self.page_size, "scrollId": token.scroll_id}
        params["sort"] = self.replication_key
        since_ms = token.since_ms
        if since_ms is None and (bookmark := self.bookmark(context)):
            since_ms = to_epoch_ms(bookmark)
        if since_ms is not None and not self.filter_refused:
            # A millisecond below, so that records at the bookmark's own millisecond come
            # back even where the API takes `>=` as `>` (docs/api.md, "PX: users and accounts").
            params["filter"] = f"{self.replication_key}>={since_ms - EDGE_MARGIN_MS}"
        return params


class UserStream(EntityStream):
    """`users`, the parent of `user_preferences`: each user it delivers is a child context."""

    @override
    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> Iterable[Context | None]:
        if self.child_streams and record.get("identifyId"):
            yield {"identifyId": record["identifyId"]}

    @override
    def finish(self) -> None:
        super().finish()
        for child in self.child_streams:  # a child never selected never started: no summary
            if isinstance(child, UserPreferencesStream):
                child.finish_run()


class WholeListStream(PXStream):
    """A list answered whole in one response (no paging); an object, if no key is documented.

    Such an object (`/admin/subscription`, one user's preferences) is the stream's one row.
    """

    @override
    def get_new_paginator(self) -> None:
        return None

    @override
    def records_of(self, response: requests.Response) -> list[dict]:
        body = response_body(response)
        if not self.records_keys and isinstance(body, dict):
            return [body] if body else []
        return super().records_of(response)


class UserPreferencesStream(WholeListStream):
    """`user_preferences`: one request per user that `users` delivers in this run.

    So a first run asks for every user's, an incremental run for the changed users' only.
    The answer carries no `identifyId`; the tap adds it. A 404 (the user was deleted since)
    is counted and skipped. Full table per user, with no state of its own, and never
    `ACTIVATE_VERSION`: a version per user would tell a loader to drop every other user's.
    """

    name = "user_preferences"
    path = "/user/preferences/{identifyId}"
    primary_keys = ("identifyId",)
    parent_stream_type = UserStream
    state_partitioning_keys: t.ClassVar[list[str]] = []  # one entry, not one per user
    emit_activate_version_messages = False
    _missing = 0
    _started = False

    @override
    def begin_progress(self) -> None:
        if not self._started:  # one count over every user of the run, not one per user
            self._started = True
            super().begin_progress()

    @override
    def finish(self) -> None:
        """One user's read ends here: the summary waits for `users` (`finish_run`)."""

    def finish_run(self) -> None:
        """Log the summary of every user's preferences read in this run."""
        if self._started:
            super().finish()

    @override
    def summary_extra(self) -> str:
        return (
            f", {self._missing:,} users skipped (404: deleted meanwhile)" if self._missing else ""
        )

    @override
    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.NOT_FOUND:
            self._missing += 1
            return
        super().validate_response(response)

    @override
    def records_of(self, response: requests.Response) -> list[dict]:
        return [] if response.status_code == HTTPStatus.NOT_FOUND else [response_body(response)]

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row["identifyId"] = (context or {}).get("identifyId")
        return super().post_process(row, context)


class RicherFormMissing(Exception):
    """The tenant answered 404 at the richer form of an endpoint: read the plain one."""


class PageNumberEndpointPaginator(PageNumberPaginator):
    """0-based `pageNumber` paging (`/feature`, `/segment`, `/engagement`, `/articles`, `/kcbot`).

    The list has ended at a page flagged `isLastPage` or an empty one (docs/api.md, "PX:
    page-number pagination"). A short page is not the end while the API says more remain
    (a tenant may cap pages below `pageSize`); without `isLastPage` the list reads on to an
    empty page. `note(what, consequence)` is told of each such departure.
    """

    def __init__(
        self,
        page_size: int,
        records_of: Callable[[requests.Response], list],
        note: Callable[[str, str], None] = lambda what, consequence: None,
    ) -> None:
        super().__init__(start_value=0)
        self._page_size = page_size
        self._records_of = records_of
        self._note = note
        self._short_before = False

    def has_more(self, response: requests.Response) -> bool:  # noqa: D102
        length = len(self._records_of(response))
        if length and self._short_before:
            self._note(
                "pages shorter than the pageSize asked before the list's end",
                "the list is read on until the API says it has ended",
            )
        self._short_before = 0 < length < self._page_size
        body = response_body(response)
        last = body.get("isLastPage") if isinstance(body, dict) else None
        if length and not isinstance(last, bool):
            self._note("no isLastPage in a page's answer", "the list is read to an empty page")
        return length > 0 and last is not True


class PageNumberStream(PXStream):
    """A full-table entity read page by page (`pageNumber` from 0).

    `richer_path`, if set, is tried first: an endpoint with the same records and paging plus
    more fields (`/v2/feature_ext`, `/v1/engagement/extended`). A tenant that answers 404
    there is read at `path` instead, with one warning.
    """

    richer_path: str | None = None

    @override
    def get_url(self, context: Context | None) -> str:
        path = self.richer_path or self.path
        if path.startswith("/v2/"):  # beside the /v1 base URL, not under it
            return px_v2_base_url(self.url_base) + path.removeprefix("/v2")
        return self.url_base + path

    @override
    def request_records(self, context: Context | None) -> Iterable[dict]:
        try:
            yield from super().request_records(context)
        except RicherFormMissing:
            self.logger.warning(
                "%s answered 404 (the tenant does not have it): reading %s instead, without "
                "the fields only the former has.",
                self.richer_path,
                self.path,
            )
            self.richer_path = None
            yield from super().request_records(context)

    @override
    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.NOT_FOUND and self.richer_path:
            raise RicherFormMissing
        super().validate_response(response)

    @override
    def get_new_paginator(self) -> BaseAPIPaginator:
        return PageNumberEndpointPaginator(
            self.page_size,
            self.records_of,
            lambda what, consequence: self.departures.note(
                self.richer_path or self.path, what, consequence
            ),
        )

    @override
    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return {"pageSize": self.page_size, "pageNumber": next_page_token or 0}


@dataclass(frozen=True)
class EntityEndpoint:
    """How one PX entity endpoint is read (docs/api.md, "PX: records keys")."""

    stream_class: type[PXStream]
    name: str
    path: str
    records_key: str | None
    primary_key: str
    max_page_size: int = 1000
    #: The richer form of a page-number path, tried first (`PageNumberStream`): the same
    #: records and paging plus more fields (docs/api.md, "PX: page-number pagination").
    richer_path: str | None = None
    #: The model typing an `EntityStream`'s `customAttributes`.
    attribute_model: EntityEndpoint | None = None
    #: Fields whose values are kept as text, whatever their JSON type.
    text_fields: frozenset[str] = frozenset()

    def build(self, tap: Tap) -> PXStream:
        """Instantiate the stream for a tap."""
        stream = self.stream_class(tap, name=self.name, path=self.path)
        stream.records_keys = (self.records_key,) if self.records_key else ()
        stream.max_page_size = self.max_page_size
        stream.primary_keys = (self.primary_key,)
        stream.text_fields = self.text_fields
        if isinstance(stream, EntityStream) and self.attribute_model:
            stream.attribute_model_source = self.attribute_model.build(tap)
        if isinstance(stream, PageNumberStream):
            stream.richer_path = self.richer_path
        return stream


# The attribute models answer with a bare JSON array (docs/api.md, "PX: attribute models").
# An attribute's `defaultValue` has its attribute's type, whichever that is: kept as text.
USER_ATTRIBUTES, ACCOUNT_ATTRIBUTES = (
    EntityEndpoint(
        WholeListStream,
        f"{model}_attributes",
        f"/admin/model/{model}/attributes",
        None,
        "id",
        text_fields=frozenset({"defaultValue"}),
    )
    for model in ("user", "account")
)

PX_ENTITY_ENDPOINTS: tuple[EntityEndpoint, ...] = (
    EntityEndpoint(
        UserStream, "users", "/users", "users", "aptrinsicId", attribute_model=USER_ATTRIBUTES
    ),
    EntityEndpoint(
        EntityStream, "accounts", "/accounts", "accounts", "id", attribute_model=ACCOUNT_ATTRIBUTES
    ),
    EntityEndpoint(
        PageNumberStream, "features", "/feature", "features", "id", 200, "/v2/feature_ext"
    ),
    EntityEndpoint(PageNumberStream, "segments", "/segment", "segments", "id", 200),
    EntityEndpoint(
        PageNumberStream,
        "engagements",
        "/engagement",
        "engagements",
        "id",
        500,
        "/engagement/extended",
    ),
    EntityEndpoint(PageNumberStream, "articles", "/articles", "articleExternalViewList", "id", 500),
    EntityEndpoint(PageNumberStream, "kc_bots", "/kcbot", "kcList", "id", 500),
    USER_ATTRIBUTES,
    ACCOUNT_ATTRIBUTES,
)

#: The admin and monitoring lists (docs/api.md, "PX: admin and monitoring"), read whole. The
#: subscription is one root object; integrations are the one list of `integrationStatuses`.
PX_ADMIN_ENDPOINTS: tuple[EntityEndpoint, ...] = (
    EntityEndpoint(WholeListStream, "subscription", "/admin/subscription", None, "id"),
    EntityEndpoint(
        WholeListStream,
        "integrations",
        "/admin/monitoring/integrations",
        "integrationStatuses",
        "integrationSyncName",
    ),
)


def probe_stream(tap: Tap) -> PXStream:
    """The `accounts` stream, whose one-record page is what `--test` asks for."""
    (accounts,) = [e for e in PX_ENTITY_ENDPOINTS if e.name == "accounts"]
    return accounts.build(tap)
