"""The app factory and the one path every request takes, each step once and in this order:

journal + log id -> auth (99991661/99991663/99991671/99991677) -> rate limit (99991400) -> injected fault
-> validation from the spec and its extensions (1002002) -> endpoint behaviour over the store -> envelope.
Failures anywhere are `FeishuAPIError`s, rendered by `errors.py`; anything else is a 1002001.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from flask import Flask, Request, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from mockserver import auth, control
from mockserver.body import read_json
from mockserver.config import MockConfig
from mockserver.errors import (
    INVALID_PARAMETER,
    RATE_LIMITED,
    SYSTEM_ERROR,
    FeishuAPIError,
    FeishuResponse,
    error_response,
    page_not_found,
    success,
)
from mockserver.hire import HANDLERS, Call
from mockserver.journal import JournalEntry, new_log_id
from mockserver.ratelimit import rate_limited
from mockserver.runtime import EXTENSION, Runtime, runtime
from mockserver.spec import RequestSpec, request_specs

TOKEN_OPERATION = "tenant_access_token_internal"
LOG_ID_HEADER = "X-Tt-Logid"


def _current_request() -> Request:
    # The request itself, for code that reads it often: each read through Flask's `request` proxy is a
    # context-variable lookup (~0.5 us; some 30 per call were a tenth of the mock's own time).
    found: Request = request._get_current_object()  # type: ignore[attr-defined]
    return found


def _injected_latency(rt: Runtime, spec: RequestSpec, view_args: dict[str, str]) -> float:
    """Takes the next fault for this call: raises its code, or answers the latency to spend in the work."""
    fault = rt.faults.take(spec.operation.operation_id, view_args.values())
    if fault is None:
        return 0.0
    latency = fault.latency_ms / 1000
    if fault.code is None:
        return latency
    time.sleep(latency)
    if fault.code == RATE_LIMITED:
        windows = rt.limiter.windows_of(spec.operation)
        raise rate_limited(windows[0].limit if windows else 1, 1)
    raise FeishuAPIError(fault.code)


def _handle(rt: Runtime, spec: RequestSpec) -> Response:
    req = _current_request()
    operation = spec.operation
    view_args = req.view_args or {}
    now: float = g.now
    caller = None
    if operation.requires_token:
        caller = auth.authenticate(rt.store, now, req.headers.get("Authorization"))
        g.app_id = caller.app_id
        rt.limiter.hit(caller.app_id, operation)
    latency = _injected_latency(rt, spec, view_args)
    try:
        raw = read_json(req, rt.config.max_body_bytes)
        params, body = spec.validate(view_args, req.args, raw)
    except FeishuAPIError as exc:
        if caller is None and exc.code == INVALID_PARAMETER:
            # The token endpoint answers anything it cannot use with its own refusal.
            raise auth.refused() from exc
        raise
    if caller is None:
        time.sleep(latency)
        return success(**auth.issue_token(rt.store, now, body))
    call = Call(operation, caller, params, body, now, latency)
    return success(HANDLERS[operation.operation_id](rt.store, call))


def _view(rt: Runtime, spec: RequestSpec) -> Callable[..., Response]:
    def view(**_: str) -> Response:
        return _handle(rt, spec)

    return view


def _begin(rt: Runtime) -> None:
    # One instant per request (log id, auth, journal): one clock read, which may be a database read.
    try:
        now = rt.clock.now()
    except FeishuAPIError:  # the shared clock could not be read (its database is down): still a log id
        g.now = now = time.time()
        g.log_id = new_log_id(now)
        raise
    g.now = now
    g.log_id = new_log_id(now)


def _finish(rt: Runtime, response: Response) -> Response:
    req = _current_request()
    state = g._get_current_object()  # the same, for Flask's `g`
    response.headers[LOG_ID_HEADER] = state.log_id
    if not req.path.startswith(control.PREFIX):
        endpoint = req.endpoint
        rt.journal.record(
            JournalEntry(
                method=req.method,
                path=req.full_path.rstrip("?"),
                status=response.status_code,
                code=getattr(response, "feishu_code", None),
                log_id=state.log_id,
                time=state.now,
                operation=endpoint if endpoint in request_specs() else None,
                app_id=state.get("app_id"),
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
    # The traceback goes to the server's log, never into the answer.
    current_app.logger.error("unexpected error answering %s %s", request.method, request.path, exc_info=error)
    return error_response(FeishuAPIError(SYSTEM_ERROR), g.get("log_id", ""))


def create_app(config: MockConfig | None = None) -> Flask:
    """A mock Feishu Hire server, seeded and ready; `config` defaults to `MockConfig()`."""
    config = config or MockConfig()
    app = Flask("mockserver")
    # The hot path is handed the runtime; the control plane finds it with `runtime()`.
    rt = app.extensions[EXTENSION] = Runtime.start(config)
    for operation_id, spec in request_specs().items():
        if operation_id != TOKEN_OPERATION and operation_id not in HANDLERS:
            raise LookupError(f"the spec's operation {operation_id} has no behaviour in mockserver.hire")
        view = _view(rt, spec)
        rules = [spec.flask_rule]
        if operation_id == TOKEN_OPERATION:
            rules.append(spec.flask_rule + "/")  # the platform accepts a trailing slash here
        for rule in rules:
            app.add_url_rule(
                rule,
                endpoint=operation_id,
                view_func=view,
                methods=[spec.operation.method],
                provide_automatic_options=False,
            )
    app.register_blueprint(control.blueprint)
    app.before_request(functools.partial(_begin, rt))
    app.after_request(functools.partial(_finish, rt))
    app.register_error_handler(FeishuAPIError, _feishu_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app
