"""Each record made to fit the schema the target was told: dates, text fields, new fields."""

from __future__ import annotations

import json
import typing as t
from functools import cached_property

from singer_sdk import RESTStream
from typing_extensions import override

from tap_gainsight.timestamps import epoch_ms_to_rfc3339, is_rfc3339_utc

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context
    from singer_sdk.mapper import StreamMap

    from tap_gainsight.schema_watch import SchemaWatch


class RecordShaping(RESTStream[t.Any]):
    """A page's records as the schema says; each product says where a page keeps them."""

    _syncing = False

    def records_of(self, response: requests.Response) -> list[dict]:
        """Return the records of one page (parsed once, shared with the paginator)."""
        raise NotImplementedError

    @property
    def schema_watch(self) -> SchemaWatch:
        """What keeps every record fitting the schema the target was told."""
        raise NotImplementedError

    @cached_property
    def _epoch_ms_fields(self) -> tuple[str, ...]:
        """Top-level fields the API sends as epoch ms and the schema declares date-time."""
        return tuple(
            name
            for name, prop in self.schema["properties"].items()
            if prop.get("format") == "date-time"
        )

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        return self.checked(self.records_of(response))

    #: Fields whose values may be of any JSON type, sent as their JSON text (as declared).
    text_fields: frozenset[str] = frozenset()

    def checked(self, records: list[dict]) -> list[dict]:
        """A page's records, each made to fit the schema in force before it is handed on.

        Only while the stream syncs: a discovery read (the attribute models) has no target.
        """
        if self._syncing:
            for name in self.text_fields:
                for record in records:
                    value = record.get(name)
                    if value is not None and type(value) is not str:
                        record[name] = json.dumps(value)
            self.schema_watch.check_page(records)
        return records

    @property
    @override
    def stream_maps(self) -> list[StreamMap]:
        # Always the mapper's current maps: `SchemaWatch` registers a grown schema there, and
        # the SDK's own property would keep the maps it saw first.
        return self._tap.mapper.stream_maps[self.name]

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        for field in self._epoch_ms_fields:
            value = row.get(field)
            if type(value) is int:  # JSON gives exactly int (bool is not one here)
                # PX reports unknown dates as 0; 1970-01-01 would be a false fact.
                row[field] = epoch_ms_to_rfc3339(value) if value else None
            elif type(value) is str and not is_rfc3339_utc(value):
                self.schema_watch.conform_date(row, field)
        return row
