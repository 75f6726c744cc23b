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
    flushing per record about a fifth (singer-sdk.md, section 2.2).
    """

    def __init__(self) -> None:
        super().__init__()
        self._block = bytearray()

    def write_message(self, message: Message) -> None:  # noqa: D102
        self._block += self.format_message(message)
        is_record = message.type == SingerMessageType.RECORD
        if is_record and len(self._block) < WRITE_BLOCK_BYTES:
            return
        sys.stdout.buffer.write(self._block)
        self._block.clear()
        if not is_record:
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
