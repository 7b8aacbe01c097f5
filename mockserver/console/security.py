"""What keeps the console safe with hostile data and hostile sites.

- Every page carries a Content-Security-Policy that runs only the scripts this server serves (no inline
  script, no eval, no other origin), so a partner's `<img src=x onerror=...>` that slipped past the
  templates' escaping would still run nothing.
- Every request that changes something (any method but GET/HEAD) must carry the session's CSRF token
  (a form field `csrf_token` or the `X-CSRFToken` header htmx sends) and, when the browser says where it
  comes from (`Sec-Fetch-Site`, else `Origin`), come from this origin, by the control plane's rule
  (`mockserver.cross_origin`); the session cookie is SameSite=Strict as well (`session.py`).
"""

from __future__ import annotations

from flask import Flask, Response, request

from mockserver import cross_origin
from mockserver.console.blueprint import blueprint

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not "no-referrer": with it a browser sends `Origin: null` on form posts (refused as cross-site).
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
SAFE_METHODS = frozenset({"GET", "HEAD"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRFToken"


def configure(app: Flask) -> None:
    # Flask-WTF's tokens are tied to the session (no separate expiry): a page left open keeps working.
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    app.config["WTF_CSRF_FIELD_NAME"] = CSRF_FIELD
    app.jinja_env.globals["csrf_token"] = csrf_token


# Flask-WTF (and wtforms under it) are imported on the console's first use, not when a worker starts.
def csrf_token() -> str:
    """The session's CSRF token, signed (what a page puts in its forms and htmx headers)."""
    from flask_wtf.csrf import generate_csrf

    token: str = generate_csrf()
    return token


def csrf_valid(token: str | None) -> bool:
    from flask_wtf.csrf import CSRFError, validate_csrf
    from wtforms import ValidationError

    try:
        validate_csrf(token)
    except (ValidationError, CSRFError):
        return False
    return True


@blueprint.before_request
def _refuse_cross_site() -> Response | None:
    if request.method in SAFE_METHODS:
        return None
    try:
        cross_origin.refuse_cross_site(request)
    except cross_origin.CrossOriginRefusal as refusal:
        return Response(refusal.message, status=refusal.status, content_type="text/plain")
    if not csrf_valid(request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)):
        return Response("missing or stale CSRF token: reload the page", status=400, content_type="text/plain")
    return None


@blueprint.after_request
def _headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if not request.path.startswith(f"{blueprint.url_prefix}/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response
