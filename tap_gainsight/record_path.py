"""The SDK's record loop, without the per-record work that has no effect on this tap's streams.

The SDK (0.54) sends each record through a `RecordMessage`, the stream map, a dictionary
conversion and the writer, and asks the state manager for the stream's state dictionary
on every record: about two thirds of the tap's time per record (docs/benchmarks.md). When
nothing of that can change a record, `sync_records` does the same work directly: the
RECORD line is written from bytes prepared once per stream, the bookmark is set on the
state dictionary the SDK itself would set, and STATE messages go out at the same records.
The messages are those of the SDK's loop, byte for byte but for `time_extracted` (taken
per millisecond rather than per record); `tests/test_sdk_contract.py` compares them and
fails if the SDK's loop changes.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
import typing as t

from singer_sdk import Stream
from singer_sdk.contrib.msgspec import encoder
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL

from tap_gainsight.output import SingerOutput

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable

    from singer_sdk import metrics
    from singer_sdk.helpers.types import Context

#: Records counted into the SDK's record counter at once.
COUNT_EVERY_RECORDS = 1000


def takes_direct_path(stream: Stream, *, write_messages: bool) -> bool:
    """Whether nothing the SDK does per record could change what this stream writes.

    That is: every property selected (nothing to pop), the default map only (no stream maps,
    aliases or flattening), no dry-run record limit, and this tap's writer.
    """
    maps = stream.stream_maps
    return (
        write_messages
        and stream.selected
        and stream.ABORT_AT_RECORD_COUNT is None
        and all(stream.mask.values())
        and len(maps) == 1
        and type(maps[0]) is SameRecordTransform
        and not maps[0].flattening_enabled
        and isinstance(stream._tap.message_writer, SingerOutput)
    )


class RecordLines:
    """The bytes around each record in a RECORD line, as the SDK's message would encode."""

    def __init__(self, stream_alias: str, version: int | None) -> None:
        self.prefix = b'{"type":"RECORD","stream":' + encoder.encode(stream_alias) + b',"record":'
        self._version = b"" if version is None else b',"version":' + encoder.encode(version)

    def suffix(self, now_ms: int) -> bytes:
        """`,"version":…,"time_extracted":"…"}` and the newline, for a millisecond."""
        extracted = dt.datetime.fromtimestamp(now_ms / 1000, tz=dt.timezone.utc)
        return self._version + b',"time_extracted":' + encoder.encode(extracted) + b"}\n"


def bookmark_setter(stream: Stream, context: Context | None) -> Callable[[dict], None]:
    """What advances the bookmark after one record, with the SDK's outcome.

    For a sorted stream that does not check its order and keeps the SDK's rule, the SDK
    sets the state's `replication_key_value` to the record's value when it is a string;
    that is done here on the same dictionary, fetched once. Anything else (a date object, a
    null, a stream with its own rule or with progress markers) goes to the SDK's method.
    """
    if stream.replication_method != REPLICATION_INCREMENTAL:
        return _no_bookmark

    def sdk_rule(record: dict) -> None:
        stream._increment_stream_state(record, context=context)

    key = stream.replication_key
    simple = (
        key
        and type(stream)._increment_stream_state is Stream._increment_stream_state
        and stream.is_sorted
        and not stream.check_sorted
        and stream.state_partitioning_keys is None
    )
    if not simple:
        return sdk_rule
    state = stream.state_manager.get_context_state(context)

    def last_value(record: dict) -> None:
        value = record.get(key)
        if type(value) is str:
            state["replication_key"] = key
            state["replication_key_value"] = value
        else:
            sdk_rule(record)

    return last_value


def _no_bookmark(record: dict) -> None:
    """Full-table streams keep no bookmark."""


def sync_records(stream: Stream, context: Context | None) -> Generator[dict]:
    """The SDK's `Stream._sync_records` for a stream `takes_direct_path` accepts."""
    record_counter = stream.get_record_counter()
    timer = stream.get_sync_timer()
    writer = DirectWriter(stream)
    context_list = [context] if context is not None else stream.partitions
    with record_counter, timer:
        for context_element in context_list or [{}]:
            record_counter.with_context(context_element)
            timer.with_context(context_element)
            current_context = context_element or None
            partition_context = stream._get_state_partition_context(current_context)
            stream._write_starting_replication_value(current_context)
            yield from writer.partition(current_context, partition_context, record_counter)
            if current_context == partition_context:
                stream._finalize_state(stream.get_context_state(current_context))

    if not context:
        stream._finalize_state(stream.stream_state)
    stream._write_state_message()


class DirectWriter:
    """The records of one stream's partitions, written and counted as the SDK's loop does."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self._output: SingerOutput = stream._tap.message_writer  # type: ignore[assignment]
        self._lines = RecordLines(stream.stream_maps[0].stream_alias, stream._stream_version)
        #: Records written over all partitions: STATE goes out every STATE_MSG_FREQUENCY.
        self.record_index = 0

    def partition(
        self,
        context: Context | None,
        partition_context: Context | None,
        record_counter: metrics.Counter,
    ) -> Generator[dict]:
        """Write, bookmark and yield the records of one partition (or of the whole stream)."""
        stream, output, lines = self.stream, self._output, self._lines
        state_manager = stream.state_manager
        frequency = stream.STATE_MSG_FREQUENCY
        child_context = None if context is None else copy.copy(context)
        partition_items = tuple((partition_context or {}).items())
        has_children = bool(stream.child_streams)
        set_bookmark = bookmark_setter(stream, context)
        suffix_ms, suffix = -1, b""
        uncounted = 0
        # This tap's streams yield records, never (record, child context) pairs.
        records = t.cast("Iterable[dict]", stream.get_records(context))
        try:
            for raw in records:
                record = stream.post_process(raw, context)
                if record is None:
                    continue
                if has_children:
                    stream._process_record(
                        record, child_context=child_context, partition_context=partition_context
                    )
                else:
                    for name, value in partition_items:
                        if name not in record:
                            record[name] = value
                now_ms = time.time_ns() // 1_000_000
                if now_ms != suffix_ms:
                    suffix_ms, suffix = now_ms, lines.suffix(now_ms)
                output.write_record(lines.prefix, record, suffix)
                state_manager.is_flushed = False
                set_bookmark(record)
                self.record_index += 1
                if self.record_index % frequency == 0:
                    stream._write_state_message()
                uncounted += 1
                if uncounted == COUNT_EVERY_RECORDS:
                    record_counter.increment(uncounted)
                    uncounted = 0
                yield record
        finally:
            record_counter.increment(uncounted)
