"""The console's Flask blueprint: its URL prefix, templates and static files."""

from __future__ import annotations

from flask import Blueprint

PREFIX = "/mock-ui/"
blueprint = Blueprint(
    "console",
    __name__,
    url_prefix=PREFIX.rstrip("/"),
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
