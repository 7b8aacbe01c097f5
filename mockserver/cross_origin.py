"""Cross-site request refusal for the JSON control plane (`/mock-api/`) and the console's forms (whose
CSRF token is checked besides, `mockserver.console.security`), after Go's
`net/http.CrossOriginProtection`: a browser names where a request comes from, a programmatic client
(the kit's `MockControl`, the contract suite, curl, httpx) names nothing, so only what a browser says
decides.

A request that changes something (any method but GET, HEAD, OPTIONS) is refused (403) when
- `Sec-Fetch-Site` (which page scripts cannot set; every current browser sends it) is anything but
  `same-origin` or `none` (the user's own navigation): `cross-site`, and `same-site` too, which a page
  on another port of the same host is (http://localhost:3000 against a sandbox on :8080);
- without `Sec-Fetch-Site` (an older browser), `Origin` names another host than the request's `Host`
  (or is `null`, an opaque origin). No `Origin` at all is not a browser's cross-origin request.

And a request with a body must say `Content-Type: application/json` (415 otherwise): a page can send a
cross-site form or `text/plain` post without asking, but not JSON, which needs a CORS preflight this
server never grants. So even a browser too old to name its origin cannot post a control-plane body.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What `Sec-Fetch-Site` says of a request the server's own pages or the user made.
SAME_ORIGIN_SITES = frozenset({"same-origin", "none"})
JSON_MEDIA_TYPE = "application/json"


class CrossOriginRefusal(Exception):
    """Why a request is refused, and its status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _origin_host(origin: str) -> str | None:
    """`host[:port]` of an `Origin` value, None when it names none (`null`, garbage)."""
    parts = urlsplit(origin)
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.netloc else None


def check(request: Request) -> None:
    """Raises `CrossOriginRefusal` when `request` is a browser's cross-origin change, or a body that is
    not JSON; programmatic clients (which send no browser headers) pass."""
    if request.method in SAFE_METHODS:
        return
    refuse_cross_site(request)
    if _has_body(request) and request.mimetype != JSON_MEDIA_TYPE:
        raise CrossOriginRefusal(
            f"a control-plane body must be sent as Content-Type: {JSON_MEDIA_TYPE}"
            f" (got {request.mimetype or 'none'}); with curl: --json '{{...}}'",
            415,
        )


def refuse_cross_site(request: Request) -> None:
    """Raises `CrossOriginRefusal` (403) when the browser says `request` comes from another origin
    (`Sec-Fetch-Site`, else `Origin`): the rule of the control plane and of the console's forms alike."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        if site.strip().lower() not in SAME_ORIGIN_SITES:
            raise CrossOriginRefusal(
                f"cross-origin request refused: the browser says it comes from another site ({site})", 403
            )
    else:
        origin = request.headers.get("Origin")
        if origin is not None and _origin_host(origin) != request.host.lower():
            raise CrossOriginRefusal(
                f"cross-origin request refused: Origin {origin} is not this server ({request.host})", 403
            )


def _has_body(request: Request) -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
