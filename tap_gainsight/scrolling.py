"""Streams read through scroll cursors, sorted on their replication key."""

from __future__ import annotations

import typing as t
from functools import cached_property

from singer_sdk.streams.rest import PageContext
from typing_extensions import override

from tap_gainsight.client import GainsightPXStream
from tap_gainsight.errors import RecordsOutOfOrderError

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

    from tap_gainsight.pagination import ScrollPaginator


class ScrollPosition:
    """The last key value delivered, and which records were delivered at exactly that value."""

    def __init__(self) -> None:
        self.value_ms: int | None = None
        self._keys_at_value: set[t.Any] = set()

    def admit(self, value_ms: int, key: t.Any) -> bool:
        """Note a record about to be delivered; False if it was delivered already.

        Raises:
            RecordsOutOfOrderError: If the value goes backwards.
        """
        if self.value_ms is None or value_ms > self.value_ms:
            self.value_ms = value_ms
            self._keys_at_value = {key}
            return True
        if value_ms < self.value_ms:
            msg = f"records out of order ({value_ms} after {self.value_ms})"
            raise RecordsOutOfOrderError(msg)
        if key in self._keys_at_value:
            return False
        self._keys_at_value.add(key)
        return True


class ScrollingStream(GainsightPXStream):
    """A stream sorted ascending on its epoch-ms replication key and read by scroll cursors.

    A scroll cursor lives on the server, and a page whose answer was lost may still have moved
    it on (or the cursor may have expired). So a failed page is never asked for again as it
    was: the scroll is reopened from the last key value delivered (`>=`), and the records of
    that value already delivered are dropped, so nothing is lost and nothing sent twice.
    """

    is_sorted = True

    def new_paginator(self) -> ScrollPaginator:
        """Build the paginator of one sync."""
        raise NotImplementedError

    @override
    def get_new_paginator(self) -> ScrollPaginator:
        self._position = ScrollPosition()
        self._paginator = self.new_paginator()
        return self._paginator

    @cached_property
    def _key_field(self) -> str:
        return self.primary_keys[0]

    @override
    def request_for_retry(
        self, failed: requests.PreparedRequest, context: Context | None
    ) -> requests.PreparedRequest:
        if "scrollId=" not in (failed.url or ""):
            return failed  # opening a scroll is safe to repeat
        token = self._paginator.reopen(self._position.value_ms)
        self.logger.warning("%s: reopening the scroll from %s.", self.path, token.since_ms)
        request = self.get_http_request(page=PageContext(context, token))
        return self.build_prepared_request(
            method=request.method,
            url=request.url,
            params=request.encode_params(),
            headers=request.headers,
        )

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        value = row.get(self.replication_key or "")
        if isinstance(value, int):
            try:
                if not self._position.admit(value, row.get(self._key_field)):
                    return None
            except RecordsOutOfOrderError as error:
                msg = f"{self.path} returned {error}; stopping before a bookmark skips any."
                raise RecordsOutOfOrderError(msg) from None
        return super().post_process(row, context)
