"""Hosted mode and reverse proxies: behind a proxy on the same host every caller is "loopback", so a
hosted server trusts no address, and forwarded headers count only from proxies it was told about."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

from mockserver import MockConfig, create_app
from mockserver.proxies import TrustedProxies, is_loopback
from mockserver.runtime import EXTENSION, Runtime
from tests.console.conftest import ADMIN_TOKEN, client_at
from tests.mockserver.helpers import bearer, start_server

PROXY = "127.0.0.1"
FORWARDED = {"X-Forwarded-For": "198.51.100.23"}


def _app(tmp_path: Path, **options: Any) -> Flask:
    return create_app(MockConfig(db_path=tmp_path / "mock.db", admin_token=ADMIN_TOKEN, **options))


def _close(app: Flask) -> None:
    runtime: Runtime = app.extensions[EXTENSION]
    runtime.close()


def test_the_issue_case_a_proxy_on_loopback_opens_the_control_plane_unless_hosted(tmp_path: Path) -> None:
    """REMOTE_ADDR=127.0.0.1 plus X-Forwarded-For: not hosted, it is answered 200 (the hole the issue
    describes); hosted, the same request is refused, and the admin token still opens it."""
    open_app = _app(tmp_path / "a")
    with client_at(open_app, PROXY) as c:
        assert c.post("/mock-api/reset", headers=FORWARDED).status_code == 200
    _close(open_app)
    hosted = _app(tmp_path / "b", hosted=True)
    with client_at(hosted, PROXY) as c:
        r = c.post("/mock-api/reset", headers=FORWARDED)
        assert r.status_code == 401, r.text
        assert c.post("/mock-api/reset").status_code == 401  # no header either: loopback is nobody
        assert c.get("/mock-api/state").status_code == 401
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", **FORWARDED}
        assert c.post("/mock-api/reset", headers=admin).status_code == 200
    _close(hosted)


def test_a_hosted_server_without_an_admin_token_still_serves_tenants(tmp_path: Path) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "mock.db", hosted=True))
    with client_at(app, PROXY) as c:
        assert c.post("/mock-api/reset").status_code == 401
        scope = c.get("/mock-api/scope", headers=bearer(c)).json()
        assert scope == {"code": 0, "msg": "success", "data": {"scope": "tenant", "tenant_key": "sandbox"}}
    _close(app)


def test_forwarded_for_counts_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    """Not hosted, with the proxy trusted: the proxy's client is the caller, so a partner behind it is not
    loopback; a client that reaches the server directly cannot pretend to be loopback either."""
    app = _app(tmp_path, trusted_proxies=("10.0.0.5",))
    with client_at(app, "10.0.0.5") as via_proxy:
        assert via_proxy.post("/mock-api/reset", headers=FORWARDED).status_code == 401
        loopback_client = {"X-Forwarded-For": "127.0.0.1"}
        assert via_proxy.post("/mock-api/reset", headers=loopback_client).status_code == 200
    with client_at(app, "203.0.113.9") as direct:
        assert direct.post("/mock-api/reset", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 401
    _close(app)


def test_forwarded_chains_are_read_right_to_left() -> None:
    seen: dict[str, str] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["addr"] = environ["REMOTE_ADDR"]
        seen["scheme"] = environ.get("wsgi.url_scheme", "")
        seen["host"] = environ.get("HTTP_HOST", "")
        return []

    proxies = TrustedProxies(app, ["10.0.0.0/8", "127.0.0.1"])

    def call(peer: str, forwarded_for: str, proto: str = "") -> tuple[str, str]:
        environ = {"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": forwarded_for, "wsgi.url_scheme": "http"}
        if proto:
            environ["HTTP_X_FORWARDED_PROTO"] = proto
        proxies(environ, None)
        return seen["addr"], seen["scheme"]

    # client -> 10.1.1.1 (trusted) -> 127.0.0.1 (trusted, the peer): the client is the first untrusted hop.
    assert call("127.0.0.1", "198.51.100.1, 10.1.1.1") == ("198.51.100.1", "http")
    # A forged leftmost entry is never reached: the first untrusted address from the right wins.
    assert call("127.0.0.1", "127.0.0.1, 198.51.100.1, 10.1.1.1") == ("198.51.100.1", "http")
    # An untrusted peer's headers are ignored.
    assert call("198.51.100.7", "127.0.0.1", "https") == ("198.51.100.7", "http")
    assert call("10.2.3.4", "garbage", "https") == ("10.2.3.4", "https")
    proxies(
        {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8080",
            "HTTP_X_FORWARDED_HOST": "sandbox.example",
        },
        None,
    )
    assert seen["host"] == "sandbox.example"
    proxies({"REMOTE_ADDR": "198.51.100.7", "HTTP_HOST": "a", "HTTP_X_FORWARDED_HOST": "evil.example"}, None)
    assert seen["host"] == "a"
    assert not is_loopback("198.51.100.1")
    assert is_loopback("::ffff:127.0.0.1")


def test_a_bad_trusted_proxy_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not-an-address"):
        MockConfig(db_path=tmp_path / "m.db", trusted_proxies=("not-an-address",))


def test_serve_hosted_refuses_the_proxy_on_loopback(tmp_path: Path) -> None:
    """`feishu-hire serve --hosted` on a real socket: the issue's request from 127.0.0.1 with
    X-Forwarded-For is refused; with the admin token it is answered."""
    feishu_hire = str(Path(sys.executable).with_name("feishu-hire"))
    process, url = start_server(
        [feishu_hire, "serve"], tmp_path / "mock.db", "--hosted", "--admin-token", ADMIN_TOKEN
    )
    try:
        with httpx.Client(base_url=url, timeout=10) as c:
            assert c.post("/mock-api/reset", headers=FORWARDED).status_code == 401
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", **FORWARDED}
            assert c.post("/mock-api/reset", headers=admin).status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


def test_serve_refuses_a_bad_trusted_proxy(tmp_path: Path) -> None:
    feishu_hire = str(Path(sys.executable).with_name("feishu-hire"))
    done = subprocess.run(
        [feishu_hire, "serve", "--db", str(tmp_path / "m.db"), "--trusted-proxy", "nope"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "nope" in done.stderr
    assert "Traceback" not in done.stderr
