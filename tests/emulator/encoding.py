"""JSON encoding of answers: compact UTF-8 bytes, as fast as the installed libraries allow.

``encode(obj)`` uses ``msgspec`` if importable, else ``orjson``, else the standard library's C
encoder (called directly, once built, which saves the encoder set-up ``json.dumps`` redoes on
every call). All three write compact JSON (no spaces) with non-ASCII characters as UTF-8, like
``json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()``, which is exactly what the
standard-library path produces. The emulator needs nothing outside the standard library.

Emulator data holds only dicts, lists, strings, ints, finite floats, booleans and None, so the
libraries agree on the JSON value of every answer (a float may be spelled differently, never
valued differently).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["BACKEND", "encode"]


def _stdlib_encoder() -> Callable[[Any], bytes]:
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # a Python without the C accelerator
        encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
        return lambda obj: encoder.encode(obj).encode()

    def unsupported(obj: Any) -> Any:
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")

    # The arguments of json.JSONEncoder.iterencode's C path: markers (None: no check for
    # circular references, which tenant data never has), default, string encoder, indent,
    # key separator, item separator, sort_keys, skipkeys, allow_nan.
    c_encode = c_make_encoder(
        None, unsupported, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    return lambda obj: "".join(c_encode(obj, 0)).encode()


def _pick() -> tuple[str, Callable[[Any], bytes]]:
    try:
        import msgspec

        return "msgspec", msgspec.json.encode
    except ImportError:
        pass
    try:
        import orjson

        return "orjson", orjson.dumps
    except ImportError:
        pass
    return "json", _stdlib_encoder()


#: Which library encodes: ``"msgspec"``, ``"orjson"`` or ``"json"``.
BACKEND, encode = _pick()  # encode(obj) -> bytes
