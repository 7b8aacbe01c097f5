"""`GET /mock-api/health`: whether this server can answer Feishu calls now, for a load balancer's health
check (or an orchestrator's readiness probe) in front of the hosts of a sandbox.

Each engine the calls need is asked on the connections the calls use, within the same timeouts, so
the answer turns when a call would find the engine gone: the database (`Queries.ping`, a `SELECT 1`)
and, where the rate limits are on, their windows (`Windows.ping`: Redis, where it keeps them). It shows
that each answers, not that each would take every write (a database that refuses writes, say its disk
full, still answers a `SELECT 1`). 200 with every engine "ok"; 503 with the one that did not answer
"unavailable"; 503 "shutting down" while the server stops, so a balancer takes it out of rotation
before it goes. Anyone may ask, as a balancer sends no token: the answer says nothing but these words.
Not a Feishu call: no journal entry, no log id, no rate limit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from mockserver import json_text
from mockserver.errors import FeishuAPIError
from mockserver.runtime import Runtime

logger = logging.getLogger(__name__)
PATH = "/mock-api/health"
OK, UNAVAILABLE = "ok", "unavailable"
WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def report(rt: Runtime) -> tuple[HTTPStatus, dict[str, Any]]:
    """The status and body of the health answer: each engine asked once, now."""
    if not rt.enter():
        return HTTPStatus.SERVICE_UNAVAILABLE, {"status": "shutting down"}
    try:
        engines = {"database": _answers(lambda: rt.store.read().ping())}
        if rt.limiter.enabled:
            engines["rate_limits"] = _answers(rt.limiter.windows.ping)
    finally:
        rt.leave()
    if all(state == OK for state in engines.values()):
        return HTTPStatus.OK, {"status": OK, "engines": engines}
    return HTTPStatus.SERVICE_UNAVAILABLE, {"status": UNAVAILABLE, "engines": engines}


def _answers(ask: Callable[[], None]) -> str:
    try:
        ask()
    except FeishuAPIError:  # the engine's own error, as a call gets it (1002001); logged by its store
        return UNAVAILABLE
    except Exception:  # anything else is a defect: its traceback to the log, and the engine not ok
        logger.exception("the health check could not ask an engine")
        return UNAVAILABLE
    return OK


class Health:
    """WSGI middleware: `GET` (or `HEAD`) `PATH` answered here, everything else by `app`."""

    def __init__(self, app: WSGIApp, rt: Runtime) -> None:
        self.app = app
        self.rt = rt

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != PATH or method not in {"GET", "HEAD"}:
            return self.app(environ, start_response)
        status, body = report(self.rt)
        data = json_text.encode(body)
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
        ]
        start_response(f"{status.value} {status.phrase}", headers)
        return [] if method == "HEAD" else [data]
