"""Pages that wait: outlined by their reader, held compressed, within one room."""

from __future__ import annotations

import threading
import time

import msgspec
import pytest

from tap_gainsight.errors import UnexpectedResponseError
from tap_gainsight.px.waiting_pages import PageHolding, PageRoom
from tap_gainsight.responses import PageOutline, find_records

KEYS = ("pageViewEvents",)


def body(**fields) -> bytes:
    return msgspec.json.encode(fields)


EVENTS = [
    {"eventId": f"e{n}", "date": 1_700_000_000_000 + n, "path": "/x", "nested": {"a": [n]}}
    for n in range(5)
]


def whole_records(content: bytes) -> list[dict]:
    return find_records(msgspec.json.decode(content), KEYS, "/events/pageView")[0]


def test_an_outline_holds_the_cursor_the_total_and_each_records_key_and_date() -> None:
    outline = PageOutline(("eventId", "date"), KEYS).decode(
        body(results=EVENTS, scrollId="s1", totalHits=9, extra={"big": "x" * 100})
    )
    assert outline == {
        "results": [{"eventId": e["eventId"], "date": e["date"]} for e in EVENTS],
        "scrollId": "s1",
        "totalHits": 9,
    }
    # The outline finds the records where the whole body has them.
    assert find_records(outline, KEYS, "/p")[1] == "results"


@pytest.mark.parametrize(
    "content",
    [
        msgspec.json.encode(EVENTS),  # a list at the root
        body(somethingElse=EVENTS),  # an undocumented key
        body(pageViewEvents=["e1", "e2"]),  # not objects
        body(pageViewEvents={"e1": 1}),  # not a list
    ],
)
def test_what_an_outline_does_not_fit_is_left_to_the_whole_body(content: bytes) -> None:
    assert PageOutline(("eventId", "date"), KEYS).decode(content) is None


def test_a_body_that_is_not_json_is_an_error_as_it_is_whole() -> None:
    with pytest.raises(ValueError, match="truncated"):
        PageOutline(("eventId", "date"), KEYS).decode(body(results=EVENTS)[:40])


def test_a_page_held_compressed_hands_on_exactly_its_records_once() -> None:
    room = PageRoom(4)
    holding = PageHolding(room, threading.Event())
    content = body(pageViewEvents=EVENTS, scrollId="s")
    assert holding.take_room()
    page = holding.compressed(content, len(EVENTS), whole_records, held_room=True)
    assert holding.waiting == 1
    assert list(page) == EVENTS
    assert holding.waiting == 0
    assert room.take(lambda: False), "the page's room was given back"
    with pytest.raises(UnexpectedResponseError, match="twice"):
        list(page)


def test_a_page_that_decodes_to_another_count_is_an_error() -> None:
    holding = PageHolding(PageRoom(4), threading.Event())
    page = holding.compressed(body(pageViewEvents=EVENTS), 4, whole_records, held_room=False)
    with pytest.raises(UnexpectedResponseError, match="5 records, not 4"):
        list(page)


def test_pages_wait_compressed_until_their_window_is_taken_and_then_only_behind_others() -> None:
    taken = threading.Event()
    holding = PageHolding(PageRoom(4), taken)
    assert holding.will_wait(), "a window read ahead: every page waits"
    taken.set()
    assert not holding.will_wait(), "taken, nothing waiting: the emitter wants this page now"
    page = holding.decoded(EVENTS, held_room=False)
    assert holding.will_wait(), "one page waits already: the next one will wait too"
    list(page)
    assert not holding.will_wait()


def test_a_full_room_holds_pages_back_until_one_is_emitted() -> None:
    room = PageRoom(1)
    ahead = PageHolding(room, threading.Event())  # a window read ahead, not yet taken
    assert ahead.take_room()
    page = ahead.compressed(body(pageViewEvents=EVENTS), 5, whole_records, held_room=True)
    took: list[float] = []
    waiter = threading.Thread(target=lambda: took.append(ahead.take_room() and time.monotonic()))
    waiter.start()
    time.sleep(0.2)
    assert not took, "the room is full: the next page read ahead waits"
    emitted_at = time.monotonic()
    list(page)
    waiter.join(timeout=5)
    assert took
    assert took[0] >= emitted_at


def test_the_page_the_emitter_waits_for_needs_no_room() -> None:
    room = PageRoom(0)
    taken = threading.Event()
    taken.set()
    head = PageHolding(room, taken)
    began = time.monotonic()
    assert head.take_room() is False, "taken, nothing waiting: read without room"
    assert time.monotonic() - began < 1
