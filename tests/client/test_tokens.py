"""TenantTokenAuth: one fetch for concurrent callers, refresh shortly before `expire` (on a fake clock)."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from feishu_hire_client.api.hire import batch_update_job_manager

from feishu_hire_kit.client import FeishuClient, TenantTokenAuth, connect
from feishu_hire_kit.client.errors import token_path
from tests.client.stubs import (
    APP_ID,
    APP_SECRET,
    BASE_URL,
    JOB_ID,
    Feishu,
    answer,
    example,
    job_manager_body,
    response_example,
    run,
)

JOB_MANAGER_OK = response_example("batch_update_job_manager")
CALLERS = 8


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_threads_share_one_token_fetch(feishu: Feishu) -> None:
    feishu.token_delay = 0.05  # every caller reaches the auth flow while the first fetch is in flight
    route = feishu.route("batch_update_job_manager", *[answer(JOB_MANAGER_OK)] * CALLERS)
    client = feishu.connect()
    start = threading.Barrier(CALLERS)

    def call() -> None:
        start.wait()
        batch_update_job_manager.sync(JOB_ID, client=client, body=job_manager_body())

    with ThreadPoolExecutor(CALLERS) as pool:
        for future in [pool.submit(call) for _ in range(CALLERS)]:
            future.result()

    assert feishu.token_route.call_count == 1
    assert route.call_count == CALLERS
    assert {call.request.headers["Authorization"] for call in route.calls} == {feishu.token(1)}


def test_concurrent_coroutines_share_one_token_fetch(feishu: Feishu) -> None:
    feishu.token_delay = 0.05
    route = feishu.route("batch_update_job_manager", *[answer(JOB_MANAGER_OK)] * CALLERS)
    client = feishu.connect()

    async def calls() -> None:
        await asyncio.gather(
            *[
                batch_update_job_manager.asyncio(JOB_ID, client=client, body=job_manager_body())
                for _ in range(CALLERS)
            ]
        )

    asyncio.run(calls())

    assert feishu.token_route.call_count == 1
    assert route.call_count == CALLERS


def test_concurrent_token_errors_share_one_refresh(feishu: Feishu) -> None:
    invalid = example("invalid_token")
    feishu.token_delay = 0.05
    answers = [answer(invalid)] * 2 + [answer(JOB_MANAGER_OK)] * 2
    route = feishu.route("batch_update_job_manager", *answers)
    client = feishu.connect()

    async def calls() -> None:
        await asyncio.gather(
            *[
                batch_update_job_manager.asyncio(JOB_ID, client=client, body=job_manager_body())
                for _ in range(2)
            ]
        )

    asyncio.run(calls())

    assert feishu.token_route.call_count == 2
    assert route.call_count == 4
    assert [c.request.headers["Authorization"] for c in route.calls[2:]] == [feishu.token(2)] * 2


def test_token_is_refreshed_shortly_before_it_expires(feishu: Feishu, mode: str) -> None:
    clock = FakeClock()
    auth = TenantTokenAuth(APP_ID, APP_SECRET, refresh_margin=300.0, clock=clock)
    route = feishu.route("batch_update_job_manager", *[answer(JOB_MANAGER_OK)] * 3)
    client = feishu.connect(auth=auth)
    fetched_at = clock.now

    run(mode, batch_update_job_manager, JOB_ID, client=client, body=job_manager_body())
    clock.now = fetched_at + 7200 - 300 - 0.001  # just inside the cache
    run(mode, batch_update_job_manager, JOB_ID, client=client, body=job_manager_body())
    assert feishu.token_route.call_count == 1
    clock.now = fetched_at + 7200 - 300  # `refresh_margin` before `expire`
    run(mode, batch_update_job_manager, JOB_ID, client=client, body=job_manager_body())

    assert feishu.token_route.call_count == 2
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        feishu.token(1),
        feishu.token(1),
        feishu.token(2),
    ]


def test_short_lived_tokens_are_refreshed_at_half_their_life(feishu: Feishu) -> None:
    clock = FakeClock()
    feishu.expire = 60  # shorter than the margin: a whole margin would make every token stale at once
    feishu.route("batch_update_job_manager", *[answer(JOB_MANAGER_OK)] * 3)
    client = feishu.connect(auth=TenantTokenAuth(APP_ID, APP_SECRET, clock=clock))
    fetched_at = clock.now

    for now in (fetched_at, fetched_at + 29.9, fetched_at + 30):
        clock.now = now
        batch_update_job_manager.sync(JOB_ID, client=client, body=job_manager_body())

    assert feishu.token_route.call_count == 2


def test_token_is_fetched_under_the_base_urls_path_prefix(feishu: Feishu) -> None:
    prefix = "/feishu-proxy"  # Feishu reached through a reverse proxy
    token_route = feishu.router.post(prefix + token_path()).mock(
        return_value=answer(response_example("tenant_access_token_internal", "ok"))
    )
    route = feishu.router.post(path__regex=f"^{prefix}/open-apis/hire/").mock(
        return_value=answer(JOB_MANAGER_OK)
    )
    client = connect(APP_ID, APP_SECRET, BASE_URL + prefix, retries=feishu.policy())

    batch_update_job_manager.sync(JOB_ID, client=client, body=job_manager_body())

    assert (token_route.call_count, route.call_count, feishu.token_route.call_count) == (1, 1, 0)


def test_repr_hides_the_secret() -> None:
    assert APP_SECRET not in repr(TenantTokenAuth(APP_ID, APP_SECRET))


def test_one_auth_serves_one_event_loop_after_another(feishu: Feishu) -> None:
    clock = FakeClock()
    auth = TenantTokenAuth(APP_ID, APP_SECRET, clock=clock)
    feishu.token_delay = 0.05  # the callers of each batch overlap while the token is fetched
    route = feishu.route("batch_update_job_manager", *[answer(JOB_MANAGER_OK)] * (2 * CALLERS))

    async def batch() -> None:
        async with feishu.connect(auth=auth) as client:
            await asyncio.gather(
                *[
                    batch_update_job_manager.asyncio(JOB_ID, client=client, body=job_manager_body())
                    for _ in range(CALLERS)
                ]
            )

    asyncio.run(batch())
    clock.now += 7200  # the token is due: the second loop's callers refresh it together
    asyncio.run(batch())

    assert feishu.token_route.call_count == 2
    assert [c.request.headers["Authorization"] for c in route.calls] == [feishu.token(1)] * CALLERS + [
        feishu.token(2)
    ] * CALLERS


class CountingFeishu:
    """Transports for sync and async clients, counting token fetches; a fetch takes `delay` seconds
    (a thread sleeps, a coroutine awaits), with no lock of its own in the way."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.fetches = 0
        self.calls: list[str] = []
        self.transport = httpx.MockTransport(self.handle)
        self.async_transport = httpx.MockTransport(self.async_handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != token_path():
            self.calls.append(request.headers["Authorization"])
            return answer(JOB_MANAGER_OK)
        self.fetches += 1
        time.sleep(self.delay)
        return answer({**response_example("tenant_access_token_internal", "ok"), "expire": 7200})

    async def async_handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == token_path():
            await asyncio.sleep(self.delay)
            self.delay = 0  # the answer below does not sleep again
        return self.handle(request)


def test_threads_and_event_loops_at_once_share_one_token_fetch() -> None:
    feishu = CountingFeishu(delay=0.2)  # every caller of every thread needs the token while it is fetched
    auth = TenantTokenAuth(APP_ID, APP_SECRET)
    loops, threads, per_loop = 3, 3, 4
    start = threading.Barrier(loops + threads)

    def client() -> FeishuClient:
        transport = feishu.transport
        return connect(
            APP_ID, APP_SECRET, BASE_URL, auth=auth, transport=transport, async_transport=transport
        )

    def in_a_loop() -> None:
        async def batch() -> None:
            async with client() as feishu_client:
                await asyncio.gather(
                    *[
                        batch_update_job_manager.asyncio(
                            JOB_ID, client=feishu_client, body=job_manager_body()
                        )
                        for _ in range(per_loop)
                    ]
                )

        start.wait()
        asyncio.run(batch())

    def in_a_thread() -> None:
        feishu_client = client()
        start.wait()
        batch_update_job_manager.sync(JOB_ID, client=feishu_client, body=job_manager_body())

    with ThreadPoolExecutor(loops + threads) as pool:
        futures = [pool.submit(in_a_loop) for _ in range(loops)]
        futures += [pool.submit(in_a_thread) for _ in range(threads)]
        for future in futures:
            future.result()

    assert feishu.fetches == 1
    assert len(feishu.calls) == loops * per_loop + threads
    assert len(set(feishu.calls)) == 1


def test_a_sync_call_waiting_on_its_own_loops_fetch_raises_instead_of_hanging(feishu: Feishu) -> None:
    feishu.token_delay = 0.2
    feishu.route("batch_update_job_manager", *[answer(JOB_MANAGER_OK)] * 2)
    client = feishu.connect()

    async def mixed() -> None:
        fetching = asyncio.create_task(
            batch_update_job_manager.asyncio(JOB_ID, client=client, body=job_manager_body())
        )
        await asyncio.sleep(0.05)  # the task is fetching the token now
        with pytest.raises(RuntimeError, match="use the async functions"):
            batch_update_job_manager.sync(JOB_ID, client=client, body=job_manager_body())
        await fetching

    asyncio.run(mixed())

    assert feishu.token_route.call_count == 1
