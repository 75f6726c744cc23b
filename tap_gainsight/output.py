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

    So a STATE never reaches the target ahead of the records it covers. Blocks, not stdout's
    buffer: `PYTHONUNBUFFERED` (common in containers) would cost a system call per record.
    """

    def __init__(self) -> None:
        super().__init__()
        self._block = bytearray()
        #: The properties of each stream's latest SCHEMA, by stream name (its alias).
        self._properties: dict[str, t.Collection[str]] = {}

    def write_message(self, message: Message) -> None:
        """Write one message; a RECORD loses the nulls under names its SCHEMA lacks.

        Flattening leaves a null object under its own name, which the flattened schema lacks
        (`additionalProperties: false`): absent, its columns are null, as meant.
        """
        block = self._block
        if isinstance(message, RecordMessage):
            record, properties = message.record, self._properties.get(message.stream)
            if properties is not None and record.keys() - properties:
                for name in [n for n, v in record.items() if v is None and n not in properties]:
                    del record[name]
            block += self.format_message(message)
            if len(block) >= WRITE_BLOCK_BYTES:
                sys.stdout.buffer.write(block)
                block.clear()
            return
        if isinstance(message, SchemaMessage):
            self._properties[message.stream] = message.schema.get("properties", {}).keys()
        # Everything before another message goes out first, in whole lines only (the SDK
        # writes the state from its SIGTERM handler, whenever the signal lands).
        whole = block.rfind(b"\n") + 1
        sys.stdout.buffer.write(block[:whole] + self.format_message(message))
        del block[:whole]
        sys.stdout.flush()
