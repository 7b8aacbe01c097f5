"""The httpx clients `connect()` builds: httpx's own, minus two costs per call that Feishu's API never
needs paid twice. Together they were about 55 us of the 130 us the client spent per call on its own
(`benchmarks/client_overhead.py`, first phase).

- Cookies: httpx hands every answer to the stdlib's `http.cookiejar` (two adapter objects, a URL parse,
  a header copy), about 25 us. Feishu's open API sets no cookies, so the jar is consulted only when an
  answer carries `Set-Cookie` (or the obsolete `Set-Cookie2`, which the jar also reads): what ends up
  in the jar is the same as with httpx's clients.
- URLs: the generated API functions pass a path, which httpx parses and then joins to `base_url` with a
  second parse, about 30 us. The joined URL is kept per path (up to `URL_CACHE_SIZE` paths) and
  reused while `base_url` stays the same object; it is httpx's own join, done once.
"""

from __future__ import annotations

from typing import Any

import httpx
from httpx._types import CookieTypes  # the type of httpx's own `cookies` arguments

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
    """`httpx.Client`, with a `Cookies` jar and joined URLs reused."""


class AsyncClient(_FeishuClient, httpx.AsyncClient):
    """`httpx.AsyncClient`, with a `Cookies` jar and joined URLs reused."""
