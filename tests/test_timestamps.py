"""Epoch milliseconds to RFC 3339 and back, exact to the millisecond."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tap_gainsight.timestamps import epoch_ms_to_rfc3339, parse_setting_datetime, to_epoch_ms

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def reference(value: int) -> str:
    """The slow, obviously right formatting the fast one must match."""
    moment = EPOCH + dt.timedelta(milliseconds=value)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


EDGES = [
    0,
    1,
    86_399_999,  # last millisecond of a day
    86_400_000,
    951_782_399_999,  # 2000-02-28T23:59:59.999Z, before a leap day
    951_782_400_000,
    1_704_067_199_999,  # the last millisecond of 2023
    1_704_067_200_000,
    -1,  # before the epoch
    253_402_300_799_999,  # 9999-12-31T23:59:59.999Z
]


@pytest.mark.parametrize("value", EDGES)
def test_edges_match_the_reference(value: int) -> None:
    assert epoch_ms_to_rfc3339(value) == reference(value)


def test_random_milliseconds_match_the_reference_and_round_trip() -> None:
    draw = random.Random(3).randrange
    for value in (draw(-(10**12), 4 * 10**12) for _ in range(20_000)):
        formatted = epoch_ms_to_rfc3339(value)
        assert formatted == reference(value)
        assert to_epoch_ms(parse_setting_datetime(formatted)) == value
