"""The one path every call of the spec's operations takes, each step once and in this order:

journal + log id -> auth (99991661/99991663/99991671/99991677) -> rate limit (99991400) -> injected fault
(a ready error) -> validation from the spec (1002002; a body only where the spec declares one) -> the
operation's behaviour (`mockserver.operations`) -> the answer, shaped by the spec -> envelope.
Failures anywhere are `FeishuAPIError`s, rendered by `errors.py`; anything else is a 1002001. The path
names no operation: what differs between them is in the spec or in their behaviour module.

`FeishuCalls` is WSGI middleware in front of the Flask app (`app.create_app` installs it, so every server
and the in-process clients go through it): it routes the spec's operations by their paths in the spec and
answers them without Flask's per-request machinery (request context, URL map, hooks), which they do not
need. Anything else (the control plane, the console, an unknown path or method) goes on
to Flask, whose hooks use `begin` and `record` from here, so every call starts and is journaled alike.
A call's state lives on Flask's `g` (an app context is pushed), where the stores keep per-call caches.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from logging import Logger
from typing import Any

from flask import Flask, g
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from feishu_hire_kit.spec import Operation, operations
from mockserver.answers import Answer, answers
from mockserver.auth import authenticate
from mockserver.body import body_read
from mockserver.errors import (
    INVALID_PARAMETER,
    SYSTEM_ERROR,
    FeishuAPIError,
    error_response,
    shutting_down,
)
from mockserver.journal import (
    JournalEntry,
    kept_request_headers,
    kept_response_headers,
    new_log_id,
    redact_body,
)
from mockserver.operations import Behaviour, Invocation, behaviours
from mockserver.runtime import Runtime
from mockserver.storage.shared_state import StaleGeneration
from mockserver.validation import RequestRules, request_rules

LOG_ID_HEADER = "X-Tt-Logid"
logger = logging.getLogger(__name__)
WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


@dataclass(frozen=True)
class Endpoint:
    """One operation of the spec, with what its requests go through."""

    operation: Operation
    rules: RequestRules
    behaviour: Behaviour
    answer: Answer

    @property
    def pattern(self) -> re.Pattern[str]:
        """The operation's path as a regular expression: each `{name}` one segment, a trailing slash
        allowed where the spec says so (`x-feishu-trailing-slash`)."""
        parts = re.split(r"\{([^}]+)\}", self.operation.path)  # text, name, text, ..., text
        text = "".join(f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts))
        return re.compile(text + ("/?" if self.operation.trailing_slash else ""))


def endpoints() -> dict[str, Endpoint]:
    """Every operation of the spec with its rules, behaviour and answer; a LookupError names an
    operation that has no behaviour."""
    found, rules, shapes = behaviours(), request_rules(), answers()
    missing = sorted(set(operations()) - set(found))
    if missing:
        raise LookupError(f"the spec's operations {missing} have no behaviour in mockserver.operations")
    return {
        op_id: Endpoint(op, rules[op_id], found[op_id], shapes[op_id]) for op_id, op in operations().items()
    }


def begin(rt: Runtime) -> None:
    """Starts a call on `g`: its start, its one instant (log id, auth, journal: one clock read, which may
    be a database read) and its log id. A clock that cannot be read (its database is down) still leaves
    a log id, then raises its FeishuAPIError."""
    state = g._get_current_object()  # the object behind Flask's `g`, for one lookup instead of many
    state.started = time.perf_counter()
    try:
        now = rt.clock.now()
    except FeishuAPIError:
        state.now = now = time.time()
        state.log_id = new_log_id(now)
        raise
    state.now = now
    state.log_id = new_log_id(now)


def _caller() -> tuple[str | None, str | None]:
    """(app_id, tenant_key) the journal files the call under: the token's, or what a behaviour learnt."""
    state = g._get_current_object()
    invocation: Invocation | None = state.get("invocation")
    if invocation is not None:
        return invocation.app_id, invocation.journal_tenant
    return state.get("app_id"), state.get("tenant_key")


