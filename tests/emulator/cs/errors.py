"""The Gainsight CS response envelopes, success and error, and the exceptions that produce them.

Query answers and errors have the same six keys (docs/api.md, "CS: query, paging and order", the
documented sample)::

    {"result": false, "errorCode": "GS_APIG_2401", "errorDesc": "Invalid access key",
     "requestId": "6f1c...", "data": null, "message": null}

``result`` is the success flag, ``errorCode``/``errorDesc`` say why not, ``requestId`` is a
UUID per request. The emulator always leaves ``message`` null. Two documented variations:

* the metadata endpoints (list, describe) answer ``{"requestId", "result", "data"}`` only, as
  their samples do (docs/api.md, "CS: objects list and describe", "CS: objects list and describe");
* delete-log answers add ``localizedErrorDesc`` and ``localizedMessage`` (null), as the
  delete-log sample does (docs/api.md, "CS: delete logs", ``deletes``).

A missing object has its own documented body (docs/api.md, "CS: objects list and describe": a
peer's ``describe_not_found_response.json``), WITHOUT ``errorCode``; ``ObjectNotFound`` writes it::

    {"requestId": "b698e142-...", "result": false, "instance": "2021-02-03 10:31:28 UTC",
     "title": "OBJECT_NOT_FOUND", "detail": "Requested object not found.",
     "errorDesc": "Requested object not found."}

It answers a describe none of whose names is known, and a query of
``record_delete_log_high_volume`` on a tenant without that log. Its HTTP status is not
documented; the emulator sends 400 ([I]): key on ``title``, not on the status.

Error codes: ``GS_APIG_2401`` (bad access key, docs/api.md, "CS: transport and limits"),
``GSOBJ_1002`` (query
of an unknown object), ``GSOBJ_1011`` (no entity matches, "CS query") and ``GSOBJ_1015`` (limit
above the maximum) are the API's own codes as given to the emulator's authors. ``GS_APIG_429`` (rate
limited), ``GSOBJ_1000`` (any other malformed query, a refused field included) and
``GSOBJ_1403`` (a refused object, ``CSQuirks.refused_objects``) are INVENTED by the emulator:
the real codes are unknown, so a client must key on the HTTP status and ``result: false``,
never on these.
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
