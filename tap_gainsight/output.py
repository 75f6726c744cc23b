"""How Singer messages reach stdout: encoded by msgspec, written in blocks, flushed per STATE."""

from __future__ import annotations

import sys
import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage, SchemaMessage

if t.TYPE_CHECKING:
    from singer_sdk.singerlib import Message

#: Bytes of RECORD lines gathered before one write to stdout.
WRITE_BLOCK_BYTES = 64 * 1024


class SingerOutput(MsgSpecWriter):
    """Gathers RECORD lines into blocks; writes and flushes everything before any other message.

    A STATE therefore never reaches the target ahead of the records it covers, and the
    records not yet written when a process dies are exactly those its last STATE does not
    cover yet: a resume sends them again. Gathering here rather than relying on stdout's
    buffer matters because stdout is unbuffered under `PYTHONUNBUFFERED` (common in
    containers): a system call per record cost about a tenth of the tap's time, and
    flushing per record about a fifth (docs/benchmarks.md, "What the tap does").
    """

    def __init__(self) -> None:
        super().__init__()
        self._block = bytearray()
        #: The properties of each stream's latest SCHEMA, by stream name (its alias).
        self._properties: dict[str, t.Collection[str]] = {}

    def write_message(self, message: Message) -> None:
        """Write one message; a RECORD loses the nulls under names its SCHEMA lacks.

        The SDK flattens an object into one column per property, but a null object stays a
        null under its own name, which the flattened schema no longer has: with the tap's
        `additionalProperties: false` a validating loader refuses the record. Absent, the
        object's columns are null, as they would be for the object's null. Records of
        streams without flattening hold no such name (`SchemaWatch` drops a new field's
        nulls): one set difference of their keys is all they cost.
        """
        if isinstance(message, RecordMessage):
            record = message.record
            properties = self._properties.get(message.stream)
            if properties is not None and record.keys() - properties:
                for name in [n for n, v in record.items() if v is None and n not in properties]:
                    del record[name]
        elif isinstance(message, SchemaMessage):
            self._properties[message.stream] = message.schema.get("properties", {}).keys()
        line = self.format_message(message)
        block = self._block
        if isinstance(message, RecordMessage):
            block += line
            if len(block) >= WRITE_BLOCK_BYTES:
                sys.stdout.buffer.write(block)
                block.clear()
            return
        # Everything before another message goes out first, in whole lines only (the SDK
        # writes the state from its SIGTERM handler, whenever the signal lands).
        whole = block.rfind(b"\n") + 1
        sys.stdout.buffer.write(block[:whole] + line)
        del block[:whole]
        sys.stdout.flush()
