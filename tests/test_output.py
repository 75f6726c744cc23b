"""RECORD lines are written in blocks; nothing passes a STATE, even on an unbuffered stdout."""

from __future__ import annotations

import contextlib
import io
import json

from singer_sdk.singerlib import RecordMessage, StateMessage

from tap_gainsight.output import WRITE_BLOCK_BYTES, SingerOutput


class CountingRaw(io.RawIOBase):
    """An unbuffered stdout (as under PYTHONUNBUFFERED): counts the writes that reach it."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.writes = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.writes += 1
        self.data += b
        return len(b)


def unbuffered_stdout() -> tuple[io.TextIOWrapper, CountingRaw]:
    raw = CountingRaw()
    return io.TextIOWrapper(raw, write_through=True), raw  # type: ignore[arg-type]


def record(n: int) -> RecordMessage:
    return RecordMessage(stream="s", record={"n": n, "pad": "x" * 200})


def test_records_wait_for_a_state_which_comes_after_all_of_them() -> None:
    stdout, raw = unbuffered_stdout()
    writer = SingerOutput()
    with contextlib.redirect_stdout(stdout):
        for n in range(3):
            writer.write_message(record(n))
        assert raw.writes == 0, "a few records are gathered, not written one by one"
        writer.write_message(StateMessage(value={"bookmarks": {"s": {"n": 2}}}))
    lines = [json.loads(line) for line in raw.data.decode().splitlines()]
    assert [line["type"] for line in lines] == ["RECORD"] * 3 + ["STATE"]
    assert [line["record"]["n"] for line in lines[:3]] == [0, 1, 2]


def test_many_records_are_written_in_blocks_of_whole_lines() -> None:
    stdout, raw = unbuffered_stdout()
    writer = SingerOutput()
    count = 5_000  # about 1.2 MB of lines
    with contextlib.redirect_stdout(stdout):
        for n in range(count):
            writer.write_message(record(n))
        written_before_state = bytes(raw.data)
        writer.write_message(StateMessage(value={}))
    assert written_before_state.endswith(b"\n"), "a block ends on a whole line"
    assert len(raw.data) // WRITE_BLOCK_BYTES <= raw.writes < count // 100
    numbers = [json.loads(line)["record"]["n"] for line in raw.data.decode().splitlines()[:-1]]
    assert numbers == list(range(count))


def test_a_state_written_while_a_record_line_is_half_built_leaves_whole_lines() -> None:
    """The SDK's SIGTERM handler writes the state whenever the signal lands."""
    stdout, raw = unbuffered_stdout()
    writer = SingerOutput()
    prefix, suffix = b'{"type":"RECORD","stream":"s","record":', b"}\n"
    with contextlib.redirect_stdout(stdout):
        writer.write_message(record(0))
        writer._block += prefix  # write_record interrupted after its first step
        writer.write_message(StateMessage(value={"bookmarks": {}}))
        lines = [json.loads(line) for line in raw.data.decode().splitlines()]
        assert [line["type"] for line in lines] == ["RECORD", "STATE"]
        writer._block += b'{"n":1}' + suffix  # the interrupted line, finished
        writer.write_message(StateMessage(value={}))
    lines = [json.loads(line) for line in raw.data.decode().splitlines()]
    assert [line["type"] for line in lines] == ["RECORD", "STATE", "RECORD", "STATE"]
    assert lines[2]["record"] == {"n": 1}
