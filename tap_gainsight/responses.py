"""Reading PX response bodies: parsed once, records found under the endpoint's key."""

from __future__ import annotations

import typing as t

import msgspec

from tap_gainsight.errors import UnexpectedResponseError

if t.TYPE_CHECKING:
    from collections.abc import Sequence

    import requests

#: Key every undocumented PX list endpoint seems to fall back to
#: (docs/api.md, "PX: records keys").
GENERIC_RECORDS_KEY = "results"

_BODY_ATTRIBUTE = "_tap_gainsight_body"


def response_body(response: requests.Response) -> t.Any:
    """Return the response's parsed JSON, parsing it only on the first call.

    The stream validates the body, the paginator reads its cursor and the stream reads its
    records; without this each of them would parse every page again.

    Raises:
        ValueError: If the body is not JSON.
    """
    try:
        return getattr(response, _BODY_ATTRIBUTE)
    except AttributeError:
        # msgspec decodes a page several times faster than requests' json().
        body = msgspec.json.decode(response.content)
        setattr(response, _BODY_ATTRIBUTE, body)
        return body


def find_records(body: t.Any, keys: Sequence[str], endpoint: str) -> tuple[list[dict], str]:
    """Return the records of a page and the key they were found under.

    The documented key comes first; `results` and, failing that, the single list of objects
    in the body are accepted because several keys are known only from third-party code
    (docs/api.md, "PX: records keys"). An object without any list (`{}`, the key absent or
    null) is an empty page: `"<empty>"` where it says so (`totalHits: 0` and no records
    key), else `"<none>"`.

    Raises:
        UnexpectedResponseError: If the body is no JSON object or list, or holds several
            lists of objects and none under a known key.
    """
    if isinstance(body, list):
        return body, "<root>"
    if not isinstance(body, dict):
        msg = f"{endpoint} answered with JSON {type(body).__name__}, not an object or list."
        raise UnexpectedResponseError(msg)

    for key in (*keys, GENERIC_RECORDS_KEY):
        value = body.get(key)
        if isinstance(value, list):
            return value, key

    lists = [
        key
        for key, value in body.items()
        if isinstance(value, list) and all(isinstance(item, dict) for item in value)
    ]
    if len(lists) == 1:
        return body[lists[0]], lists[0]
    if not lists:
        said_empty = body.get("totalHits") == 0 and not any(k in body for k in keys)
        return [], "<empty>" if said_empty else "<none>"
    msg = (
        f"{endpoint} answered without a records list (expected key "
        f"{' or '.join(repr(k) for k in keys)}; keys present: {', '.join(sorted(body)) or 'none'})."
    )
    raise UnexpectedResponseError(msg)


def api_error_message(response: requests.Response) -> str:
    """Return the API's own error message from an `externalapierror` body, or the reason."""
    try:
        body = response_body(response)
    except ValueError:
        return response.reason or "no message"
    if isinstance(body, dict):
        error = body.get("externalapierror")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        for key in ("message", "error", "errorDesc"):
            if body.get(key):
                return str(body[key])
    return response.reason or "no message"
