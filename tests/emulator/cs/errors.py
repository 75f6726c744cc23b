"""The Gainsight CS response envelopes, success and error, and the exceptions that produce them.

Query answers and errors have six keys, ``result``, ``errorCode``, ``errorDesc``,
``requestId``, ``data``, ``message`` (docs/api.md, "CS: query, paging and order"); the
metadata endpoints answer ``requestId``, ``result``, ``data`` only, and delete-log answers add
``localizedErrorDesc`` and ``localizedMessage``. ``OBJECT_NOT_FOUND`` has its own body,
without ``errorCode`` (its HTTP status, 400, is this emulator's guess: key on ``title``).

``GS_APIG_2401``, ``GSOBJ_1002``, ``GSOBJ_1011`` and ``GSOBJ_1015`` are the API's codes;
``GS_APIG_429``, ``GSOBJ_1000`` and ``GSOBJ_1403`` are invented: a client keys on the status
and ``result: false``.
"""

from __future__ import annotations

from typing import Any

INVALID_ACCESS_KEY = "GS_APIG_2401"
RATE_LIMITED = "GS_APIG_429"  # emulator's invention
BAD_QUERY = "GSOBJ_1000"  # emulator's invention
UNKNOWN_OBJECT = "GSOBJ_1002"
NO_ENTITY = "GSOBJ_1011"
LIMIT_TOO_HIGH = "GSOBJ_1015"
ACCESS_DENIED = "GSOBJ_1403"  # emulator's invention (``CSQuirks.refused_objects``)

NO_ENTITY_DESC = "No entity matches the given criteria"


def envelope(
    request_id: str,
    *,
    data: Any = None,
    error_code: str | None = None,
    error_desc: str | None = None,
) -> dict[str, Any]:
    """The CS envelope; ``result`` is true exactly when there is no error code/description."""
    return {
        "result": error_code is None and error_desc is None,
        "errorCode": error_code,
        "errorDesc": error_desc,
        "requestId": request_id,
        "data": data,
        "message": None,
    }


class CSError(Exception):
    """Raised by endpoint code; the server answers ``status`` with an error envelope."""

    def __init__(self, status: int, code: str | None, desc: str) -> None:
        super().__init__(f"{status} {code}: {desc}")
        self.status = status
        self.code = code
        self.desc = desc

    def body(self, request_id: str) -> dict[str, Any]:
        """The JSON body for this error."""
        return envelope(request_id, error_code=self.code, error_desc=self.desc)


OBJECT_NOT_FOUND = "OBJECT_NOT_FOUND"
OBJECT_NOT_FOUND_DETAIL = "Requested object not found."


class ObjectNotFound(CSError):
    """The documented "object not found" answer (module docstring); ``instance`` is the time
    of the answer, ``yyyy-MM-dd HH:mm:ss UTC``."""

    def __init__(self, instance: str) -> None:
        super().__init__(400, None, OBJECT_NOT_FOUND_DETAIL)
        self.instance = instance

    def body(self, request_id: str) -> dict[str, Any]:
        """The documented body: no ``errorCode``, ``data`` or ``message`` keys."""
        return {
            "requestId": request_id,
            "result": False,
            "instance": self.instance,
            "title": OBJECT_NOT_FOUND,
            "detail": OBJECT_NOT_FOUND_DETAIL,
            "errorDesc": OBJECT_NOT_FOUND_DETAIL,
        }


def bad_query(desc: str) -> CSError:
    """A 400 for a query the emulator cannot run (unknown field, operator, bad value...)."""
    return CSError(400, BAD_QUERY, desc)
