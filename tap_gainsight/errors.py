"""The tap's failures, and how a run ends on one: state emitted, one line said."""

from __future__ import annotations

import contextlib
import re
import socket
import sys
import typing as t
from urllib.parse import urlsplit, urlunsplit

import requests
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError
from singer_sdk.singerlib import StateMessage
from urllib3.exceptions import NameResolutionError, NewConnectionError

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterator

    from singer_sdk import Tap

    from tap_gainsight.departures import Departures


class UnexpectedResponseError(Exception):
    """The API answered 200 with a body the tap cannot find records in."""


class RunawayPaginationError(RuntimeError):
    """A scroll kept returning full pages far beyond what any tenant holds."""


class FilterRefused(FatalAPIError):
    """The API answered 4xx to a request because of its `filter` (docs/api.md)."""


class RequestBudgetExhausted(Exception):
    """The run has made as many requests as `max_requests_per_day` allows."""


class ScrollExpiredError(RetriableAPIError):
    """The API no longer knows the `scrollId` it was sent."""


class KeyRefused(FatalAPIError):
    """The API refused the key (HTTP 401 or 403): no request of the run can succeed."""


class EndpointRefused(FatalAPIError):
    """One endpoint refused a key the core endpoint accepts: a module or right it lacks.

    The stream is skipped, the run goes on (docs/api.md, "PX and CS: refusals").
    """

    def __init__(self, path: str, status: int, message: str) -> None:
        super().__init__(f"{path} refused the request (HTTP {status}): {message}")
        self.path, self.status, self.message = path, status, message


class PageSizeRefused(FatalAPIError):
    """The API refused the size of page asked (a 400 saying so): smaller pages are asked."""

    def __init__(self, path: str, size: int, message: str) -> None:
        super().__init__(f"{path} refused pages of {size} records (HTTP 400): {message}")
        self.message = message


class SelectRefused(FatalAPIError):
    """A CS query answered 400: perhaps for a field of its select (`cs/select.py`)."""

    def __init__(self, failure: FatalAPIError, reason: str) -> None:
        super().__init__(str(failure))
        #: What the API said, to find a field named in it.
        self.reason = reason


class WindowRefused(FatalAPIError):
    """A 400 to the request opening a date range: longer than the tenant takes (docs/api.md)."""


class HostUnreachable(Exception):
    """A host that has not answered once in this run could not be reached, or kept silent."""


class BadInputError(Exception):
    """A state or catalog the tap cannot use; its message says what to do."""


