"""The JSON control plane refuses a browser's cross-site change (`mockserver.cross_origin`) and keeps
answering programmatic clients: real requests, in-process and over HTTP, refused and still allowed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from flask import Flask

from mockserver.control import MockControl
from mockserver.server import WaitressServer
from tests.console.conftest import BASE_URL

FAULT = {"operation": "create_website_site_user", "code": 1002001, "count": 1}
OWN_ORIGIN = BASE_URL  # the clients' base URL is the server's own origin
EVIL = "http://evil.example"


def _faults(local: httpx.Client) -> int:
    return len(local.get("/mock-api/faults").json()["faults"])


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": EVIL},
        # Another port of the same host is the same site, not the same origin: refused too.
        {"Sec-Fetch-Site": "same-site", "Origin": "http://sandbox.example:3000"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": EVIL},  # a browser older than Sec-Fetch-Site
        {"Origin": "null"},  # an opaque origin (a sandboxed frame, a data: page)
        {"Origin": "http://sandbox.example:3000"},
    ],
    ids=["cross-site", "same-site", "cross-site-without-origin", "origin", "null-origin", "other-port"],
)
def test_a_browsers_cross_site_change_is_refused(local: httpx.Client, headers: dict[str, str]) -> None:
    """From loopback, where the control plane needs no token: the change never happens."""
    assert local.post("/mock-api/faults", json=FAULT).status_code == 200
    for method, path, body in (
        ("POST", "/mock-api/reset", None),
        ("POST", "/mock-api/faults", FAULT),
        ("DELETE", "/mock-api/faults", None),
        ("POST", "/mock-api/clock/advance", {"seconds": 60}),
    ):
        r = local.request(method, path, json=body, headers=headers)
        assert r.status_code == 403, (method, path, r.text)
        assert "cross-origin request refused" in r.json()["error"]
    assert _faults(local) == 1
    # Reads stay open: a page cannot read the answer of another origin (no CORS headers are sent).
    assert local.get("/mock-api/faults", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", None],
)
def test_a_body_must_be_json(local: httpx.Client, content_type: str | None) -> None:
    """A form or text post (what a page sends cross-site without a preflight) is refused with 415, even
    from a browser that names no origin."""
    headers = {} if content_type is None else {"Content-Type": content_type}
    r = local.post("/mock-api/clock/advance", content=b'{"seconds": 60}', headers=headers)
    assert r.status_code == 415, r.text
    assert "Content-Type: application/json" in r.json()["error"]
    assert (
        local.get("/mock-api/clock").json()["now"]
        < local.post("/mock-api/clock/advance", json={"seconds": 60}).json()["now"]
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, httpx, the kit's client: no browser headers
        {"User-Agent": "curl/8.5.0", "Accept": "*/*"},
        {"Origin": OWN_ORIGIN},
        {"Sec-Fetch-Site": "same-origin", "Origin": OWN_ORIGIN},
        {"Sec-Fetch-Site": "none"},  # the user's own navigation
        {"Origin": "HTTP://SANDBOX.EXAMPLE"},
    ],
    ids=["bare", "curl", "own-origin", "same-origin", "none", "own-origin-upper-case"],
)
def test_programmatic_and_same_origin_calls_still_work(local: httpx.Client, headers: dict[str, str]) -> None:
    assert local.post("/mock-api/faults", json=FAULT, headers=headers).status_code == 200
    assert local.post("/mock-api/clock/advance", json={"seconds": 1}, headers=headers).status_code == 200
    assert local.delete("/mock-api/faults", headers=headers).status_code == 200
    assert local.post("/mock-api/reset", headers=headers).status_code == 200


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    server = WaitressServer(app, host="127.0.0.1", port=0, threads=2).start()
    try:
        yield server.base_url
    finally:
        server.stop()


def test_over_http(served: str) -> None:
    """On a real server: the kit's client works, a browser-like cross-site post is refused, a same-origin
    one (Origin is the server's own address) goes through."""
    with MockControl.connect(served) as control:
        control.inject_fault("create_website_site_user", code=1002001)
        with httpx.Client(base_url=served) as browser:
            refused = browser.delete(
                "/mock-api/faults", headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}
            )
            assert refused.status_code == 403, refused.text
            assert len(control.faults()) == 1
            allowed = browser.delete(
                "/mock-api/faults", headers={"Origin": served, "Sec-Fetch-Site": "same-origin"}
            )
            assert allowed.status_code == 200, allowed.text
        assert control.faults() == []
