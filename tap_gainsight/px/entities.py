"""PX entity streams: one table of endpoints, one class per paging style."""

from __future__ import annotations

import copy
import json
import typing as t
from dataclasses import dataclass
from functools import cached_property

from typing_extensions import override

from tap_gainsight.px.client import PXStream
from tap_gainsight.px.custom_attributes import AttributeModel
from tap_gainsight.px.pagination import PageNumberEndpointPaginator, ScrollPage, ScrollPaginator
from tap_gainsight.px.scrolling import ScrollingStream
from tap_gainsight.timestamps import to_epoch_ms

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context
    from singer_sdk.pagination import BaseAPIPaginator


class ScrollStream(ScrollingStream):
    """An entity read through a scroll cursor (`/users`, `/accounts`).

    Incremental on `lastModifiedDate`: a run without a bookmark reads the whole table
    (`start_date` bounds event history, not entities: a user untouched for a year is still a
    user). Later runs ask for `filter=lastModifiedDate>=<bookmark>` sorted ascending, so the
    bookmark advances with every record and an interrupted sync resumes where it stopped.
    The filter's support on these endpoints is inferred from the PX docs' filter grammar
    (px-api.md, section 4.1); were it ignored the stream would re-read everything, still
    correct. Were the sort ignored, the SDK's sort check stops the sync with an error
    rather than save a wrong bookmark.
    """

    #: The endpoint whose attribute definitions type `customAttributes`.
    attribute_model_endpoint: EntityEndpoint | None = None

    @cached_property
    def attribute_model(self) -> AttributeModel | None:
        """The typed `customAttributes`, or None (untyped) when the model cannot be read."""
        endpoint = self.attribute_model_endpoint
        if endpoint is None:
            return None
        try:
            return AttributeModel.from_definitions(endpoint.build(self._tap).request_records(None))
        except Exception as failure:
            self.logger.warning(
                "Could not read the attribute model at %s (%s); customAttributes stays an "
                "untyped object.",
                endpoint.path,
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
    def scrolls(self, context: Context | None) -> tuple[ScrollPaginator]:
        return (ScrollPaginator(self.page_size, self.records_of),)

    @override
    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        token: ScrollPage = next_page_token or ScrollPage()
        params: dict[str, t.Any] = {"pageSize": self.page_size, "scrollId": token.scroll_id}
        params["sort"] = self.replication_key
        since_ms = token.since_ms
        if since_ms is None and (bookmark := self.bookmark(context)):
            since_ms = to_epoch_ms(bookmark)
        if since_ms is not None:
            params["filter"] = f"{self.replication_key}>={since_ms}"
        return params


class PageNumberStream(PXStream):
    """A full-table entity read page by page (`pageNumber` from 0)."""

    @override
    def get_new_paginator(self) -> BaseAPIPaginator:
        return PageNumberEndpointPaginator(self.page_size, self.records_of)

    @override
    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return {"pageSize": self.page_size, "pageNumber": next_page_token or 0}


class AttributeModelStream(PXStream):
    """An attribute model (user or account), answered whole in one response."""

    @override
    def get_new_paginator(self) -> None:
        return None

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        default = row.get("defaultValue")
        if default is not None and not isinstance(default, str):
            row["defaultValue"] = json.dumps(default)
        return super().post_process(row, context)


@dataclass(frozen=True)
class EntityEndpoint:
    """How one PX entity endpoint is read (px-api.md, sections 0 and 4)."""

    stream_class: type[PXStream]
    name: str
    path: str
    records_key: str | None
    primary_key: str
    max_page_size: int = 1000
    replication_key: str | None = None
    attribute_model: EntityEndpoint | None = None

    def build(self, tap: Tap) -> PXStream:
        """Instantiate the stream for a tap."""
        stream = self.stream_class(tap, name=self.name, path=self.path)
        stream.records_keys = (self.records_key,) if self.records_key else ()
        stream.max_page_size = self.max_page_size
        stream.primary_keys = (self.primary_key,)
        stream.replication_key = self.replication_key
        if isinstance(stream, ScrollStream):
            stream.attribute_model_endpoint = self.attribute_model
        return stream


# The attribute models answer with a bare JSON array (inferred, px-api.md section 4.8);
# an object wrapping a single list is accepted too.
USER_ATTRIBUTES = EntityEndpoint(
    AttributeModelStream, "user_attributes", "/admin/model/user/attributes", None, "id"
)
ACCOUNT_ATTRIBUTES = EntityEndpoint(
    AttributeModelStream, "account_attributes", "/admin/model/account/attributes", None, "id"
)

PX_ENTITY_ENDPOINTS: tuple[EntityEndpoint, ...] = (
    EntityEndpoint(
        ScrollStream,
        "users",
        "/users",
        "users",
        "aptrinsicId",
        replication_key="lastModifiedDate",
        attribute_model=USER_ATTRIBUTES,
    ),
    EntityEndpoint(
        ScrollStream,
        "accounts",
        "/accounts",
        "accounts",
        "id",
        replication_key="lastModifiedDate",
        attribute_model=ACCOUNT_ATTRIBUTES,
    ),
    EntityEndpoint(PageNumberStream, "features", "/feature", "features", "id", 200),
    EntityEndpoint(PageNumberStream, "segments", "/segment", "segments", "id", 200),
    EntityEndpoint(PageNumberStream, "engagements", "/engagement", "engagements", "id", 500),
    EntityEndpoint(PageNumberStream, "articles", "/articles", "articleExternalViewList", "id", 500),
    EntityEndpoint(PageNumberStream, "kc_bots", "/kcbot", "kcList", "id", 500),
    USER_ATTRIBUTES,
    ACCOUNT_ATTRIBUTES,
)


def probe_stream(tap: Tap) -> PXStream:
    """The `accounts` stream, whose one-record page is what `--test` asks for."""
    (accounts,) = [e for e in PX_ENTITY_ENDPOINTS if e.name == "accounts"]
    return accounts.build(tap)
