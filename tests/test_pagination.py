"""Paginator and response-shape rules, one edge at a time, on hand-made responses."""

from __future__ import annotations

import json

import pytest
import requests

from tap_gainsight.errors import RunawayPaginationError, UnexpectedResponseError
from tap_gainsight.px import history
from tap_gainsight.px.entities import PageNumberEndpointPaginator
from tap_gainsight.px.history import ScrollPaginator, ScrollToken
from tap_gainsight.responses import find_records, response_body


def page(body: object) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()
    return response


def users(n: int) -> list[dict]:
    return [{"aptrinsicId": f"u{i}"} for i in range(n)]


def records_of(response: requests.Response) -> list:
    return find_records(response_body(response), ("users",), "/users")[0]


def goes_on(*bodies: dict) -> list[bool]:
    """Whether the scroll goes on after each of `bodies`, its pages in order."""
    paginator = ScrollPaginator(ScrollToken(), records_of)
    answers = []
    for body in bodies:
        paginator.advance(page(body))
        answers.append(not paginator.finished)
    return answers


def test_repeated_scroll_id_is_not_a_loop() -> None:
    same = {"users": users(3), "scrollId": "same", "totalHits": 100}
    assert goes_on(same, same, same) == [True, True, True]


def test_short_page_is_last_even_with_scroll_id() -> None:
    assert goes_on(
        {"users": users(3), "scrollId": "s", "totalHits": 5},
        {"users": users(2), "scrollId": "s", "totalHits": 5},
    ) == [True, False]


def test_full_last_page_ends_on_total_hits_without_extra_request() -> None:
    full = {"users": users(3), "scrollId": "s", "totalHits": 6}
    assert goes_on(full, full) == [True, False]


def test_full_last_page_without_total_hits_asks_once_more() -> None:
    answers = goes_on({"users": users(3), "scrollId": "s"}, {"users": [], "scrollId": "s"})
    assert answers == [True, False], "without totalHits a full page may not be the last"


def test_a_short_page_is_not_the_end_while_total_hits_says_more_remain() -> None:
    short = {"users": users(2), "scrollId": "s", "totalHits": 5}
    last = {"users": users(1), "scrollId": "s", "totalHits": 5}
    assert goes_on(short, short, last) == [True, True, False], "a tenant may cap pages"


def test_without_total_hits_a_short_page_reads_on_to_an_empty_one() -> None:
    answers = goes_on({"users": users(1), "scrollId": "s"}, {"users": [], "scrollId": "s"})
    assert answers == [True, False]


def test_missing_scroll_id_ends_the_scroll_only_where_no_total_says_more_remain() -> None:
    assert goes_on({"users": users(3)}) == [False]
    assert goes_on({"users": users(3), "totalHits": 50}) == [True], "the reader reopens it"


def test_runaway_scroll_is_stopped(monkeypatch) -> None:
    monkeypatch.setattr(history, "MAX_SCROLL_PAGES", 4)
    full_page = {"users": users(3), "scrollId": "s"}
    assert goes_on(full_page, full_page, full_page) == [True, True, True]
    with pytest.raises(RunawayPaginationError, match="without reaching its end"):
        goes_on(full_page, full_page, full_page, full_page)


def test_page_numbers_stop_on_is_last_page() -> None:
    paginator = PageNumberEndpointPaginator(3, records_of)
    paginator.advance(page({"users": users(3), "pageNumber": 0, "isLastPage": False}))
    assert paginator.current_value == 1
    paginator.advance(page({"users": users(3), "pageNumber": 1, "isLastPage": True}))
    assert paginator.finished


def test_page_numbers_read_past_a_short_page_to_the_end_the_api_says() -> None:
    said: list[str] = []
    paginator = PageNumberEndpointPaginator(3, records_of, lambda what, _: said.append(what))
    paginator.advance(page({"users": users(1), "pageNumber": 0, "isLastPage": False}))
    assert not paginator.finished, "a short page is not the last while isLastPage is false"
    paginator.advance(page({"users": users(1), "pageNumber": 1}))
    assert not paginator.finished, "without isLastPage, read on to an empty page"
    paginator.advance(page({"users": [], "pageNumber": 2}))
    assert paginator.finished
    assert said == [
        "pages shorter than the pageSize asked before the list's end",
        "no isLastPage in a page's answer",
    ]


def test_body_is_parsed_once() -> None:
    response = page({"users": users(1)})
    assert response_body(response) is response_body(response)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"users": users(2), "scrollId": "s"}, "users"),
        ({"results": users(2)}, "results"),
        ({"segmentMatchEvents": users(2), "scrollId": "s"}, "segmentMatchEvents"),
        (users(2), "<root>"),
    ],
)
def test_records_found_under_documented_and_tolerated_keys(body: object, key: str) -> None:
    records, found_under = find_records(body, ("users",), "/users")
    assert found_under == key
    assert [r["aptrinsicId"] for r in records] == ["u0", "u1"]


def test_explicitly_empty_answer_is_zero_records() -> None:
    assert find_records({"scrollId": "s", "totalHits": 0}, ("users",), "/users") == ([], "<empty>")


@pytest.mark.parametrize("body", [{}, {"scrollId": "s", "totalHits": 10}, {"users": None}])
def test_an_answer_without_a_records_list_is_an_empty_page(body: object) -> None:
    assert find_records(body, ("users",), "/users") == ([], "<none>")


@pytest.mark.parametrize("body", [{"a": [{"x": 1}], "b": [{"y": 2}]}, "html"])
def test_unknown_shape_is_an_error_naming_the_endpoint(body: object) -> None:
    with pytest.raises(UnexpectedResponseError, match="/users"):
        find_records(body, ("users",), "/users")
