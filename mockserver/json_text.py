"""The JSON the mock writes on every call: its Feishu answers, its journal entries' headers, the fields it
stores.

Compact, every character as it is (no `\\u` escapes). orjson writes it, being the fast one; what orjson
will not write (an integer beyond 64 bits, a string holding a lone surrogate, a key that is not a string)
the standard library does, so any value either can write is written, and reads back the same. (No
infinity or NaN gets here: a request body cannot carry one, `mockserver.body`.)
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_standard = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode(value: Any) -> bytes:
    """`value` as JSON, in UTF-8."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _standard(value).encode("utf-8")


def dumps(value: Any) -> str:
    """`value` as JSON text."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return _standard(value)