def record(rt: Runtime, req: Request, response: Response, operation: str | None) -> None:
    """Puts the log id on a started call's answer and the call in the journal (`operation` None for a
    path of no operation). Never raises: an entry that cannot be made or written is logged, and the
    answer stands."""
    state = g._get_current_object()  # the object behind Flask's `g`, for one lookup instead of many
    invocation: Invocation | None = state.get("invocation")
    try:
        if invocation is not None and invocation.journaled:  # its write stored the entry, log id and all
            rt.journal.written(1)
        else:
            response.headers[LOG_ID_HEADER] = state.log_id
            rt.journal.record(_entry(rt, state, req, response, operation))
    except Exception:
        logger.exception("the journal entry of %s %s could not be made", req.method, req.path)


def _journal_row_for(
    rt: Runtime, state: Any, endpoint: Endpoint, req: Request, data: Mapping[str, Any]
) -> dict[str, Any] | None:
    """`Invocation.journal_row_for`: the call's answer to `data`, kept on `state` to be the answer if
    the behaviour's write stores the entry, and its journal row (its time taken: until now, the
    database's part left out). None, logged, where the entry cannot be made: the call then goes on, and
    is answered and journaled (or not) as any other."""
    try:
        response = state.journaled_answer = endpoint.answer.render(data)
        response.headers[LOG_ID_HEADER] = state.log_id
        return rt.journal.row(_entry(rt, state, req, response, endpoint.operation.operation_id))
    except Exception:
        logger.exception("the journal entry of %s %s could not be made", req.method, req.path)
        return None


def _entry(rt: Runtime, state: Any, req: Request, response: Response, operation: str | None) -> JournalEntry:
    app_id, tenant_key = _caller()
    return JournalEntry(
        tenant_key=tenant_key,
        app_id=app_id,
        operation=operation,
        method=req.method,
        path=req.path,
        query=req.query_string.decode("latin-1"),
        status=response.status_code,
        code=getattr(response, "feishu_code", None),
        log_id=state.log_id,
        time=state.now,
        duration_ms=(time.perf_counter() - state.started) * 1000,
        request_headers=kept_request_headers(req.environ),
        request_body=redact_body(body_read(req, rt.config.max_body_bytes)),
        response_headers=kept_response_headers(response.headers.items()),
        response_body=None if response.direct_passthrough else redact_body(response.get_data()),
    )


def http_error_code(error: HTTPException) -> int:
    """The Feishu code of an HTTP error werkzeug raised: 1002001 for a 5xx, else 1002002."""
    return SYSTEM_ERROR if (error.code or 500) >= 500 else INVALID_PARAMETER


def unexpected(rt: Runtime, logger: Logger, req: Request, error: Exception) -> Response:
    """The answer to an error no step turned into a Feishu code: 1002001, the traceback in the server's
    log and never in the answer; a plain 503 for a call that outlived the store's shutdown."""
    if rt.closed:
        return shutting_down()
    logger.error("unexpected error answering %s %s", req.method, req.path, exc_info=error)
    return error_response(FeishuAPIError(SYSTEM_ERROR), g.get("log_id", ""))


def _dispatch(rt: Runtime, endpoint: Endpoint, req: Request, path: Mapping[str, str]) -> Response:
    state = g._get_current_object()
    operation = endpoint.operation
    caller = None
    now: float = state.now
    generation = rt.store.generation
    if operation.requires_token:
        try:
            caller = authenticate(rt.store, rt.clock, req.headers.get("Authorization"), now)
        except FeishuAPIError:
            generation.settle()  # a refused token is answered on the current state only
            raise
        state.app_id, state.tenant_key = caller.app_id, caller.tenant_key
        now = rt.clock.tenant_now(caller.tenant_key, now)  # the tenant's own clock from here on
        rt.limiter.hit(caller.app_id, operation, now)  # may settle the generation, with the count
    generation.settle()  # before anything the call changes
    injected = rt.faults.take(operation, path.values(), None if caller is None else caller.tenant_key)
    if injected.error is not None:
        time.sleep(injected.latency_s)
        raise injected.error
    params, body = endpoint.rules.accept(req, path, rt.config.max_body_bytes)
    invocation = state.invocation = Invocation(
        operation, caller, params, body, now, injected.latency_s, tenant_now=rt.clock.now
    )
    if rt.store.journal_rides_writes:
        invocation.journal_row_for = functools.partial(_journal_row_for, rt, state, endpoint, req)
    data = endpoint.behaviour(rt.store, invocation)
    if invocation.journaled:
        answer: Response = state.journaled_answer
        return answer
    return endpoint.answer.render(data)


