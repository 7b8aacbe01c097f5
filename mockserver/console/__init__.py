"""The sandbox console at `/mock-ui/`: the journal (live), each call's request and answer, the tenant's
state, and forms for faults, the clock and reset; the admin also sees and creates tenants.

It acts for a `mockserver.access.Scope`, like the control plane: from loopback on a server that is not
hosted it opens as the admin; elsewhere it asks for an app's credentials (that app's tenant) or the admin
token (everything), kept in a signed session cookie, never in a URL. Every asset is served from here
(htmx vendored under `static/`), and the pages run under a Content-Security-Policy that allows only these
scripts (`security.py`).
"""

from __future__ import annotations

from flask import Flask

from mockserver.config import MockConfig
from mockserver.console import pages, security, session
from mockserver.console.blueprint import PREFIX, blueprint

__all__ = ["PREFIX", "blueprint", "pages", "register"]  # importing `pages` adds its routes


def register(app: Flask, config: MockConfig) -> None:
    """Serves the console from `app`; its sessions are signed with `config.console_secret`."""
    session.configure(app, config)
    security.configure(app)
    app.register_blueprint(blueprint)
