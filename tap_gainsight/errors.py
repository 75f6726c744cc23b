"""The tap's failures, and how a sync ends on one: state emitted, one line said."""

from __future__ import annotations

import sys
import typing as t

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.singerlib import StateMessage

if t.TYPE_CHECKING:
    from singer_sdk import Tap

    from tap_gainsight.departures import Departures


class UnexpectedResponseError(Exception):
    """The API answered 200 with a body the tap cannot find records in."""


class RunawayPaginationError(RuntimeError):
    """A scroll kept returning full pages far beyond what any tenant holds."""


class RecordsOutOfOrderError(RuntimeError):
    """The API returned records not sorted as asked; a bookmark could skip some."""


class FilterRefused(FatalAPIError):
    """The API answered 4xx to a request because of its `filter` (docs/api.md)."""


class RequestBudgetExhausted(Exception):
    """The run has made as many requests as `max_requests_per_day` allows."""


class ScrollExpiredError(RetriableAPIError):
    """The API no longer knows the `scrollId` it was sent."""


#: Failures worth another try: the API's retriable answers and what networks do.
RETRIABLE_ERRORS: tuple[type[Exception], ...] = (
    RetriableAPIError,
    ConnectionResetError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

#: Failures explained in one line: what a user can act on, not a bug of the tap's.
EXPLAINED_FAILURES: tuple[type[Exception], ...] = (
    FatalAPIError,
    UnexpectedResponseError,
    RunawayPaginationError,
    RecordsOutOfOrderError,
    RequestBudgetExhausted,
    *RETRIABLE_ERRORS,
)


def end_sync(tap: Tap, failure: Exception, departures: Departures) -> t.NoReturn:
    """Stop the whole sync, keeping everything already sent.

    Every bookmark covers only records already written, so the state of this moment is safe
    to resume from: it is emitted, the API's departures seen so far are listed, then one
    line says why the sync stopped. A spent request
    budget is a planned stop (exit 0); anything else exits 1.
    """
    tap.write_message(StateMessage(value=tap.state))
    departures.report()
    if isinstance(failure, RequestBudgetExhausted):
        tap.logger.warning("%s", failure)
        sys.exit(0)
    retried = " after retrying" if isinstance(failure, RETRIABLE_ERRORS) else ""
    tap.logger.error(
        "Sync failed%s: %s The state so far has been emitted; run again to resume.",
        retried,
        str(failure).rstrip(".") + ".",
    )
    sys.exit(1)
