"""Position: what a scroll hands on, page after page and after a reopened scroll."""

from __future__ import annotations

from tap_gainsight.position import Position


def events(*pairs: tuple[int, str]) -> list[dict]:
    return [{"date": date, "eventId": key} for date, key in pairs]


def position() -> Position:
    return Position("date", lambda record: record["eventId"])


def ids(records: list[dict]) -> list[str]:
    return [record["eventId"] for record in records]


def test_pages_in_order_pass_whole() -> None:
    scroll = position()
    assert ids(scroll.admit(events((1, "a"), (2, "b"), (2, "c")))) == ["a", "b", "c"]
    assert ids(scroll.admit(events((3, "d"), (4, "e")))) == ["d", "e"]
    assert scroll.place == 4


def test_a_millisecond_shared_across_a_page_edge_loses_nothing() -> None:
    scroll = position()
    scroll.admit(events((1, "a"), (5, "b"), (5, "c")))
    assert ids(scroll.admit(events((5, "d"), (5, "e"), (6, "f")))) == ["d", "e", "f"]


def test_a_reopened_scroll_drops_only_what_was_handed_on_at_its_last_value() -> None:
    scroll = position()
    scroll.admit(events((1, "a"), (5, "b"), (5, "c")))
    # Reopened from `date >= 5`: b and c again, then d at the same millisecond.
    assert ids(scroll.admit(events((5, "b"), (5, "c"), (5, "d"), (7, "e")))) == ["d", "e"]
    assert ids(scroll.admit(events((7, "e"), (8, "f")))) == ["f"]


def test_records_going_backwards_are_all_handed_on_once_and_said_once() -> None:
    said: list[tuple[int, int]] = []
    scroll = Position(
        "date", lambda record: record["eventId"], floor_ms=1, on_disorder=lambda *v: said.append(v)
    )
    scroll.admit(events((5, "a")))
    assert ids(scroll.admit(events((6, "b"), (4, "c"), (3, "d")))) == ["b", "c", "d"]
    assert said == [(4, 6)]
    assert scroll.reopen_from() == 1, "out of order: a failed scroll reopens from its start"
    # Reopened from its start: what was handed on since the disorder is dropped.
    assert ids(scroll.admit(events((6, "b"), (4, "c"), (2, "e"), (7, "f")))) == ["e", "f"]
    assert scroll.place == 7


def test_a_record_without_a_value_passes_and_keeps_the_order_check() -> None:
    scroll = position()
    page = [{"eventId": "a", "date": 1}, {"eventId": "b"}, {"eventId": "c", "date": 3}]
    assert ids(scroll.admit(page)) == ["a", "b", "c"]
    assert scroll.place == 3
    assert scroll.admit([]) == []
    assert scroll.place == 3


def entity_position(floor_ms: int | None = None) -> Position:
    return Position("date", lambda record: record["eventId"], floor_ms=floor_ms, remember_all=True)


def test_records_below_the_floor_are_dropped_and_the_lowest_is_told() -> None:
    scroll = entity_position(floor_ms=5)
    assert ids(scroll.admit(events((2, "a"), (4, "b"), (5, "c"), (6, "d")))) == ["c", "d"]
    assert scroll.lowest_below == 2
    assert ids(scroll.admit(events((7, "e")))) == ["e"]
    assert scroll.lowest_below is None


def test_remembering_every_key_drops_a_resent_record_but_not_a_changed_one() -> None:
    scroll = entity_position()
    scroll.admit(events((1, "a"), (2, "b"), (3, "c")))
    # Reopened a millisecond below its last value: b again, and a changed since (now 4).
    assert ids(scroll.admit(events((2, "b"), (3, "c"), (4, "a")))) == ["a"]
    assert scroll.in_order


def test_follows_asks_each_place_strictly_after_the_last() -> None:
    scroll = position()
    assert scroll.follows(events((1, "a"), (2, "b")))
    assert not scroll.follows(events((2, "a"), (2, "b")))
    scroll.admit(events((3, "c")))
    assert not scroll.follows(events((3, "d")))
    assert scroll.follows([])
