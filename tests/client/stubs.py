"""respx stubs of Feishu for the client tests, answering with the spec's own example bodies."""

from __future__ import annotations

import asyncio
import copy
import itertools
import re
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import respx
from feishu_hire_client.models.batch_update_job_manager_request_body import BatchUpdateJobManagerRequestBody
from feishu_hire_client.models.create_website_site_user_request_body import CreateWebsiteSiteUserRequestBody

from feishu_hire_kit.client import FeishuClient, RetryPolicy, connect
from feishu_hire_kit.client.errors import LOG_ID_HEADER, token_path
from feishu_hire_kit.spec import error_codes, load_spec, operations

BASE_URL = "https://open.feishu.cn"
APP_ID = "cli_slkdjalasdkjasd"
APP_SECRET = "dskLLdkasdjlasdKK"
WEBSITE_ID = "1618209327096"
JOB_ID = "7096318853365369132"
LOG_ID: str = load_spec()["components"]["headers"]["X-Tt-Logid"]["schema"]["example"]


def example(name: str) -> dict[str, Any]:
    """A shared example of the spec (`components.examples`), e.g. "concurrent_conflict"."""
    value: dict[str, Any] = load_spec()["components"]["examples"][name]["value"]
    return copy.deepcopy(value)


def request_example(operation_id: str) -> dict[str, Any]:
    raw = operations()[operation_id].raw
    value: dict[str, Any] = raw["requestBody"]["content"]["application/json"]["examples"]["doc"]["value"]
    return copy.deepcopy(value)


def response_example(operation_id: str, name: str = "doc") -> dict[str, Any]:
    raw = operations()[operation_id].raw
    value: dict[str, Any] = raw["responses"]["200"]["content"]["application/json"]["examples"][name]["value"]
    return copy.deepcopy(value)


def site_user_body() -> CreateWebsiteSiteUserRequestBody:
    return CreateWebsiteSiteUserRequestBody.from_dict(request_example("create_website_site_user"))


def job_manager_body() -> BatchUpdateJobManagerRequestBody:
    return BatchUpdateJobManagerRequestBody.from_dict(request_example("batch_update_job_manager"))


def answer(body: dict[str, Any] | None = None, status: int | None = None, **headers: str) -> httpx.Response:
    """A Feishu answer: status from the code table unless given, the log id header always."""
    body = body if body is not None else {"code": 0, "msg": "ok", "data": {}}
    code = body["code"]
    status = status if status is not None else (error_codes()[code].status if code else 200)
    headers = {LOG_ID_HEADER: LOG_ID, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return httpx.Response(status, json=body, headers=headers)


def run(mode: str, api: ModuleType, *args: Any, detailed: bool = False, **kwargs: Any) -> Any:
    """Call a generated API function the sync or the async way."""
    name = ("sync" if mode == "sync" else "asyncio") + ("_detailed" if detailed else "")
    result = getattr(api, name)(*args, **kwargs)
    return asyncio.run(result) if mode == "async" else result


class Waits(list[float]):
    """Records the retry waits instead of sleeping them."""

    def policy(self, sleep_scale: float = 0.0, **overrides: Any) -> RetryPolicy:
        """The retry policy, its waits recorded. With `sleep_scale`, each is also slept, scaled (against
        a live server: a retry sent back at once can meet the same update in flight again, and again,
        until its attempts are spent)."""

        def record(seconds: float) -> None:
            self.append(seconds)
            if sleep_scale:
                time.sleep(seconds * sleep_scale)

        async def record_async(seconds: float) -> None:
            self.append(seconds)
            if sleep_scale:
                await asyncio.sleep(seconds * sleep_scale)

        return RetryPolicy(sleep=record, async_sleep=record_async, **overrides)


@dataclass
class Feishu:
    """The stubbed platform: a token endpoint issuing t-…-1, t-…-2, … and business routes."""

    router: respx.MockRouter
    waits: list[float] = field(default_factory=list)
    expire: int = 7200
    token_delay: float = 0.0
    _serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.token_route = self.router.post(token_path()).mock(side_effect=self._issue)
        self.token_example = response_example("tenant_access_token_internal", "ok")

    def _issue(self, request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        body = {**self.token_example, "expire": self.expire}
        body["tenant_access_token"] = f"{body['tenant_access_token']}-{next(self._serial)}"
        if not self.token_delay:
            return answer(body)

        # Slow enough that concurrent callers overlap; threads and coroutines wait differently.
        async def later() -> httpx.Response:
            await asyncio.sleep(self.token_delay)
            return answer(body)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            time.sleep(self.token_delay)
            return answer(body)
        return later()

    def token(self, n: int) -> str:
        return f"Bearer {self.token_example['tenant_access_token']}-{n}"

    def route(self, operation_id: str, *answers: httpx.Response | Exception) -> respx.Route:
        """The operation (any path parameters) answers these, in order."""
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", operations()[operation_id].path)
        return self.router.post(path__regex=f"^{pattern}$").mock(side_effect=list(answers))

    def policy(self, **overrides: Any) -> RetryPolicy:
        """A retry policy whose waits are recorded in `waits`, never slept."""

        async def record(seconds: float) -> None:
            self.waits.append(seconds)

        return RetryPolicy(sleep=self.waits.append, async_sleep=record, **overrides)

    def connect(self, **kwargs: Any) -> FeishuClient:
        kwargs.setdefault("retries", self.policy())
        return connect(APP_ID, APP_SECRET, BASE_URL, **kwargs)
