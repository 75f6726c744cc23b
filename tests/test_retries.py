"""The wait a `Retry-After` header asks for, whatever the server wrote in it."""

from __future__ import annotations

import pytest
import requests

from tap_gainsight.retries import INITIAL_WAIT_SECONDS, retry_after_seconds, retry_waits


def told(value: str) -> Exception:
    """A failure whose response carries `Retry-After: value`."""
    response = requests.Response()
    response.headers["Retry-After"] = value
    error = Exception("429")
    error.response = response  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize("value", ["soon", "Mon, 99 Foo 2020 25:00:00 GMT", "inf", "nan", " "])
def test_a_retry_after_that_is_no_number_nor_date_counts_as_absent(value: str) -> None:
    assert retry_after_seconds(told(value)) is None
    waits = retry_waits()
    next(waits)
    assert waits.send(told(value)) == INITIAL_WAIT_SECONDS, "the first doubling wait"
