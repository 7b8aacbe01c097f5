"""Reading a request body as JSON: size, encoding and syntax failures are 1002002, never a 500."""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

from werkzeug.wrappers import Request
from werkzeug.wsgi import get_content_length

from mockserver.errors import FieldViolation, invalid_parameter

# Where `read_json` leaves the bytes it read, for the journal (`body_read`).
RAW_BODY = "feishu_mock.body"


def body_read(request: Request, max_bytes: int) -> bytes | None:
    """The body of this request for the journal: what `read_json` read, or, for a call refused before
    its body was read (auth, an injected fault), the body read now when its Content-Length is at most
    `max_bytes`; None when there is none to show."""
    found: bytes | None = request.environ.get(RAW_BODY)
    if found is not None:
        return found
    length = get_content_length(request.environ)
    if not length or length > max_bytes:
        return None
    try:
        data: bytes = request.environ["wsgi.input"].read(length)
    except OSError:  # the client went away part way
        return None
    request.environ[RAW_BODY] = data
    return data


def _bad(description: str) -> NoReturn:
    raise invalid_parameter([FieldViolation("body", description)])


def _no_constants(name: str) -> NoReturn:
    _bad(f"{name} is not JSON")


def _finite(text: str) -> float:
    """A number as a double, refused when no double holds it (`1e400`): JSON has no way to write an
    infinity, so none may reach the store or an answer."""
    value = float(text)
    if math.isinf(value):
        shown = text if len(text) <= 32 else f"{text[:32]}…"
        _bad(f"{shown} is beyond the range of a double")
    return value


# One decoder for every body: `json.loads` with hooks builds a new one per call.
_decode = json.JSONDecoder(parse_constant=_no_constants, parse_float=_finite).decode


def read_json(request: Request, max_bytes: int) -> Any:
    """The parsed body; any Content-Type is read as JSON (lark-oapi sends none to the token endpoint)."""
    length = get_content_length(request.environ)  # as `request.content_length`, without its headers' view
    if length is not None and length > max_bytes:
        _bad(f"the body is larger than {max_bytes} bytes")
    if length is not None:
        # The usual body: exactly Content-Length bytes, read straight from the server's stream, which
        # ends there (PEP 3333), so werkzeug's guarding wrapper is not needed.
        try:
            data = request.environ["wsgi.input"].read(length) if length else b""
        except OSError as exc:  # uWSGI's stream raises when the client hangs up or goes quiet part way
            _bad(f"the body could not be read to its Content-Length ({length} bytes): {exc}")
        if len(data) != length:  # waitress and others end the stream early instead
            _bad(f"the body ended after {len(data)} of its {length} bytes (Content-Length)")
    else:
        # Chunked (the server decoded it and ends the stream) or no length at all (werkzeug reads none).
        data = request.stream.read(max_bytes + 1)
    request.environ[RAW_BODY] = data
    if len(data) > max_bytes:
        _bad(f"the body is larger than {max_bytes} bytes")
    if not data.strip():
        _bad("a JSON object body is required")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _bad(f"the body is not UTF-8: {exc.reason} at byte {exc.start}")
    try:
        if text.startswith("\ufeff"):  # as json.loads refuses it (a decoder's own `decode` does not)
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _decode(text)
    except json.JSONDecodeError as exc:
        _bad(f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except ValueError as exc:  # e.g. an integer of more than 4300 digits (int's conversion limit)
        _bad(f"the body is not usable JSON: {exc}")
    except RecursionError:
        _bad("the body nests too deeply")
    # A lone "\ud800" escape parses to a str no UTF-8 can hold (nor SQLite, nor the answer): refuse it
    # here. Only an escape can make one, so bodies without "\u" skip the check.
    if "\\u" in text:
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            _bad("the body holds a lone UTF-16 surrogate escape (\\ud800-\\udfff), which is no character")
    return value
