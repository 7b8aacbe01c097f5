"""Where a request header lives in a WSGI environ (PEP 3333): under `HTTP_` and its name upper-cased with
`-` as `_`, except Content-Type and Content-Length, which go bare. The servers' environ and the journal's
reading of it share this one rule."""

from __future__ import annotations

_BARE = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def environ_key(name: str) -> str:
    """The environ key of the header `name` (any casing)."""
    key = name.upper().replace("-", "_")
    return key if key in _BARE else "HTTP_" + key
