"""`GET /mock-api/health`, a load balancer's check (`mockserver.health`): open to anyone, 200 while the
server can answer calls, 503 while it stops; not a Feishu call (answered before Flask). The
engines down are in `tests/hosting/test_health_of_hosts.py`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mockserver import MockConfig, create_app
from mockserver.health import PATH
from mockserver.runtime import EXTENSION, Runtime


@pytest.mark.parametrize("shared_state", [False, True], ids=["local-state", "shared-state"])
def test_a_hosted_server_answers_anyone_that_it_is_healthy_before_any_of_flasks_work(
    tmp_path: Path, shared_state: bool
) -> None:
    app = create_app(
        MockConfig(db_path=tmp_path / "m.db", hosted=True, admin_token="s3cret", shared_state=shared_state)
    )
    balancer = httpx.WSGITransport(app=app, remote_addr="10.0.0.7")  # no token, not loopback
    with httpx.Client(transport=balancer, base_url="http://host-1") as c:
        assert c.get("/mock-api/state").status_code == 401  # the rest of the control plane stays closed
        for _ in range(3):
            answer = c.get(PATH)
            assert answer.status_code == 200
            assert answer.json() == {"status": "ok", "engines": {"database": "ok", "rate_limits": "ok"}}
            assert answer.headers["Cache-Control"] == "no-store"
            assert "X-Tt-Logid" not in answer.headers  # answered before Flask: no call begun
        head = c.head(PATH)
        assert (head.status_code, head.content) == (200, b"")
        assert c.post(PATH).status_code == 404  # only GET and HEAD: a POST is any other unknown path


def test_without_rate_limits_only_the_database_is_asked(tmp_path: Path) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "m.db", rate_limits=False))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://host-1") as c:
        assert c.get(PATH).json() == {"status": "ok", "engines": {"database": "ok"}}


def test_a_server_that_is_stopping_answers_503_so_the_balancer_drains_it(tmp_path: Path) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "m.db"))
    runtime: Runtime = app.extensions[EXTENSION]
    runtime.close()
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://host-1") as c:
        answer = c.get(PATH)
    assert answer.status_code == 503
    assert answer.json() == {"status": "shutting down"}


def test_an_engine_that_fails_in_an_unforeseen_way_is_unavailable_not_a_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "m.db"))
    runtime: Runtime = app.extensions[EXTENSION]

    def broken() -> None:
        raise OSError("disk I/O error")

    monkeypatch.setattr(runtime.limiter.windows, "ping", broken)
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://host-1") as c:
        answer = c.get(PATH)
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "unavailable",
        "engines": {"database": "ok", "rate_limits": "unavailable"},
    }
    assert "disk I/O error" in caplog.text
