"""Stopping the mock while a request is in flight: that request gets its whole answer (the store closes
after it), one that outlives the wait or arrives later a plain 503, never a 1002001 from a closed store."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from flask import Flask

from mockserver import MockConfig, create_app
from mockserver.control import MockControl
from mockserver.runtime import EXTENSION, Runtime
from tests.mockserver.helpers import SITE_USERS, bearer, body

BASE_URL = "http://feishu.mock"


def _client(app: Flask) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE_URL)


def _closing_under_a_slow_create(
    tmp_path: Path, wait_s: float
) -> tuple[httpx.Response, Flask, dict[str, str]]:
    """A create that spends 300 ms in its work; the runtime is closed (waiting `wait_s`) meanwhile."""
    app = create_app(MockConfig(db_path=tmp_path / "m.db"))
    runtime: Runtime = app.extensions[EXTENSION]
    with _client(app) as c:
        headers = bearer(c)
        MockControl(c).inject_fault("create_website_site_user", latency_ms=300)
    answers: list[httpx.Response] = []

    def create() -> None:
        with _client(app) as c:
            answers.append(c.post(SITE_USERS, json={"external_id": "slow"}, headers=headers))

    slow = threading.Thread(target=create)
    slow.start()
    deadline = time.monotonic() + 10
    while runtime.in_flight == 0 and slow.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert runtime.in_flight == 1
    runtime.close(wait_s=wait_s)
    slow.join()
    return answers[0], app, headers


def test_a_request_in_flight_at_shutdown_gets_its_answer(tmp_path: Path) -> None:
    answer, app, headers = _closing_under_a_slow_create(tmp_path, wait_s=5.0)
    assert answer.status_code == 200
    assert body(answer)["code"] == 0
    with _client(app) as c:
        late = c.post(SITE_USERS, json={"external_id": "late"}, headers=headers)
    assert late.status_code == 503
    assert late.headers["Content-Type"].startswith("text/plain")
    assert "shutting down" in late.text


def test_a_request_that_outlives_the_wait_gets_a_503_not_a_system_error(tmp_path: Path) -> None:
    answer, _, _ = _closing_under_a_slow_create(tmp_path, wait_s=0.05)  # the store closes under it
    assert answer.status_code == 503
    assert "shutting down" in answer.text
