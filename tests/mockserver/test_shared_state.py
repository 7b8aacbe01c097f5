"""Several processes on one database act as one server (`MockConfig.shared_state`, `serve --workers N`):
an injected fault is taken once overall, the clock is one clock, rate limits count every process's
calls, and the journal holds every request.

The in-process tests run two apps (two stores, two runtimes, no memory in common) on one database with a
frozen clock, so counts are exact; the slow ones run two real `feishu-hire serve --workers 2` servers.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from flask import Flask

from mockserver import MockConfig, create_app
from mockserver.clock import Clock
from mockserver.control import MockControl
from mockserver.runtime import EXTENSION, Runtime
from tests.mockserver.helpers import SITE_USERS, ServeProcess, bearer, body, start_server

START = 1_700_000_000.0


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[list[httpx.Client]]:
    """Two apps sharing one database file, each with its own runtime."""
    config = MockConfig(db_path=tmp_path / "m.db", clock=Clock(start=START), shared_state=True)
    apps: list[Flask] = [create_app(config), create_app(config)]
    clients = [
        httpx.Client(transport=httpx.WSGITransport(app=a), base_url="http://feishu.mock") for a in apps
    ]
    yield clients
    for c, a in zip(clients, apps, strict=True):
        c.close()
        runtime: Runtime = a.extensions[EXTENSION]
        runtime.close()


def _create(c: httpx.Client, headers: dict[str, str], external_id: str) -> int:
    code: int = body(c.post(SITE_USERS, json={"external_id": external_id}, headers=headers))["code"]
    return code


def test_a_fault_is_taken_once_overall(pair: list[httpx.Client]) -> None:
    headers = bearer(pair[0])
    MockControl(pair[0]).inject_fault("create_website_site_user", code=1002001, count=3)
    assert MockControl(pair[1]).faults()[0]["remaining"] == 3
    with ThreadPoolExecutor(8) as pool:
        # 10 calls: all within site_users' 10/s, whose count includes faulted calls.
        codes = list(pool.map(lambda i: _create(pair[i % 2], headers, f"e{i}"), range(10)))
    assert (codes.count(1002001), codes.count(0)) == (3, 7)
    assert MockControl(pair[1]).faults() == []


def test_the_clock_is_one_clock(pair: list[httpx.Client]) -> None:
    headers = bearer(pair[0])
    assert MockControl(pair[0]).advance_clock(7200) == START + 7200
    assert MockControl(pair[1]).now() == START + 7200
    # The token issued before has expired for both.
    assert _create(pair[1], headers, "e") == 99991677


def test_rate_limits_count_every_process(pair: list[httpx.Client]) -> None:
    headers = bearer(pair[0])
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda i: _create(pair[i % 2], headers, f"e{i}"), range(30)))
    # site_users allows 10/s per app: 10 in all, not 10 per app instance.
    assert (codes.count(0), codes.count(99991400)) == (10, 20)
    MockControl(pair[1]).advance_clock(1.0)
    assert _create(pair[0], headers, "next") == 0


def test_the_journal_holds_every_request_and_reset_clears_it_for_all(pair: list[httpx.Client]) -> None:
    headers = bearer(pair[0])
    log_ids = {
        pair[i % 2].post(SITE_USERS, json={"external_id": "e"}, headers=headers).headers["X-Tt-Logid"]
        for i in range(6)
    }
    for c in pair:
        journal = MockControl(c).requests()
        assert [e["operation"] for e in journal] == ["tenant_access_token_internal"] + [
            "create_website_site_user"
        ] * 6
        assert {e["log_id"] for e in journal[1:]} == log_ids
    MockControl(pair[1]).inject_fault("create_website_site_user", code=1002001)
    MockControl(pair[0]).reset()
    assert MockControl(pair[1]).requests() == []
    assert MockControl(pair[1]).faults() == []


def test_shared_state_needs_a_database_file() -> None:
    with pytest.raises(ValueError, match="memory"):
        create_app(MockConfig(db_path=":memory:", shared_state=True))


Server = ServeProcess


def _serve(db: Path, *args: str) -> Server:
    feishu_hire = str(Path(sys.executable).with_name("feishu-hire"))
    return start_server([feishu_hire, "serve"], db, "--workers", "2", *args)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[httpx.Client]]:
    """Two `serve --workers 2` servers on one database: four worker processes, two listening sockets."""
    db = tmp_path / "mock.db"
    started = [_serve(db, "--no-rate-limits"), _serve(db, "--no-rate-limits")]
    clients = [httpx.Client(base_url=url, timeout=30) for _, url in started]
    yield clients
    for c in clients:
        c.close()
    for process, _ in started:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


def _burst(clients: list[httpx.Client], headers: dict[str, str], calls: int) -> list[int]:
    # A new connection per call, so the kernel spreads them over both workers of each server; on
    # http.client, whose connection costs a socket (a new httpx client builds an SSL context: ~30 ms).
    def one(i: int) -> int:
        conn = http.client.HTTPConnection(
            clients[i % 2].base_url.host, clients[i % 2].base_url.port, timeout=30
        )
        try:
            payload = json.dumps({"external_id": f"b{i}"})
            conn.request("POST", SITE_USERS, payload, {**headers, "Content-Type": "application/json"})
            return int(json.loads(conn.getresponse().read())["code"])
        finally:
            conn.close()

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(calls)))


@pytest.mark.slow
def test_workers_of_two_servers_act_as_one(servers: list[httpx.Client]) -> None:
    a, b = servers
    control_a, control_b = MockControl(a), MockControl(b)
    headers = bearer(a)

    # A fault injected through one server is taken once overall.
    control_a.inject_fault("create_website_site_user", code=1002001, count=2)
    codes = _burst(servers, headers, 12)
    assert codes.count(1002001) == 2, codes
    assert control_b.faults() == []

    # The journal saw every request, whichever process answered it, and both servers read the same one.
    journal = control_b.requests()
    assert [e["operation"] for e in journal] == ["tenant_access_token_internal"] + [
        "create_website_site_user"
    ] * 12
    assert journal == control_a.requests()

    # The clock advance is seen by all: the token has expired on both servers.
    before = control_b.now()
    control_a.advance_clock(7200)
    assert control_b.now() >= before + 7200
    assert body(b.post(SITE_USERS, json={"external_id": "late"}, headers=headers))["code"] == 99991677


@pytest.mark.slow
def test_rate_limits_count_across_workers(tmp_path: Path) -> None:
    db = tmp_path / "mock.db"
    started = [_serve(db), _serve(db)]
    clients = [httpx.Client(base_url=url, timeout=30) for _, url in started]
    try:
        headers = bearer(clients[0])
        # The window is real time here: a burst that fits in its second must admit exactly 10 (site
        # users' 10/s); a per-process counter would admit up to 40 (four workers).
        for _ in range(5):
            MockControl(clients[0]).reset()
            headers = bearer(clients[0])
            started_at = time.monotonic()
            codes = _burst(clients, headers, 30)
            if time.monotonic() - started_at < 0.9:
                break
        else:
            pytest.skip("the machine is too slow for 30 calls within one rate-limit window")
        assert (codes.count(0), codes.count(99991400)) == (10, 20), codes
    finally:
        for c in clients:
            c.close()
        for process, _ in started:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)


@pytest.mark.slow
def test_serve_starts_with_fresh_server_state(tmp_path: Path) -> None:
    db = tmp_path / "mock.db"
    process, url = _serve(db)
    try:
        with MockControl.connect(url) as control:
            control.inject_fault("create_website_site_user", code=1002001)
            control.advance_clock(60)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
    process, url = _serve(db)
    try:
        with MockControl.connect(url) as control:
            assert control.faults() == []
            assert abs(control.now() - time.time()) < 30
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


def _raw(url: str, request: bytes, hang_up: bool = False) -> bytes:
    """One request on a socket of its own, read to the end (the request asks for Connection: close);
    with `hang_up`, the client's side is shut after the request, as a client that goes away."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        if hang_up:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.slow
