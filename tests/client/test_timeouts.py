"""No call waits without end: every request the client makes, the token fetch included, carries the
client's timeout and goes through its retry policy.

The tests that would hang without a bound carry a pytest-timeout of their own, so they fail quickly.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from feishu_hire_client.api.hire import batch_update_job_manager

from feishu_hire_kit.client import connect
from feishu_hire_kit.client.errors import token_path
from mockserver.pytest_plugin import RunningMock
from tests.client.stubs import (
    APP_ID,
    APP_SECRET,
    BASE_URL,
    JOB_ID,
    Waits,
    answer,
    job_manager_body,
    response_example,
    run,
)

TOKEN_OPERATION = "tenant_access_token_internal"
JOB_MANAGER_OK = response_example("batch_update_job_manager")


class SilentServer:
    """A socket on 127.0.0.1 that accepts connections and never answers (nor closes them)."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        self._thread.join(5)
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.mark.timeout(20)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_token_endpoint_that_never_answers_times_out_after_the_policys_attempts(
    silent: SilentServer, mode: str
) -> None:
    waits = Waits()
    client = connect(APP_ID, APP_SECRET, silent.base_url, timeout=0.2, retries=waits.policy(attempts=3))

    with pytest.raises(httpx.ReadTimeout):
        run(mode, batch_update_job_manager, JOB_ID, client=client, body=job_manager_body())

    # The token fetch is resend-safe: each attempt a connection of its own (the last one was
    # abandoned mid-answer), then the call raises; the call itself was never sent.
    assert len(silent.accepted) == 3
    assert len(waits) == 2


@pytest.mark.timeout(20)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_without_retries_a_stalled_token_endpoint_raises_at_the_first_timeout(
    silent: SilentServer, mode: str
) -> None:
    client = connect(APP_ID, APP_SECRET, silent.base_url, timeout=0.2, retries=None)

    with pytest.raises(httpx.ReadTimeout):
        run(mode, batch_update_job_manager, JOB_ID, client=client, body=job_manager_body())

    assert len(silent.accepted) == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_token_request_carries_every_phase_of_the_clients_timeout(mode: str) -> None:
    seen: dict[str, dict[str, float | None]] = {}

    def feishu(request: httpx.Request) -> httpx.Response:
        seen[request.url.path] = request.extensions["timeout"]
        if request.url.path == token_path():
            return answer(response_example(TOKEN_OPERATION, "ok"))
        return answer(JOB_MANAGER_OK)

    timeout = httpx.Timeout(connect=1.0, read=2.0, write=3.0, pool=4.0)
    transport = httpx.MockTransport(feishu)
    client = connect(
        APP_ID, APP_SECRET, BASE_URL, timeout=timeout, transport=transport, async_transport=transport
    )

    run(mode, batch_update_job_manager, JOB_ID, client=client, body=job_manager_body())

    assert len(seen) == 2
    assert all(phases == timeout.as_dict() for phases in seen.values()), seen


def test_a_client_without_a_bound_on_every_phase_is_refused() -> None:
    client = connect(APP_ID, APP_SECRET, BASE_URL)
    with pytest.raises(ValueError, match="read"):
        client.with_timeout(httpx.Timeout(1.0, read=None))
    with pytest.raises(ValueError, match="connect/read/write/pool"):
        connect(APP_ID, APP_SECRET, BASE_URL, timeout=httpx.Timeout(None))


@pytest.mark.timeout(30)
def test_latency_on_the_mocks_token_endpoint_times_out_and_the_retry_gets_a_token(
    feishu_mock_server: RunningMock,
) -> None:
    mock, waits = feishu_mock_server, Waits()
    mock.control.inject_fault(TOKEN_OPERATION, latency_ms=2000, count=1)
    client = connect(mock.app_id, mock.app_secret, mock.base_url, timeout=0.5, retries=waits.policy())

    result = batch_update_job_manager.sync(JOB_ID, client=client, body=job_manager_body())

    assert result.code == 0
    assert len(waits) == 1  # the one timed-out token fetch


@pytest.mark.timeout(30)
def test_latency_on_the_mocks_token_endpoint_raises_a_timeout_without_retries(
    feishu_mock_server: RunningMock,
) -> None:
    mock = feishu_mock_server
    mock.control.inject_fault(TOKEN_OPERATION, latency_ms=2000, count=1)
    client = connect(mock.app_id, mock.app_secret, mock.base_url, timeout=0.5, retries=None)

    async def call() -> object:
        async with client:
            return await batch_update_job_manager.asyncio(JOB_ID, client=client, body=job_manager_body())

    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(call())


@pytest.mark.timeout(20)
def test_threads_waiting_for_a_stalled_token_fetch_get_its_timeout(silent: SilentServer) -> None:
    client = connect(APP_ID, APP_SECRET, silent.base_url, timeout=0.3, retries=None)
    start = threading.Barrier(3)

    def call() -> object:
        start.wait()
        return batch_update_job_manager.sync(JOB_ID, client=client, body=job_manager_body())

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(call) for _ in range(3)]
    assert [type(f.exception()) for f in futures] == [httpx.ReadTimeout] * 3
    assert len(silent.accepted) == 1  # one fetch; the others waited for it and got its failure


@pytest.mark.timeout(20)
def test_coroutines_waiting_for_a_stalled_token_fetch_time_out_too(silent: SilentServer) -> None:
    client = connect(APP_ID, APP_SECRET, silent.base_url, timeout=0.3, retries=None)

    async def calls() -> list[object]:
        async with client:
            return await asyncio.gather(
                *[
                    batch_update_job_manager.asyncio(JOB_ID, client=client, body=job_manager_body())
                    for _ in range(3)
                ],
                return_exceptions=True,
            )

    results = asyncio.run(calls())

    assert [type(r) for r in results] == [httpx.ReadTimeout] * 3
    # httpx closes an async flow without telling it why its fetch failed, so a waiting coroutine
    # cannot tell a timeout from its fetcher being cancelled: it fetches once itself, bounded alike.
    assert 1 <= len(silent.accepted) <= 3
