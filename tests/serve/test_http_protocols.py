"""What the mock's HTTP protocols promise: plain HTTP/1.1 on the wire alike on every server (the app's
header casing, pipelining, 100-continue, chunked bodies, HEAD, HTTP/1.0), and, with the journal's
entries of a loop turn written in one insert, every call's entry stored before its caller has the
answer (`Journal.record`, `CoalescingTransport`)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from mockserver.app import create_app
from mockserver.config import MockConfig
from mockserver.journal import JournalFilter
from mockserver.runtime import EXTENSION, Runtime
from tests.mockserver.helpers import SITE_USERS, bearer, start_server
from tests.serve.test_serving import MODES, serving


def _exchange(url: str, raw: bytes, until: bytes, seconds: float = 5) -> bytes:
    """Sends `raw` on a new connection and reads until `until` has come (or the server closes)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    got = b""
    with socket.create_connection((host.strip("[]"), int(port)), timeout=seconds) as sock:
        sock.sendall(raw)
        while until not in got:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    return got


def _heads(answers: bytes) -> list[bytes]:
    return [part.split(b"\r\n", 1)[0] for part in answers.split(b"HTTP/1.1 ")[1:]]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_the_wire_is_plain_http_on_every_server(tmp_path: Path, mode: str) -> None:
    """What clients meet on the wire, alike on every server: the app's header casing, pipelined
    requests answered in order, `Expect: 100-continue`, a chunked body, HEAD, HTTP/1.0, a malformed
    request and an upgrade nobody serves."""
    with serving(tmp_path, mode) as (_, url):
        token = bearer(httpx.Client(base_url=url))["Authorization"]
        body = b'{"external_id": "wire-%d", "name": "wire"}'

        def create(n: int, *extra: bytes) -> bytes:
            payload = body % n
            return b"\r\n".join(
                [
                    b"POST " + SITE_USERS.encode() + b" HTTP/1.1",
                    b"Host: mock",
                    b"Authorization: " + token.encode(),
                    b"Content-Type: application/json",
                    b"Content-Length: %d" % len(payload),
                    *extra,
                    b"",
                    payload,
                ]
            )

        one = _exchange(url, create(1), b"}}")
        head = one.split(b"\r\n\r\n", 1)[0]
        assert head.startswith(b"HTTP/1.1 200 "), one
        assert b"\r\nX-Tt-Logid: " in head  # lark-oapi looks the header up with this casing
        assert b"\r\nContent-Length: " in head or b"\r\ncontent-length: " in head.lower()

        # Three requests in one packet: three answers, in order.
        three = _exchange(url, create(2) + create(3) + create(4), b"wire-4")
        users = [part.split(b'"external_id":"')[1].split(b'"')[0] for part in three.split(b"HTTP/1.1 ")[1:]]
        assert users == [b"wire-2", b"wire-3", b"wire-4"], three

        # A client that waits for 100 Continue before its body.
        host, port = url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            request = create(5, b"Expect: 100-continue")
            head_part, payload = request.split(b"\r\n\r\n", 1)
            sock.sendall(head_part + b"\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
            sock.sendall(payload)
            answer = b""
            while b"wire-5" not in answer:
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 "), answer

        # A chunked body is read whole.
        payload = body % 6
        chunked = (
            b"POST "
            + SITE_USERS.encode()
            + b" HTTP/1.1\r\nHost: mock\r\nAuthorization: "
            + token.encode()
            + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n%s\r\n" % (10, payload[:10])
            + b"%x\r\n%s\r\n" % (len(payload) - 10, payload[10:])
            + b"0\r\n\r\n"
        )
        assert _heads(_exchange(url, chunked, b"wire-6")) == [b"200 OK"]

        # HEAD: the head alone; HTTP/1.0: the answer, then the connection closes.
        head_only = _exchange(url, b"HEAD /mock-api/state HTTP/1.1\r\nHost: mock\r\n\r\n", b"\r\n\r\n")
        assert head_only.startswith(b"HTTP/1.1 200 "), head_only
        assert head_only.endswith(b"\r\n\r\n"), head_only
        old = _exchange(url, b"GET /mock-api/state HTTP/1.0\r\n\r\n", b"\0")  # read to the close
        assert old.split(b" ", 1)[1].startswith(b"200 "), old  # waitress answers HTTP/1.0
        assert b'"tokens"' in old, old

        # A malformed request: 400, and the connection closes (read to the close).
        assert _exchange(url, b"NOT HTTP AT ALL\r\n\r\n", b"\0").split(b" ", 1)[1].startswith(b"400 ")

        # An upgrade nobody serves is refused, not left hanging (by the app, or by uvicorn's websockets).
        upgrade = _exchange(
            url,
            b"GET /mock-api/state HTTP/1.1\r\nHost: mock\r\n"
            b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
            b"\r\n\r\n",
        )
        assert upgrade.startswith(b"HTTP/1.1 400 "), upgrade


def test_on_a_loop_entries_wait_for_its_next_turn_and_reads_write_them_first(tmp_path: Path) -> None:
    app = create_app(MockConfig(db_path=tmp_path / "mock.db", rate_limits=False))
    client = app.test_client()
    client.post("/mock-api/reset")
    rt: Runtime = app.extensions[EXTENSION]

    async def calls() -> tuple[int, int, int]:
        # Three calls in one turn of the loop: the app runs on the loop's thread, as on a uvicorn worker.
        for n in range(3):
            client.post(SITE_USERS, json={"external_id": f"turn-{n}"})
        stored_during_turn = rt.store.read().count_journal_entries(JournalFilter().to_params(), at_most=10)
        seen_by_a_read = rt.journal.count(JournalFilter()).count  # a read writes what is pending first
        await asyncio.sleep(0)
        return stored_during_turn, seen_by_a_read, rt.journal.count(JournalFilter()).count

    during, read, after = asyncio.run(calls())
    assert (during, read, after) == (0, 3, 3)

    closed_early = asyncio.new_event_loop()
    closed_early.call_soon(lambda: client.post(SITE_USERS, json={"external_id": "left"}))
    closed_early.call_soon(closed_early.stop)
    closed_early.run_forever()
    closed_early.close()  # before its next turn: the callback that would write "left" never runs

    async def call_on_a_new_loop() -> None:
        client.post(SITE_USERS, json={"external_id": "next"})
        await asyncio.sleep(0)

    asyncio.run(call_on_a_new_loop())  # its callback writes both: nothing waits for a read
    assert rt.store.read().count_journal_entries(JournalFilter().to_params(), at_most=10) == 5


@pytest.mark.slow
@pytest.mark.parametrize("http", ["httptools", "h11"])
def test_each_call_is_in_the_journal_before_its_caller_has_the_answer(tmp_path: Path, http: str) -> None:
    """Calls from 4 threads to 2 workers, and after each answer a journal read on another connection
    (likely the other worker): the call's log id is always there."""
    feishu_hire = str(Path(sys.executable).with_name("feishu-hire"))
    process, url = start_server(
        [feishu_hire, "serve"], tmp_path / "mock.db", "--workers", "2", "--http", http, "--no-rate-limits"
    )
    missing: list[str] = []
    try:
        headers = bearer(httpx.Client(base_url=url))

        def caller(n: int) -> None:
            with (
                httpx.Client(base_url=url, timeout=10) as calls,
                httpx.Client(base_url=url, timeout=10) as reads,
            ):
                for i in range(40):
                    answer = calls.post(SITE_USERS, json={"external_id": f"j-{n}-{i}"}, headers=headers)
                    log_id = answer.headers["X-Tt-Logid"]
                    journal = reads.get("/mock-api/requests", params={"limit": 50}).json()["requests"]
                    if log_id not in {entry["log_id"] for entry in journal}:
                        missing.append(log_id)

        threads = [threading.Thread(target=caller, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    assert missing == []


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["uvicorn", "uvicorn-h11"])
def test_an_idle_connection_closes_its_timeout_after_its_last_answer(tmp_path: Path, mode: str) -> None:
    """The head of a next request is awaited `--client-timeout` seconds from the previous answer, not
    from the connection's opening (one timer serves a connection's deadlines: it is not moved for a
    later one, and must wait again when it rings before it)."""
    with serving(tmp_path, mode, "--client-timeout", "1") as (_, url):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            opened = time.monotonic()
            time.sleep(0.6)
            sock.sendall(b"GET /mock-api/scope HTTP/1.1\r\nHost: mock\r\n\r\n")
            answer = sock.recv(65536)
            answered = time.monotonic()
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            rest = sock.recv(65536)  # b"" once the server closes
            closed = time.monotonic()
    assert rest == b""
    assert 0.9 < closed - answered < 2.5, (closed - answered, closed - opened)
    assert closed - opened > 1.5
