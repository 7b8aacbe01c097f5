"""The app each uvicorn worker process loads (`feishu-hire serve`): `app`, built from the config `serve`
put in the environment (`server.CONFIG_ENV`), so nothing opened in the serving process, a SQLite
connection least of all, crosses into a worker."""

from __future__ import annotations

import gc
import os

from mockserver.app import create_app
from mockserver.asgi import ASGIApp
from mockserver.server import CLIENT_TIMEOUT_ENV, CONFIG_ENV, config_from_json, die_with_parent

die_with_parent()
app = ASGIApp(
    create_app(config := config_from_json(os.environ[CONFIG_ENV])),
    config.max_body_bytes,
    float(os.environ[CLIENT_TIMEOUT_ENV]),
)
# What is built so far (the spec, its validators, the app) lives as long as the worker: frozen out of the
# collector's reach, a full collection walks only what requests leave behind instead of pausing every
# connection of the worker while it walks the whole heap.
gc.freeze()
