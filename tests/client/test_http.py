"""connect()'s httpx clients keep cookies exactly as httpx's do, while answers without Set-Cookie skip the
stdlib jar (feishu_hire_kit/client/http.py)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from feishu_hire_kit.client import connect, http

URL = "https://open.feishu.cn/open-apis/x"


def _answer(request: httpx.Request) -> httpx.Response:
    """Sets a cookie when asked to; echoes the Cookie header it got."""
    headers = {}
    if request.url.params.get("set"):
        headers["Set-Cookie"] = f"session={request.url.params['set']}; Path=/"
    return httpx.Response(200, headers=headers, json={"cookie": request.headers.get("Cookie")})


def _exchange(mode: str, client_cookies: dict[str, str] | None, sets: list[str | None]) -> list[str | None]:
    """Cookie headers the server saw over calls that set the given values (None: sets none)."""
    params = [{"set": s} if s else {} for s in sets]
    if mode == "sync":
        with http.Client(transport=httpx.MockTransport(_answer), cookies=client_cookies) as client:
            return [client.get(URL, params=p).json()["cookie"] for p in params]

    async def run() -> list[str | None]:
        async with http.AsyncClient(transport=httpx.MockTransport(_answer), cookies=client_cookies) as client:
            return [(await client.get(URL, params=p)).json()["cookie"] for p in params]

    return asyncio.run(run())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_set_cookie_answer_is_stored_and_sent_back(mode: str) -> None:
    assert _exchange(mode, None, [None, "a", None, "b", None]) == [
        None,
        None,
        "session=a",
        "session=a",
        "session=b",
    ]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_cookies_given_to_the_client_are_sent_and_kept_over_cookieless_answers(mode: str) -> None:
    assert _exchange(mode, {"lang": "zh"}, [None, None]) == ["lang=zh", "lang=zh"]


@pytest.mark.parametrize("client_class", [http.Client, http.AsyncClient])
def test_the_jar_stays_one_that_skips_cookieless_answers_when_replaced(
    client_class: type[http.Client] | type[http.AsyncClient],
) -> None:
    client = client_class(cookies={"a": "1"})
    assert isinstance(client.cookies, http.Cookies)
    assert dict(client.cookies) == {"a": "1"}
    client.cookies = {"b": "2"}
    assert isinstance(client.cookies, http.Cookies)
    assert dict(client.cookies) == {"b": "2"}


def test_a_cookieless_answer_never_reaches_the_stdlib_jar(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Response] = []
    monkeypatch.setattr(httpx.Cookies, "extract_cookies", lambda self, response: seen.append(response))
    with http.Client(transport=httpx.MockTransport(_answer)) as client:
        client.get(URL)
        client.get(URL, params={"set": "a"})
    assert [r.request.url.params.get("set") for r in seen] == ["a"]


def test_connect_builds_its_clients_from_these_classes() -> None:
    client = connect("cli_x", "secret", "http://127.0.0.1:9")
    assert isinstance(client.get_httpx_client(), http.Client)
    assert isinstance(client.get_async_httpx_client(), http.AsyncClient)
