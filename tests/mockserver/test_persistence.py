"""Everything acknowledged with code 0 survives a restart and a kill -9; uniqueness holds across processes."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from mockserver import MockConfig, create_app
from mockserver.control import MockControl
from mockserver.runtime import EXTENSION, Runtime
from tests.mockserver.helpers import (
    BATCH_UPDATE,
    EXTERNAL_INFO,
    SITE_USERS,
    TOKEN_PATH,
    ZHANG,
    ServeProcess,
    bearer,
    body,
    start_server,
)

Server = ServeProcess


def _in_process(db: Path) -> tuple[httpx.Client, Runtime]:
    app = create_app(MockConfig(db_path=db))
    return httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://feishu.mock"
    ), app.extensions[EXTENSION]


def _acknowledged_writes(c: httpx.Client, headers: dict[str, str]) -> str:
    user = body(c.post(SITE_USERS, json={"external_id": "survivor", "name": "n"}, headers=headers))
    assert user["code"] == 0
    assert body(c.post(EXTERNAL_INFO, json={"external_create_time": "42"}, headers=headers))["code"] == 0
    update = {"update_option_list": [1], "recruiter_id": ZHANG["open_id"]}
    assert body(c.post(BATCH_UPDATE, json=update, headers=headers))["code"] == 0
    user_id: str = user["data"]["site_user"]["user_id"]
    return user_id


def _assert_survived(c: httpx.Client, control: MockControl, headers: dict[str, str], user_id: str) -> None:
    tenant = control.state()["tenants"]["sandbox"]
    assert [u["user_id"] for u in tenant["site_users"]] == [user_id]
    assert {t["talent_id"]: t["external_create_time"] for t in tenant["talents"]}[
        "7043758982146345223"
    ] == "42"
    assert tenant["jobs"][0]["recruiter_id"] == ZHANG["user_id"]
    # The token issued before is still valid, and the idempotent create still answers the same user.
    again = body(c.post(SITE_USERS, json={"external_id": "survivor"}, headers=headers))
    assert again["data"]["site_user"]["user_id"] == user_id


def test_restart_on_the_same_database_keeps_everything(tmp_path: Path) -> None:
    db = tmp_path / "mock.db"
    c, rt = _in_process(db)
    headers = bearer(c)
    user_id = _acknowledged_writes(c, headers)
    c.close()
    rt.close()
    c, rt = _in_process(db)
    _assert_survived(c, MockControl(c), headers, user_id)
    c.close()
    rt.close()


def _start(db: Path, *args: str, command: tuple[str, ...] = (sys.executable, "-m", "mockserver")) -> Server:
    return start_server(command, db, *args)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for process, _ in started:
        process.kill()
        process.wait(10)


@pytest.mark.slow
def test_kill_9_loses_nothing_acknowledged(tmp_path: Path, servers: list[Server]) -> None:
    db = tmp_path / "mock.db"
    feishu_hire = (str(Path(sys.executable).with_name("feishu-hire")), "serve")
    servers.append(_start(db, "--app-id", "cli_custom", "--app-secret", "custom-secret", command=feishu_hire))
    process, base_url = servers[0]
    with httpx.Client(base_url=base_url, timeout=10) as c:
        headers = bearer(c, "cli_custom", "custom-secret")
        user_id = _acknowledged_writes(c, headers)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(10) == -signal.SIGKILL
    c, rt = _in_process(db)
    # The restart without flags adds the default app; the custom one stays with its data.
    _assert_survived(c, MockControl(c), headers, user_id)
    assert body(c.post(TOKEN_PATH, json={"app_id": "cli_custom", "app_secret": "custom-secret"}))["code"] == 0
    c.close()
    rt.close()


@pytest.mark.slow
def test_one_site_user_per_external_id_across_processes(tmp_path: Path, servers: list[Server]) -> None:
    db = tmp_path / "mock.db"
    servers.extend([_start(db, "--no-rate-limits"), _start(db, "--no-rate-limits")])
    clients = [httpx.Client(base_url=url, timeout=30) for _, url in servers]
    try:
        headers = bearer(clients[0])  # tokens live in the shared database: valid on both servers

        def create(i: int) -> str:
            answer = body(clients[i % 2].post(SITE_USERS, json={"external_id": "shared"}, headers=headers))
            assert answer["code"] == 0, answer
            user_id: str = answer["data"]["site_user"]["user_id"]
            return user_id

        with ThreadPoolExecutor(max_workers=16) as pool:
            user_ids = set(pool.map(create, range(40)))
        assert len(user_ids) == 1
        stored = MockControl(clients[1]).state()["tenants"]["sandbox"]["site_users"]
        assert [u["user_id"] for u in stored] == list(user_ids)
    finally:
        for c in clients:
            c.close()