#: Failures worth another try: the API's retriable answers and what networks do.
RETRIABLE_ERRORS: tuple[type[Exception], ...] = (
    RetriableAPIError,
    ConnectionResetError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

#: Failures explained in one line, without a traceback: what a user can act on, not a bug
#: of the tap's.
EXPLAINED_FAILURES: tuple[type[Exception], ...] = (
    FatalAPIError,
    UnexpectedResponseError,
    RunawayPaginationError,
    RequestBudgetExhausted,
    *RETRIABLE_ERRORS,
    HostUnreachable,
    BadInputError,
)

#: The settings or the network are wrong, not the data: discovery stops rather than carry on
#: with less (an untyped model, only the built-in objects).
SETUP_FAILURES: tuple[type[Exception], ...] = (KeyRefused, HostUnreachable)


#: The failures of requests' own that mean no connection was made, in words.
_NOT_CONNECTED: tuple[tuple[type[Exception], str], ...] = (
    (requests.exceptions.ProxyError, "the proxy could not be reached or refused the connection"),
    (requests.exceptions.SSLError, "the TLS handshake failed"),
    (requests.exceptions.ConnectTimeout, "connecting timed out"),
)
_NO_SUCH_HOST = "no such host: the name does not resolve"


def connect_failure(error: BaseException) -> str | None:
    """Why no connection could be made (refused, no such host...); None once connected."""
    # requests' ConnectionError wraps urllib3's MaxRetryError, whose reason is the failure.
    wrapped = error.args[0] if error.args else None
    reason = getattr(wrapped, "reason", wrapped)
    for kind, words in _NOT_CONNECTED:
        if isinstance(error, kind):
            return _with_certificate_fault(words, reason)
    if not isinstance(error, requests.exceptions.ConnectionError):
        return None
    if isinstance(reason, NameResolutionError):
        return _NO_SUCH_HOST
    if isinstance(reason, NewConnectionError):
        return _os_error_words(reason.__cause__ or reason.__context__)
    return None


#: How urllib3 words the read timeout of a request that timed out.
_READ_TIMEOUT = re.compile(r"read timeout=([0-9.]+)")


def silence(error: BaseException) -> str | None:
    """How long a host kept silent before any answer, in words, or None if it answered.

    A body that stopped coming is no silence: the host answered.
    """
    if not isinstance(error, requests.exceptions.ReadTimeout):
        return None
    found = _READ_TIMEOUT.search(str(error))
    return f"within {float(found.group(1)):g} s" if found else "within the read timeout"


def _with_certificate_fault(words: str, reason: t.Any) -> str:
    """`words`, and what was wrong with the server's certificate if that is the fault."""
    fault = reason.args[0] if isinstance(reason, Exception) and reason.args else reason
    verify_message = getattr(fault, "verify_message", None)
    return f"{words}: {verify_message}" if verify_message else words


def _os_error_words(os_error: BaseException | None) -> str:
    """What the system said when a connection could not be made."""
    if isinstance(os_error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(os_error, socket.gaierror):
        return _NO_SUCH_HOST
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror.lower()
    return "no connection could be made"


def public_url(url: str | None) -> str:
    """A request's URL fit for a log line: no query, no user or password."""
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def explain(failure: BaseException) -> str:
    """A failure in words, without a closing period.

    No connection or no answer says where (no query) and why.
    """
    request = getattr(failure, "request", None)
    if request is not None and (reason := connect_failure(failure)):
        return f"Cannot connect to {public_url(request.url)} ({reason})"
    if request is not None and (quiet := silence(failure)):
        return f"No answer from {public_url(request.url)} {quiet}"
    return str(failure).rstrip(".")


def unreachable(error: BaseException, tries: int, settings: str) -> HostUnreachable:
    """The one-line failure of a host not reached (or silent) in `tries` tries."""
    times = "once" if tries == 1 else f"{tries} times"
    slow = ", or raise request_timeout_seconds if that host is only slow" if silence(error) else ""
    return HostUnreachable(
        f"{explain(error)}, tried {times}. Check the {settings} setting, and the network or proxy "
        f"between this machine and that host{slow}."
    )


@contextlib.contextmanager
def failures_in_one_line(logger: logging.Logger, what: str) -> Iterator[None]:
    """End a run (sync, discovery, test) on a failure the user can act on: one line, exit 1.

    A bad setting, state or catalog, a refused key, an unreachable host: no traceback.
    """
    try:
        yield
    except ConfigValidationError as failure:
        for error in failure.errors:
            logger.error("Config validation error: %s", error)
        sys.exit(1)
    except EXPLAINED_FAILURES as failure:
        logger.error("%s failed: %s.", what, explain(failure))
        sys.exit(1)


def end_sync(tap: Tap, failure: Exception, departures: Departures) -> t.NoReturn:
    """Stop the sync: the state (it covers only records written), the departures, one line.

    A spent request budget is a planned stop (exit 0); anything else exits 1.
    """
    tap.write_message(StateMessage(value=tap.state))
    departures.report()
    if isinstance(failure, RequestBudgetExhausted):
        tap.logger.warning("%s", failure)
        sys.exit(0)
    retried = " after retrying" if isinstance(failure, RETRIABLE_ERRORS) else ""
    tap.logger.error(
        "Sync failed%s: %s. The state so far has been emitted; run again to resume.",
        retried,
        explain(failure),
    )
    sys.exit(1)
