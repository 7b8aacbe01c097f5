"""With worker processes, the supervisor accepts every connection and hands them to the workers in turn
(`mockserver.connection_handoff`): connections opened together are spread evenly, a worker that cannot
take one is passed over, and a worker that dies is replaced and served again. Linux: which process holds
a connection is read from /proc."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from benchmarks.servers import established_connections, live_process_group
from mockserver.connection_handoff import Dealer, channel_pair
from tests.mockserver.helpers import start_server

FEISHU_HIRE = str(Path(sys.executable).with_name("feishu-hire"))
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
CREDENTIALS = {"app_id": "cli_sandbox", "app_secret": "sandbox-secret"}


@contextlib.contextmanager
def dealing(workers: int) -> Iterator[tuple[Dealer, list[socket.socket], tuple[str, int]]]:
    """A Dealer on a loopback listener with `workers` channels; yields it, the workers' ends, the address."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    pairs = [channel_pair() for _ in range(workers)]
    try:
        dealer = Dealer(listener, [ours for ours, _ in pairs], backlog=64)
        yield dealer, [theirs for _, theirs in pairs], listener.getsockname()
    finally:
        listener.close()
        for ours, theirs in pairs:
            ours.close()
            theirs.close()


def _received(channel: socket.socket) -> list[socket.socket]:
    """The connections waiting on a worker's end of a channel."""
    channel.setblocking(False)
    taken: list[socket.socket] = []
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(channel, 1, 1)
        except BlockingIOError:
            return taken
        taken += [socket.socket(fileno=fd) for fd in fds]


def _connect(address: tuple[str, int], count: int) -> list[socket.socket]:
    return [socket.create_connection(address, timeout=2) for _ in range(count)]


def _dealt(dealer: Dealer, address: tuple[str, int], count: int, worker: socket.socket) -> int:
    """Opens `count` connections, deals them, answers how many `worker` received."""
    clients = _connect(address, count)
    time.sleep(0.05)  # all in the listener's queue
    dealer.deal()
    received = _received(worker)
    for conn in [*clients, *received]:
        conn.close()
    return len(received)


def test_connections_are_handed_out_in_turn() -> None:
    with dealing(2) as (dealer, workers, address):
        clients = _connect(address, 6)
        time.sleep(0.05)  # all six in the listener's queue
        dealer.deal()
        taken = [_received(worker) for worker in workers]
        assert [len(t) for t in taken] == [3, 3]
        # Each handed descriptor is the accepted end of a client's connection.
        peers = {conn.getpeername() for t in taken for conn in t}
        assert peers == {client.getsockname() for client in clients}
        for conn in [*clients, *(c for t in taken for c in t)]:
            conn.close()


def test_a_worker_that_cannot_take_more_is_passed_over() -> None:
    with dealing(2) as (dealer, workers, address):
        full = dealer.channels[0]
        with open(os.devnull) as devnull, contextlib.suppress(BlockingIOError):
            for _ in range(100_000):
                socket.send_fds(full, [b"c"], [devnull.fileno()])
        assert _dealt(dealer, address, 2, workers[1]) == 2


def test_a_dead_workers_channel_is_passed_over() -> None:
    with dealing(2) as (dealer, workers, address):
        workers[0].close()  # as when its process dies: nothing reads that channel again
        assert _dealt(dealer, address, 3, workers[1]) == 3


def _workers(supervisor: int) -> list[int]:
    return [pid for pid in live_process_group(supervisor) if pid != supervisor]


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads connections from Linux's /proc")
def test_connections_opened_together_are_spread_evenly_and_a_dead_worker_is_replaced(tmp_path: Path) -> None:
    process, url = start_server([FEISHU_HIRE, "serve"], tmp_path / "mock.db", "--workers", "2")
    try:
        port = urlsplit(url).port
        assert port is not None
        clients = [httpx.Client(base_url=url, timeout=5) for _ in range(8)]
        for client in clients:  # each opens its connection and keeps it
            assert client.post(TOKEN_PATH, json=CREDENTIALS).json()["code"] == 0
        owners = established_connections(port, _workers(process.pid))
        assert sorted(owners.values()) == [4, 4], owners

        # One worker dies with its connections; the supervisor starts another in its place.
        dead = next(iter(owners))
        os.kill(dead, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while len([pid for pid in _workers(process.pid) if pid != dead]) < 2:
            assert time.monotonic() < deadline, "no worker replaced the dead one"
            time.sleep(0.05)
        for client in clients:
            client.close()
        fresh = [httpx.Client(base_url=url, timeout=5) for _ in range(4)]
        for client in fresh:
            assert client.post(TOKEN_PATH, json=CREDENTIALS).json()["code"] == 0
        owners = established_connections(port, _workers(process.pid))
        assert sorted(owners.values()) == [2, 2], owners
        assert dead not in owners
        for client in fresh:
            client.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


class _Listener:
    """A listening socket's stand-in whose `accept` fails as told, then has nothing waiting."""

    def __init__(self, *failures: OSError) -> None:
        self.failures = list(failures)
        self.accepts = 0

    def listen(self, backlog: int) -> None:
        pass

    def setblocking(self, flag: bool) -> None:
        pass

    def accept(self) -> tuple[socket.socket, Any]:
        self.accepts += 1
        if self.failures:
            raise self.failures.pop(0)
        raise BlockingIOError


@pytest.mark.parametrize(
    "failure", [OSError(errno.EMFILE, "Too many open files"), OSError(errno.EBADF, "Bad file descriptor")]
)
def test_when_accepting_fails_the_dealer_rests_instead_of_spinning(
    failure: OSError, caplog: pytest.LogCaptureFixture
) -> None:
    listener = _Listener(ConnectionAbortedError(), OSError(errno.EPROTO, "Protocol error"), failure)
    dealer = Dealer(listener, [], backlog=1)  # type: ignore[arg-type]
    assert not dealer.resting
    dealer.deal()
    # The connections that failed while they waited are skipped; the failure stops the round.
    assert listener.accepts == 3
    assert dealer.resting
    assert failure.strerror in caplog.text
