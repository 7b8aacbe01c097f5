"""The WSGI app each uWSGI worker loads after the fork (`serve --workers N`): `app`, built from the
config `serve` put in the environment (`server.CONFIG_ENV`), so nothing opened before the fork, a
SQLite connection least of all, crosses into a worker."""

from __future__ import annotations

import os

from mockserver.app import create_app
from mockserver.server import CONFIG_ENV, config_from_json, uwsgi_body_reader

app = uwsgi_body_reader(create_app(config := config_from_json(os.environ[CONFIG_ENV])), config.max_body_bytes)
