"""The ceiling: a bare Flask handler on the same WSGI server as the mock, answering a fixed site user
(and a fixed tenant token, so SDKs that fetch one can be pointed at it too).

No auth, no validation, no storage: what is left is Flask + the server (waitress, or uvicorn's workers
importing `asgi_app`, the handler behind the mock's own ASGI adapter) + the socket.
"""

from __future__ import annotations

import argparse

from flask import Flask, Response, request
from waitress import serve

from mockserver.asgi import ASGIApp
from mockserver.config import MAX_BODY_BYTES
from mockserver.server import CLIENT_TIMEOUT, serve_uvicorn

BODY = (
    b'{"code":0,"msg":"ok","data":{"site_user":{"user_id":"6960663240925956620",'
    b'"external_id":"6960663240925956621","name":"dan27"}}}'
)
TOKEN = b'{"code":0,"msg":"ok","tenant_access_token":"t-bare","expire":7200}'


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/open-apis/hire/v1/websites/<website_id>/site_users")
    def site_users(website_id: str) -> Response:
        request.get_data()  # as any real handler does
        return Response(BODY, mimetype="application/json", headers={"X-Tt-Logid": "bare"})

    @app.post("/open-apis/auth/v3/tenant_access_token/internal")
    def tenant_access_token() -> Response:
        request.get_data()
        return Response(TOKEN, mimetype="application/json")

    return app


app = create_app()
# What each uvicorn worker imports (benchmarks.servers.bare_flask_argv on uvicorn).
asgi_app = ASGIApp(app, MAX_BODY_BYTES, CLIENT_TIMEOUT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=0, help="uvicorn worker processes (0: waitress)")
    args = parser.parse_args()
    if args.workers:
        serve_uvicorn("127.0.0.1", args.port, args.workers, app="benchmarks.bare_flask:asgi_app")
        return
    serve(app, host="127.0.0.1", port=args.port, threads=args.threads, _quiet=True)


if __name__ == "__main__":
    main()
