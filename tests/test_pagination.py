"""Paginator and response-shape rules, one edge at a time, on hand-made responses."""

from __future__ import annotations

import json

import pytest
import requests

from tap_gainsight.errors import RunawayPaginationError, UnexpectedResponseError
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


def scroll(**kwargs: int) -> ScrollPaginator:
    return ScrollPaginator(records_of, **kwargs)


def test_repeated_scroll_id_is_not_a_loop() -> None:
    paginator = scroll()
    for _ in range(3):
        paginator.advance(page({"users": users(3), "scrollId": "same", "totalHits": 100}))
    assert not paginator.finished
    assert paginator.current_value == ScrollToken("same", 3)


def test_short_page_is_last_even_with_scroll_id() -> None:
    paginator = scroll()
    paginator.advance(page({"users": users(3), "scrollId": "s", "totalHits": 5}))
    paginator.advance(page({"users": users(2), "scrollId": "s", "totalHits": 5}))
    assert paginator.finished


def test_full_last_page_ends_on_total_hits_without_extra_request() -> None:
    paginator = scroll()
    paginator.advance(page({"users": users(3), "scrollId": "s", "totalHits": 6}))
    assert not paginator.finished
    paginator.advance(page({"users": users(3), "scrollId": "s", "totalHits": 6}))
    assert paginator.finished


def test_full_last_page_without_total_hits_asks_once_more() -> None:
    paginator = scroll()
    paginator.advance(page({"users": users(3), "scrollId": "s"}))
    assert not paginator.finished, "without totalHits a full page may not be the last"
    paginator.advance(page({"users": [], "scrollId": "s"}))
    assert paginator.finished


def test_a_short_page_is_not_the_end_while_total_hits_says_more_remain() -> None:
    paginator = scroll()
    paginator.advance(page({"users": users(2), "scrollId": "s", "totalHits": 5}))
    assert not paginator.finished, "a tenant may cap pages below pageSize"
    paginator.advance(page({"users": users(2), "scrollId": "s", "totalHits": 5}))
    assert not paginator.finished
    paginator.advance(page({"users": users(1), "scrollId": "s", "totalHits": 5}))
    assert paginator.finished


def test_without_total_hits_a_short_page_reads_on_to_an_empty_one() -> None:
    paginator = scroll()
    paginator.advance(page({"users": users(1), "scrollId": "s"}))
    assert not paginator.finished
    paginator.advance(page({"users": [], "scrollId": "s"}))
    assert paginator.finished


def test_missing_scroll_id_ends_the_scroll_only_where_no_total_says_more_remain() -> None:
    without_total = scroll()
    without_total.advance(page({"users": users(3)}))
    assert without_total.finished
    with_total = scroll()
    with_total.advance(page({"users": users(3), "totalHits": 50}))
    assert not with_total.finished, "the reader reopens it"
    assert with_total.current_value.scroll_id is None


def test_runaway_scroll_is_stopped() -> None:
    paginator = scroll(max_pages=4)
    full_page = {"users": users(3), "scrollId": "s"}
    for _ in range(3):
        paginator.advance(page(full_page))
    with pytest.raises(RunawayPaginationError, match="without reaching its end"):
        paginator.advance(page(full_page))


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
