"""`feishu-hire serve` as a process, on each server it can run (uvicorn with worker processes, the
default; waitress, the fallback): slow and broken clients do not stall the others and are cut off after
`--client-timeout`; oversized input gets Feishu's envelope; SIGTERM and Ctrl-C stop it within 2 s with
nothing acknowledged lost and no process left behind. Bounded: a few seconds of traffic each."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.drills.slow_clients import p99, run
from benchmarks.servers import live_process_group
from mockserver.server import SERVER_HEADER_BYTES
from tests.mockserver.helpers import SITE_USERS, bearer, start_server

FEISHU_HIRE = str(Path(sys.executable).with_name("feishu-hire"))
MODES = {
    "uvicorn": ("--workers", "2"),  # on httptools
    "uvicorn-h11": ("--workers", "2", "--http", "h11"),
    "waitress": ("--server", "waitress"),
}


@contextlib.contextmanager
def serving(tmp_path: Path, mode: str, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process, url = start_server([FEISHU_HIRE, "serve"], tmp_path / "mock.db", *MODES[mode], *args)
    try:
        yield process, url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_slow_and_silent_clients_stall_no_one(tmp_path: Path, mode: str) -> None:
    counts = {"mid-headers": 16, "mid-body": 16, "silent": 32}
    with serving(tmp_path, mode, "--no-rate-limits", "--client-timeout", "1") as (_, url):
        outcome = run(url, counts, seconds=2.5)
    assert len(outcome.under_attack_ms) > 50
    # A stall would last the client timeout (1 s) or more; the usual p99 is a few ms.
    assert p99(outcome.under_attack_ms) < 100, (
        p99(outcome.baseline_ms),
        sorted(outcome.under_attack_ms)[-5:],
    )
    for group in outcome.groups:
        assert None not in group.closed_after, f"{group.kind}: not closed by the server"
        assert all(0.9 < c < 2.5 for c in group.closed_after if c is not None), group.closed_after
    if mode != "waitress":  # waitress closes a late body without an answer
        mid_body = next(g for g in outcome.groups if g.kind == "mid-body")
        assert all(a.startswith(b"HTTP/1.1 400") and b"1002002" in a for a in mid_body.answers)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_oversized_input_gets_the_envelope(tmp_path: Path, mode: str) -> None:
    with serving(tmp_path, mode) as (_, url), httpx.Client(base_url=url, timeout=30) as client:
        headers = bearer(client)
        big_headers = client.post(
            SITE_USERS, json={"external_id": "h"}, headers={**headers, "X-Big": "a" * 100_000}
        )
        assert big_headers.status_code == 400
        assert big_headers.json()["code"] == 1002002
        assert "headers" in big_headers.json()["msg"]
        for size in (2 << 20, 80 << 20):  # over the 1 MiB limit; over what a server would buffer
            big_body = client.post(SITE_USERS, content=b"1" * size, headers=headers)
            assert big_body.status_code == 400
            assert big_body.json()["code"] == 1002002
        assert client.post(SITE_USERS, json={"external_id": "after"}, headers=headers).json()["code"] == 0
        # Over the server's own limit (SERVER_HEADER_BYTES): its plain 400 or 431, the connection closed,
        # the server none the worse.
        host, port = url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as s:
            head = f"POST {SITE_USERS} HTTP/1.1\r\nHost: {host}\r\n".encode()
            with contextlib.suppress(OSError):  # the server may close before it has read it all
                s.sendall(head + b"X-Big: " + b"a" * (SERVER_HEADER_BYTES + 4096) + b"\r\n\r\n")
            answer = s.recv(4096)
        assert answer[:12] in (b"HTTP/1.1 400", b"HTTP/1.1 431", b"HTTP/1.0 431"), answer[:200]
        assert client.post(SITE_USERS, json={"external_id": "later"}, headers=headers).json()["code"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_a_path_parameter_in_utf8_reads_alike_on_every_server(tmp_path: Path, mode: str) -> None:
    with serving(tmp_path, mode) as (_, url), httpx.Client(base_url=url, timeout=30) as client:
        path = "/open-apis/hire/v1/websites/%E7%BD%91%E7%AB%99/site_users"
        answer = client.post(path, json={"external_id": "u"}, headers=bearer(client)).json()
        assert answer["msg"].endswith("website_id=网站"), answer


def _stored(db: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return {row[0] for row in conn.execute("SELECT record_key FROM records WHERE kind = 'site_user'")}


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_is_quick_and_loses_nothing(tmp_path: Path, mode: str, sig: signal.Signals) -> None:
    with serving(tmp_path, mode, "--no-rate-limits") as (process, url):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        headers = bearer(httpx.Client(base_url=url))
        open_connections = []
        for first_bytes in (
            b"",
            b"POST / HTTP/1.1\r\nHost: x\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n{",
        ):
            for _ in range(4):
                s = socket.create_connection((host, int(port)))
                s.sendall(first_bytes)
                open_connections.append(s)
        acknowledged: list[str] = []
        stop = threading.Event()

        def creates(n: int) -> None:
            with httpx.Client(base_url=url, headers=headers, timeout=5) as client:  # keep-alive
                for i in range(10_000):
                    if stop.is_set():
                        return
                    with contextlib.suppress(httpx.TransportError):
                        if client.post(SITE_USERS, json={"external_id": f"s{n}-{i}"}).json()["code"] == 0:
                            acknowledged.append(f"s{n}-{i}")

        threads = [threading.Thread(target=creates, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(acknowledged) < 20 and time.monotonic() < deadline:  # creates in flight
            time.sleep(0.05)
        group = live_process_group(process.pid)
        started = time.monotonic()
        process.send_signal(sig)
        process.wait(10)
        took = time.monotonic() - started
        stop.set()
        for t in threads:
            t.join(10)
        for s in open_connections:
            s.close()
        assert took < 2, f"stopped after {took:.2f} s"
        assert process.returncode == 0
        assert len(group) >= (1 if mode == "waitress" else 3)
        deadline = time.monotonic() + 2
        while live_process_group(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live_process_group(process.pid) == []
        assert acknowledged
        assert set(acknowledged) <= _stored(tmp_path / "mock.db")


ORPHAN = """
import multiprocessing, os, sys, time
from mockserver.server import die_with_parent

def worker(path):
    time.sleep(0.5)  # still loading the app when its parent is killed
    die_with_parent()
    with open(path, "w") as f:
        f.write("survived")
    time.sleep(30)

if __name__ == "__main__":
    child = multiprocessing.get_context("fork").Process(target=worker, args=(sys.argv[1],))
    child.start()
    with open(sys.argv[2], "w") as f:
        f.write(str(child.pid))
    os._exit(0)  # the parent dies at once, before the child has set its parent-death signal
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_worker_whose_parent_died_while_it_started_ends_too(tmp_path: Path) -> None:
    marker, pid_file = tmp_path / "survived", tmp_path / "child.pid"
    # No pipe to the parent: the child would hold it open, and the run would wait for the child.
    subprocess.run(
        [sys.executable, "-c", ORPHAN, str(marker), str(pid_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10, check=True,
    )  # fmt: skip
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive
    assert not marker.exists()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")
