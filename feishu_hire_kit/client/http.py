"""The httpx clients `connect()` builds: httpx's own, minus the cookie jar's work on answers that set no
cookie.

httpx hands every answer to the stdlib's `http.cookiejar` (two adapter objects, a URL parse, a header
copy), about 25 us a call, a fifth of the client's own time per call. Feishu's open API sets no cookies,
so the jar is consulted only when an answer carries `Set-Cookie` (or the obsolete `Set-Cookie2`, which
the jar also reads): what ends up in the jar is the same as with httpx's clients.
"""

from __future__ import annotations

from typing import Any

import httpx
from httpx._types import CookieTypes  # the type of httpx's own `cookies` arguments

_SETS_COOKIES = ("set-cookie", "set-cookie2")


class Cookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if any(name in headers for name in _SETS_COOKIES):
            super().extract_cookies(response)


class _SkipsCookielessAnswers:
    """Keeps the client's jar as a `Cookies`, whatever sets it (the constructor or `client.cookies = ...`)."""

    _feishu_cookies: Cookies

    def __init__(self, *, cookies: CookieTypes | None = None, **kwargs: Any) -> None:
        super().__init__(cookies=cookies, **kwargs)  # type: ignore[call-arg]  # httpx's, next in the MRO
        self.cookies = cookies

    @property
    def cookies(self) -> httpx.Cookies:
        return self._feishu_cookies

    @cookies.setter
    def cookies(self, cookies: CookieTypes | None) -> None:
        self._feishu_cookies = Cookies(cookies)


class Client(_SkipsCookielessAnswers, httpx.Client):
    """`httpx.Client` with a `Cookies` jar."""


class AsyncClient(_SkipsCookielessAnswers, httpx.AsyncClient):
    """`httpx.AsyncClient` with a `Cookies` jar."""