def test_uvicorn_answers_like_waitress(tmp_path: Path) -> None:
    """Chunked bodies decoded, big bodies refused, bad HTTP a clean 400; header names in Feishu's casing
    (`X-Tt-Logid`, which lark-oapi looks up exactly), as on waitress."""
    process, url = _serve(tmp_path / "mock.db", "--no-rate-limits")
    try:
        headers = bearer(httpx.Client(base_url=url))
        host = url.removeprefix("http://")
        envelope = json.dumps({"external_id": "chunked", "name": "C"}).encode()
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (envelope[:5], envelope[5:]))
        answer = _raw(
            url,
            f"POST {SITE_USERS} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {headers['Authorization']}\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
            + chunked
            + b"0\r\n\r\n",
        )
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), answer
        assert b"\r\nX-Tt-Logid: " in head
        assert json.loads(payload)["data"]["site_user"]["name"] == "C"

        big = b"1" * (2 << 20)
        for extra in ({"Content-Length": str(len(big))}, {"Transfer-Encoding": "chunked"}):
            content = big if "Content-Length" in extra else b"%x\r\n%s\r\n0\r\n\r\n" % (len(big), big)
            request = f"POST {SITE_USERS} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
            request += "".join(f"{k}: {v}\r\n" for k, v in {**headers, **extra}.items())
            head, _, payload = _raw(url, request.encode() + b"\r\n" + content).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400"), head
            assert json.loads(payload)["code"] == 1002002

        # A body cut short of its Content-Length (the client went away).
        cut = f"POST {SITE_USERS} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {headers['Authorization']}\r\n"
        cut += "Content-Length: 32\r\nConnection: close\r\n\r\n"
        answer = _raw(url, cut.encode() + b'{"external_id": "cut"}', hang_up=True)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer
        assert [(e["status"], e["code"]) for e in MockControl.connect(url).requests()][-1] == (400, 1002002)

        bad_chunk = f"POST {SITE_USERS} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        answer = _raw(url, bad_chunk.encode() + b"ZZ\r\n{}\r\n0\r\n\r\n")
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer
        assert b"Traceback" not in answer
        # The control plane still sees the client's loopback address, not the router's.
        assert httpx.get(f"{url}/mock-api/state").status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


