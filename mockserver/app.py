"""The app factory: the mock Feishu Hire server as one Flask app.

The spec's operations are answered by `mockserver.calls.FeishuCalls`, installed in front of Flask (and
in front of it `mockserver.health.Health`, the load balancer's check); Flask
serves the rest (the control plane, the console, unknown paths), its hooks starting and journaling those
calls as `calls` does its own, and its error handlers giving Feishu's answers.
"""

from __future__ import annotations

import functools

from flask import Flask, Request, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from mockserver import console, control
from mockserver.calls import LOG_ID_HEADER, FeishuCalls, begin, endpoints, http_error_code, record, unexpected
from mockserver.config import MockConfig
from mockserver.errors import FeishuAPIError, FeishuResponse, error_response, page_not_found, shutting_down
from mockserver.health import Health
from mockserver.proxies import TrustedProxies
from mockserver.runtime import EXTENSION, Runtime, runtime

# The sandbox's own surfaces (the control plane, the console) are not Feishu calls: not in the journal.
UNJOURNALED = (control.PREFIX, console.PREFIX)


def _begin(rt: Runtime) -> Response | None:
    if not rt.enter():
        return shutting_down()
    g.entered = True
    begin(rt)
    return None


def _end(rt: Runtime, _: BaseException | None) -> None:
    if g.get("entered"):
        rt.leave()


def _finish(rt: Runtime, response: Response) -> Response:
    if "log_id" not in g or rt.closed:  # refused before it began, or outlived the shutdown
        return response
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    if req.path.startswith(UNJOURNALED):
        response.headers[LOG_ID_HEADER] = g.log_id
    else:
        record(rt, req, response, None)
    return response


def _feishu_error(error: FeishuAPIError) -> FeishuResponse:
    return error_response(error, g.log_id)


def _http_error(error: HTTPException) -> Response:
    if isinstance(error, NotFound | MethodNotAllowed):
        return page_not_found(runtime().config.json_404)
    return error_response(FeishuAPIError(http_error_code(error)), g.log_id)


def _unexpected(error: Exception) -> Response:
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    return unexpected(runtime(), current_app.logger, req, error)


def create_app(config: MockConfig | None = None) -> Flask:
    """A mock Feishu Hire server, seeded and ready; `config` defaults to `MockConfig()`."""
    config = config or MockConfig()
    app = Flask("mockserver")
    # The hot path is handed the runtime; the control plane finds it with `runtime()`.
    rt = app.extensions[EXTENSION] = Runtime.start(config)
    app.register_blueprint(control.blueprint)
    console.register(app, config)
    app.wsgi_app = FeishuCalls(app, rt, endpoints().values())  # type: ignore[method-assign]
    app.wsgi_app = Health(app.wsgi_app, rt)  # type: ignore[method-assign]
    if config.trusted_proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, config.trusted_proxies)  # type: ignore[method-assign]
    app.before_request(functools.partial(_begin, rt))
    app.after_request(functools.partial(_finish, rt))
    app.teardown_request(functools.partial(_end, rt))
    app.register_error_handler(FeishuAPIError, _feishu_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app
