"""The JSON the mock writes into its answers and its store: Feishu answers, control-plane errors, journal
entries' headers and bodies, stored fields and seeds.

Compact, every character as it is (no `\\u` escapes). orjson writes it, being the fast one; what orjson
will not write (an integer beyond 64 bits, a key that is not a string) the standard library does, so
any value either can write is written, and reads back the same. No infinity or NaN gets here: a request
body cannot carry one (`mockserver.body`). A lone surrogate reaches `dumps` only from a body the journal
redacts, and comes back in the text, which the journal then escapes (`mockserver.journal.storable`);
`encode`, for answers, never meets one (a body holding one is refused before it is answered).
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
    """`value` as JSON text (a lone surrogate in it stays one: no UTF-8 bytes are made here)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return _standard(value)