def _gone(pid: int) -> bool:
    """Exited (or a zombie nobody reaps yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in {"Z", "X"}


@pytest.mark.slow
def test_kill_9_of_the_master_stops_its_workers(tmp_path: Path) -> None:
    process, url = _serve(tmp_path / "mock.db")
    try:
        assert httpx.get(f"{url}/mock-api/state").status_code == 200
        children = [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and _parent(int(p.name)) == process.pid
        ]
        assert len(children) == 2, children  # two workers
        process.kill()  # the master alone, not its group
        process.wait(5)
        deadline = time.monotonic() + 5
        while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(_gone(pid) for pid in children)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/mock-api/state", timeout=2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None


def test_a_token_used_in_both_is_refused_by_both_after_a_reset_in_one(pair: list[httpx.Client]) -> None:
    # Each process keeps the token rows it has read (the token cache); a reset anywhere must reach them.
    headers = bearer(pair[0])
    assert [_create(c, headers, f"before-{i}") for i, c in enumerate(pair)] == [0, 0]
    MockControl(pair[1]).reset()
    assert [_create(c, headers, f"after-{i}") for i, c in enumerate(pair)] == [99991663, 99991663]


def test_a_token_pruned_by_one_is_unknown_to_the_other(pair: list[httpx.Client]) -> None:
    headers = bearer(pair[0])
    assert _create(pair[0], headers, "kept-in-the-cache") == 0
    # Expired a day ago and more: the next token issued anywhere deletes it (auth.KEEP_EXPIRED).
    MockControl(pair[1]).advance_clock(7200 + 86400 + 1)
    assert _create(pair[0], headers, "expired") == 99991677
    bearer(pair[1])
    assert _create(pair[0], headers, "pruned") == 99991663