def _wsgi_path(path: str) -> str:
    """PATH_INFO as PEP 3333 has it, latin-1 text of the path's bytes. httpx's `WSGITransport` hands the
    path already read as UTF-8 instead, which werkzeug cannot read (a "网" is no latin-1 character):
    such a path is given back as its UTF-8 bytes."""
    try:
        path.encode("latin-1")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("latin-1")
    return path


def _segment(raw: str) -> str:
    # PATH_INFO is WSGI's latin-1 text of the path's bytes: its UTF-8 read, as werkzeug reads a path.
    return raw if raw.isascii() else raw.encode("latin-1").decode("utf-8", "replace")


class FeishuCalls:
    """WSGI middleware: the spec's operations answered here (see the module's docstring), everything
    else by `app`'s own WSGI app."""

    def __init__(self, app: Flask, rt: Runtime, found: Iterable[Endpoint]) -> None:
        self.app = app
        self.rt = rt
        self.fallback: WSGIApp = app.wsgi_app
        self.routes: dict[str, list[tuple[re.Pattern[str], Endpoint]]] = {}
        for endpoint in found:
            self.routes.setdefault(endpoint.operation.method, []).append((endpoint.pattern, endpoint))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if not path.isascii():
            path = environ["PATH_INFO"] = _wsgi_path(path)
        # As werkzeug reads a request: the method in capitals, the path with one leading slash.
        routes = self.routes.get(environ.get("REQUEST_METHOD", "GET").upper())
        if routes:
            path = "/" + path.lstrip("/")
            for pattern, endpoint in routes:
                match = pattern.fullmatch(path)
                if match is not None:
                    path_args = {name: _segment(value) for name, value in match.groupdict().items()}
                    req = Request(environ)
                    try:
                        with self.app.app_context():
                            response = self.answer(endpoint, req, path_args, trusting=True)
                    except StaleGeneration:  # changed nothing: again, on the current state
                        with self.app.app_context():
                            response = self.answer(endpoint, req, path_args)
                    # Sent as it is: every answer here is whole (its body and Content-Length set by
                    # `errors.py`), none is a 304, and a HEAD routes to no operation (routes go by each
                    # operation's own method), so none of werkzeug's fixes for those apply.
                    start_response(response.status, response.headers.to_wsgi_list())
                    return [response.get_data()]
        return self.fallback(environ, start_response)

    def answer(
        self, endpoint: Endpoint, req: Request, path: Mapping[str, str], trusting: bool = False
    ) -> Response:
        """The answer to one call of `endpoint`, journaled, in an app context. `trusting`: the call may
        go on the generation this process knows (`ChangeCounter.trust_known`); it raises
        `StaleGeneration`, journaling nothing, if that had moved."""
        rt = self.rt
        if not rt.enter():
            return shutting_down()
        try:
            try:
                if trusting:
                    rt.store.generation.trust_known()
                begin(rt)
                response = _dispatch(rt, endpoint, req, path)
            except StaleGeneration:
                raise
            except FeishuAPIError as error:
                response = error_response(error, g.log_id)
            except HTTPException as error:  # werkzeug's, from reading the request
                response = error_response(FeishuAPIError(http_error_code(error)), g.log_id)
            except Exception as error:
                response = unexpected(rt, self.app.logger, req, error)
            if "log_id" in g and not rt.closed:  # not if it outlived the shutdown
                record(rt, req, response, endpoint.operation.operation_id)
            return response
        finally:
            rt.leave()
