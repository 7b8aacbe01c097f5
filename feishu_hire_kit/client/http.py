"""The httpx clients `connect()` builds: httpx's own, plus what every call to Feishu needs, minus two
costs per call that Feishu's API never needs paid twice.

- Typed errors: once httpx's auth flow is done (the token fetched, a refused token refreshed and the
  call resent), `send` raises the answer's `FeishuError` for any non-zero `code`, whatever the HTTP
  status, and `httpx.HTTPStatusError` for a failed answer that is no Feishu envelope (a plain-text
  404, a gateway's 502). The error keeps `.response`, body read.
- JSON bodies are sent as `application/json; charset=utf-8`, as Feishu's docs ask of business calls.
- Cookies: httpx hands every answer to the stdlib's `http.cookiejar`. Feishu's open API sets no
  cookies, so the jar is consulted only when an answer carries `Set-Cookie` (or the obsolete
  `Set-Cookie2`, which the jar also reads): what ends up in the jar is the same as with httpx's clients.
- URLs: the generated API functions pass a path, which httpx parses and then joins to `base_url` with a
  second parse. The joined URL is kept per path (up to `URL_CACHE_SIZE` paths) and reused while
  `base_url` stays the same object; it is httpx's own join, done once.
"""

from __future__ import annotations

from typing import Any

import httpx
from httpx._types import CookieTypes  # the type of httpx's own `cookies` arguments

from feishu_hire_kit.client.errors import error_from_response

_JSON = "application/json"
JSON_UTF8 = "application/json; charset=utf-8"
"""The Content-Type Feishu's docs ask of calls with a JSON body."""
_SETS_COOKIES = ("set-cookie", "set-cookie2")
URL_CACHE_SIZE = 1024


class Cookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if any(name in headers for name in _SETS_COOKIES):
            super().extract_cookies(response)


class _FeishuClient:
    """What both clients add to httpx's (next in the MRO): the jar stays a `Cookies` whatever sets it
    (the constructor or `client.cookies = ...`), and joined URLs are reused."""

    _feishu_cookies: Cookies
    base_url: httpx.URL

    def __init__(self, *, cookies: CookieTypes | None = None, **kwargs: Any) -> None:
        super().__init__(cookies=cookies, **kwargs)  # type: ignore[call-arg]
        self.cookies = cookies
        # path -> (the base_url it was joined to, the joined URL)
        self._joined: dict[str, tuple[httpx.URL, httpx.URL]] = {}

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        request: httpx.Request = super().build_request(method, self._join(url), **kwargs)  # type: ignore[misc]
        headers = request.headers
        if headers.get("Content-Type") == _JSON:
            headers["Content-Type"] = JSON_UTF8
        return request

    def _join(self, url: httpx.URL | str) -> httpx.URL | str:
        if not isinstance(url, str):
            return url
        base = self.base_url
        cached = self._joined.get(url)
        if cached is not None and cached[0] is base:
            return cached[1]
        joined: httpx.URL = self._merge_url(url)  # type: ignore[attr-defined]  # httpx's join
        if len(self._joined) >= URL_CACHE_SIZE:
            # Start over: one atomic call, safe with threads sharing the client (two evicting the
            # oldest key at once made one of them raise KeyError).
            self._joined.clear()
        self._joined[url] = (base, joined)
        return joined

    @property
    def cookies(self) -> httpx.Cookies:
        return self._feishu_cookies

    @cookies.setter
    def cookies(self, cookies: CookieTypes | None) -> None:
        self._feishu_cookies = Cookies(cookies)


class Client(_FeishuClient, httpx.Client):
    """`httpx.Client` raising typed errors, with a `Cookies` jar and joined URLs reused."""

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = super().send(request, **kwargs)
        response.read()
        raise_for_answer(response)
        return response


class AsyncClient(_FeishuClient, httpx.AsyncClient):
    """`httpx.AsyncClient` raising typed errors, with a `Cookies` jar and joined URLs reused."""

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = await super().send(request, **kwargs)
        await response.aread()
        raise_for_answer(response)
        return response


def raise_for_answer(response: httpx.Response) -> None:
    """Raise the typed error of a failed answer (body read), or `httpx.HTTPStatusError` when it is no
    Feishu envelope (e.g. Feishu's plain-text 404, or a gateway's 502 once retries are spent)."""
    error = error_from_response(response)
    if error is not None:
        raise error
    if response.is_error:
        response.raise_for_status()
