"""The app factory and the one path every operation's request takes, each step once and in this order
(Flask's `full_dispatch_request`, for the spec's operations):

journal + log id -> auth (99991661/99991663/99991671/99991677) -> rate limit (99991400) -> injected fault
(a ready error) -> validation from the spec (1002002; a body only where the spec declares one) -> the
operation's behaviour (`mockserver.operations`) -> the answer, shaped by the spec -> envelope.
Failures anywhere are `FeishuAPIError`s, rendered by `errors.py`; anything else is a 1002001. The path
names no operation: what differs between them is in the spec or in their behaviour module.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Request, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from feishu_hire_kit.spec import Operation, operations
from mockserver import console, control
from mockserver.answers import Answer, answers
from mockserver.auth import authenticate
from mockserver.body import body_read
from mockserver.config import MockConfig
from mockserver.errors import (
    INVALID_PARAMETER,
    SYSTEM_ERROR,
    FeishuAPIError,
    FeishuResponse,
    error_response,
    page_not_found,
    shutting_down,
)
from mockserver.journal import (
    REQUEST_HEADERS,
    RESPONSE_HEADERS,
    JournalEntry,
    kept_headers,
    new_log_id,
    redact_body,
)
from mockserver.operations import Behaviour, Invocation, behaviours
from mockserver.proxies import TrustedProxies
from mockserver.runtime import EXTENSION, Runtime, runtime
from mockserver.validation import RequestRules, request_rules

LOG_ID_HEADER = "X-Tt-Logid"
# The sandbox's own surfaces (the control plane, the console) are not Feishu calls: not in the journal.
UNJOURNALED = (control.PREFIX, console.PREFIX)


@dataclass(frozen=True)
class Endpoint:
    """One operation of the spec, with what its requests go through."""

    operation: Operation
    rules: RequestRules
    behaviour: Behaviour
    answer: Answer


def _current_request() -> Request:
    # The request itself, for code that reads it often, instead of a context lookup per attribute.
    found: Request = request._get_current_object()  # type: ignore[attr-defined]
    return found


def _dispatch(rt: Runtime, endpoint: Endpoint) -> Response:
    req = _current_request()
    state = g._get_current_object()  # the same, for Flask's `g`
    operation = endpoint.operation
    if req.method != operation.method:  # HEAD, which werkzeug adds to every GET rule
        raise NotFound()
    caller = None
    now: float = state.now
    if operation.requires_token:
        caller = authenticate(rt.store, rt.clock, req.headers.get("Authorization"), now)
        state.app_id, state.tenant_key = caller.app_id, caller.tenant_key
        now = rt.clock.tenant_now(caller.tenant_key, now)  # the tenant's own clock from here on
        rt.limiter.hit(caller.app_id, operation, now)
    view_args = req.view_args or {}
    injected = rt.faults.take(operation, view_args.values(), None if caller is None else caller.tenant_key)
    if injected.error is not None:
        time.sleep(injected.latency_s)
        raise injected.error
    params, body = endpoint.rules.accept(req, view_args, rt.config.max_body_bytes)
    invocation = state.invocation = Invocation(
        operation, caller, params, body, now, injected.latency_s, tenant_now=rt.clock.now
    )
    return endpoint.answer.render(endpoint.behaviour(rt.store, invocation))


def _view(rt: Runtime, endpoint: Endpoint) -> Callable[..., Response]:
    def view(**_: str) -> Response:
        return _dispatch(rt, endpoint)

    return view


def _begin(rt: Runtime) -> Response | None:
    if not rt.enter():
        return shutting_down()
    g.entered = True
    g.started = time.perf_counter()
    # One instant per request (log id, auth, journal): one clock read, which may be a database read.
    try:
        now = rt.clock.now()
    except FeishuAPIError:  # the shared clock could not be read (its database is down): still a log id
        g.now = now = time.time()
        g.log_id = new_log_id(now)
        raise
    g.now = now
    g.log_id = new_log_id(now)
    return None


def _end(rt: Runtime, _: BaseException | None) -> None:
    if g.get("entered"):
        rt.leave()


def _caller() -> tuple[str | None, str | None]:
    """(app_id, tenant_key) the journal files the call under: the token's, or what a behaviour learnt."""
    invocation: Invocation | None = g.get("invocation")
    if invocation is not None:
        return invocation.app_id, invocation.journal_tenant
    return g.get("app_id"), g.get("tenant_key")


def _finish(rt: Runtime, response: Response) -> Response:
    req = _current_request()
    state = g._get_current_object()
    if "log_id" not in state or rt.closed:  # refused before it began, or outlived the shutdown
        return response
    response.headers[LOG_ID_HEADER] = state.log_id
    if not req.path.startswith(UNJOURNALED):
        endpoint = req.endpoint
        app_id, tenant_key = _caller()
        rt.journal.record(
            JournalEntry(
                tenant_key=tenant_key,
                app_id=app_id,
                operation=endpoint if endpoint in operations() else None,
                method=req.method,
                path=req.path,
                query=req.query_string.decode("latin-1"),
                status=response.status_code,
                code=getattr(response, "feishu_code", None),
                log_id=state.log_id,
                time=state.now,
                duration_ms=(time.perf_counter() - state.started) * 1000,
                request_headers=kept_headers(req.headers, REQUEST_HEADERS),
                request_body=redact_body(body_read(req, rt.config.max_body_bytes)),
                response_headers=kept_headers(response.headers, RESPONSE_HEADERS),
                response_body=None if response.direct_passthrough else redact_body(response.get_data()),
            )
        )
    return response


def _feishu_error(error: FeishuAPIError) -> FeishuResponse:
    return error_response(error, g.log_id)


def _http_error(error: HTTPException) -> Response:
    if isinstance(error, NotFound | MethodNotAllowed):
        return page_not_found(runtime().config.json_404)
    code = SYSTEM_ERROR if (error.code or 500) >= 500 else INVALID_PARAMETER
    return error_response(FeishuAPIError(code), g.log_id)


def _unexpected(error: Exception) -> Response:
    if runtime().closed:  # the store closed under a request that outlived the shutdown's wait
        return shutting_down()
    # The traceback goes to the server's log, never into the answer.
    current_app.logger.error("unexpected error answering %s %s", request.method, request.path, exc_info=error)
    return error_response(FeishuAPIError(SYSTEM_ERROR), g.get("log_id", ""))


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


def create_app(config: MockConfig | None = None) -> Flask:
    """A mock Feishu Hire server, seeded and ready; `config` defaults to `MockConfig()`."""
    config = config or MockConfig()
    app = Flask("mockserver")
    # The hot path is handed the runtime; the control plane finds it with `runtime()`.
    rt = app.extensions[EXTENSION] = Runtime.start(config)
    for operation_id, endpoint in endpoints().items():
        rule = endpoint.rules.flask_rule
        view = _view(rt, endpoint)
        for path in [rule, rule + "/"] if endpoint.operation.trailing_slash else [rule]:
            app.add_url_rule(
                path,
                endpoint=operation_id,
                view_func=view,
                methods=[endpoint.operation.method],
                provide_automatic_options=False,
            )
    app.register_blueprint(control.blueprint)
    console.register(app, config)
    if config.trusted_proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, config.trusted_proxies)  # type: ignore[method-assign]
    app.before_request(functools.partial(_begin, rt))
    app.after_request(functools.partial(_finish, rt))
    app.teardown_request(functools.partial(_end, rt))
    app.register_error_handler(FeishuAPIError, _feishu_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app
