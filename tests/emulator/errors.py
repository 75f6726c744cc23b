"""The PX error envelope and the exception the emulator raises to produce it.

Every 4xx the real API sends has the same body (docs/api.md, "PX: errors and rate limits")::

    {"externalapierror": {"status": "NOT_FOUND",
                          "message": "User was not found for parameters {id=absent-id}",
                          "debugMessage": null, "subErrors": null}}

``status`` is the Spring ``HttpStatus`` name (``BAD_REQUEST``, ``UNAUTHORIZED`` ...), not the
number; the number is the HTTP status line.
"""

from __future__ import annotations

from typing import Any

#: HTTP status number -> the ``externalapierror.status`` name the API puts in the body.
STATUS_NAMES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    410: "GONE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}


def error_body(status: int, message: str) -> dict[str, Any]:
    """Build the ``externalapierror`` envelope for an HTTP ``status`` (see the module)."""
    return {
        "externalapierror": {
            "status": STATUS_NAMES.get(status, str(status)),
            "message": message,
            "debugMessage": None,
            "subErrors": None,
        }
    }


class ApiError(Exception):
    """Raised by endpoint code; the server turns it into an ``externalapierror`` response."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body for this error."""
        return error_body(self.status, self.message)


def bad_request(message: str) -> ApiError:
    """A 400 ``BAD_REQUEST`` (malformed filter, pageSize over max, event range > 190 days...)."""
    return ApiError(400, message)
