"""connect()'s httpx clients keep cookies exactly as httpx's do, while answers without Set-Cookie skip the
stdlib jar (feishu_hire_kit/client/http.py)."""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

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


@pytest.mark.parametrize(
    "base_url", ["https://open.feishu.cn", "http://127.0.0.1:8080/sandbox/", "http://[::1]:9/a"]
)
@pytest.mark.parametrize(
    "url",
    [
        "/open-apis/hire/v1/websites/1618209327096/site_users",
        "open-apis/hire/v1/jobs/7096318853365369132/managers/batch_update?user_id_type=open_id",
        "https://other.example/open-apis/x",
        "/open-apis/%E4%B8%AD/x y",
    ],
)
def test_urls_join_as_httpx_joins_them_first_time_and_every_time(base_url: str, url: str) -> None:
    ours, theirs = http.Client(base_url=base_url), httpx.Client(base_url=base_url)
    expected = theirs.build_request("POST", url, params={"page": "2"}).url
    assert [ours.build_request("POST", url, params={"page": "2"}).url for _ in range(3)] == [expected] * 3
    assert ours.build_request("GET", httpx.URL(url)).url == theirs.build_request("GET", httpx.URL(url)).url


def test_a_new_base_url_is_joined_afresh() -> None:
    client = http.Client(base_url="http://127.0.0.1:1")
    assert client.build_request("GET", "/x").url == "http://127.0.0.1:1/x"
    client.base_url = "http://127.0.0.1:2/sub"  # type: ignore[assignment]  # httpx's setter takes str
    assert client.build_request("GET", "/x").url == "http://127.0.0.1:2/sub/x"


def test_the_url_cache_is_bounded_and_keeps_working_past_its_bound() -> None:
    client = http.Client(base_url="http://127.0.0.1:1")
    paths = [f"/open-apis/hire/v1/websites/{n}/site_users" for n in range(http.URL_CACHE_SIZE + 10)]
    sizes = []
    for path in paths + paths[:5]:
        assert client.build_request("POST", path).url == "http://127.0.0.1:1" + path
        sizes.append(len(client._joined))
    assert max(sizes) == http.URL_CACHE_SIZE  # filled, and never past the bound
    assert sizes[-1] < http.URL_CACHE_SIZE  # started over once full


def test_threads_sharing_a_client_past_the_url_cache_bound_all_get_their_urls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A small bound and a tiny switch interval make the threads evict all the time, and at once.
    monkeypatch.setattr(http, "URL_CACHE_SIZE", 8)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    client = http.Client(base_url="http://127.0.0.1:1")

    def build(thread: int) -> list[bool]:
        paths = [f"/open-apis/hire/v1/jobs/{thread}-{i}/managers/batch_update" for i in range(500)]
        return [client.build_request("POST", p).url == "http://127.0.0.1:1" + p for p in paths]

    try:
        with ThreadPoolExecutor(8) as pool:
            results = [ok for oks in pool.map(build, range(8)) for ok in oks]
    finally:
        sys.setswitchinterval(switch)
    assert results == [True] * 4000
