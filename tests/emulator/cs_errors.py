"""The Gainsight CS response envelope, success and error, and the exception that produces one.

Every CS answer, good or bad, has the same six keys (px-api.md §8.2, C1 sample via C5)::

    {"result": false, "errorCode": "GS_APIG_2401", "errorDesc": "Invalid access key",
     "requestId": "6f1c...", "data": null, "message": null}

``result`` is the success flag, ``errorCode``/``errorDesc`` say why not, ``requestId`` is a
UUID per request. The emulator always leaves ``message`` null.

Error codes: ``GS_APIG_2401`` (bad access key, px-api.md §8.1), ``GSOBJ_1002`` (unknown object),
``GSOBJ_1011`` (no entity matches, §8.2) and ``GSOBJ_1015`` (limit above the maximum) are the
API's own codes as given to the emulator's authors. ``GS_APIG_429`` (rate limited) and
``GSOBJ_1000`` (any other malformed query) are INVENTED by the emulator: the real codes are
unknown, so a client must key on the HTTP status and ``result: false``, never on these.
"""

from __future__ import annotations

from typing import Any

INVALID_ACCESS_KEY = "GS_APIG_2401"
RATE_LIMITED = "GS_APIG_429"  # emulator's invention
BAD_QUERY = "GSOBJ_1000"  # emulator's invention
UNKNOWN_OBJECT = "GSOBJ_1002"
NO_ENTITY = "GSOBJ_1011"
LIMIT_TOO_HIGH = "GSOBJ_1015"

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


def bad_query(desc: str) -> CSError:
    """A 400 for a query the emulator cannot run (unknown field, operator, bad value...)."""
    return CSError(400, BAD_QUERY, desc)
