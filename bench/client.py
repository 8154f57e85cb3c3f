"""One simulated browser: an httpx client with its own connection and its own cookies.

Production marks the session and CSRF cookies ``Secure``. httpx keeps cookies in a
``http.cookiejar`` jar, which never sends a ``Secure`` cookie over plain HTTP, and a cookie set
by hand on the jar is replaced by the server's ``Secure`` one at the next ``Set-Cookie`` (the
login rotates both). So the jar is switched off and the client carries its cookies itself,
exactly as a browser would over HTTPS.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from http.cookies import SimpleCookie
from typing import Any

import httpx

SESSION_COOKIE = "clinicflow_session"
CSRF_COOKIE = "clinicflow_csrftoken"
LOGIN_PATH = "/accounts/login/"
DASHBOARD_PATH = "/dashboard/"
REQUEST_TIMEOUT_S = 30

_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class RequestFailed(Exception):
    """A request answered, but not the way a working application answers it."""


@dataclass(frozen=True)
class Timed:
    response: httpx.Response
    seconds: float


def _refuse_all_cookies() -> CookieJar:
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class BenchClient:
    def __init__(self, base_url: str, *, local_address: str | None = None):
        """``local_address``: the loopback address (any of 127.0.0.0/8) this client's
        connections come from, so that the server sees it as the client's IP (REMOTE_ADDR)."""
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""  # the form's (masked) token from the last login page
        self._http = httpx.AsyncClient(
            base_url=base_url,
            transport=httpx.AsyncHTTPTransport(local_address=local_address)
            if local_address
            else None,
            cookies=_refuse_all_cookies(),
            follow_redirects=False,
            timeout=REQUEST_TIMEOUT_S,
            trust_env=False,  # no proxy from the environment: loopback only
            headers={"User-Agent": "clinicflow-bench"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def forget_cookies(self) -> None:
        self.cookies.clear()
        self.csrf_token = ""

    def _keep_cookies(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def request(self, method: str, path: str, *, data: dict[str, str] | None = None) -> Timed:
        """Send one request with this client's cookies; the time covers sending it and
        reading the whole body."""
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Referer"] = f"{self.base_url}{path}"
        started = time.perf_counter()
        response = await self._http.request(method, path, data=data, headers=headers)
        seconds = time.perf_counter() - started
        self._keep_cookies(response)
        return Timed(response, seconds)

    async def get(self, path: str) -> Timed:
        return await self.request("GET", path)

    async def post_json(self, path: str, payload: dict[str, Any]) -> httpx.Response:
        """A JSON POST to the API with the session and the CSRF token in its header, as a
        script-driven page sends it."""
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "X-CSRFToken": self.cookies.get(CSRF_COOKIE, ""),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        return await self._http.post(path, content=json.dumps(payload), headers=headers)

    async def open_login_page(self) -> Timed:
        """GET the sign-in page; it must render the form and set the CSRF cookie."""
        timed = await self.get(LOGIN_PATH)
        expect_status(timed.response, 200)
        match = _CSRF_FIELD.search(timed.response.content)
        if match is None:
            raise RequestFailed("login page without a CSRF form field")
        self.csrf_token = match.group(1).decode()
        if CSRF_COOKIE not in self.cookies:
            raise RequestFailed("login page did not set the CSRF cookie")
        return timed

    async def post_login(self, username: str, password: str) -> Timed:
        """POST the sign-in form (after :meth:`open_login_page`); it must redirect to the
        dashboard with a session cookie."""
        timed = await self.request(
            "POST",
            LOGIN_PATH,
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.csrf_token,
            },
        )
        response = timed.response
        if response.status_code == 200:
            raise RequestFailed(f"login of {username!r} refused (form shown again)")
        expect_status(response, 302)
        location = response.headers.get("location", "")
        if location != DASHBOARD_PATH:
            raise RequestFailed(f"login of {username!r} redirected to {location!r}")
        if SESSION_COOKIE not in self.cookies:
            raise RequestFailed(f"login of {username!r} set no session cookie")
        return timed

    async def sign_in(self, username: str, password: str) -> Timed:
        """A fresh sign-in: new cookies, the form, then the POST (the returned time is the
        POST's)."""
        self.forget_cookies()
        await self.open_login_page()
        return await self.post_login(username, password)


def expect_status(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        where = response.headers.get("location")
        suffix = f" -> {where}" if where else ""
        raise RequestFailed(
            f"{response.request.method} {response.request.url.path}: "
            f"HTTP {response.status_code}{suffix} (expected {status})"
        )
