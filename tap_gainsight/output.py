"""How Singer messages reach stdout: encoded by msgspec, written in blocks, flushed per STATE."""

from __future__ import annotations

import sys
import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from singer_sdk.singerlib.encoding.base import SingerMessageType

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

    def write_message(self, message: Message) -> None:  # noqa: D102
        line = self.format_message(message)
        block = self._block
        if message.type == SingerMessageType.RECORD:
            block += line
            if len(block) >= WRITE_BLOCK_BYTES:
                sys.stdout.buffer.write(block)
                block.clear()
            return
        # Everything before another message goes out first. The SDK writes the state from
        # its SIGTERM handler, which may run while a RECORD line is half built here: that
        # part stays behind, so the output holds whole lines only.
        whole = block.rfind(b"\n") + 1
        sys.stdout.buffer.write(block[:whole] + line)
        del block[:whole]
        sys.stdout.flush()

    def write_record(self, prefix: bytes, record: dict, suffix: bytes) -> None:
        """Add one RECORD line from its record and the bytes around it (`record_path`)."""
        block = self._block
        block += prefix
        encoder.encode_into(record, block, -1)
        block += suffix
        if len(block) >= WRITE_BLOCK_BYTES:
            sys.stdout.buffer.write(block)
            block.clear()
