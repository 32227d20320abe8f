"""Protection of state-changing requests: CSRF tokens and rate limits.

CSRF: each browser gets a random value in an HttpOnly, SameSite cookie; forms carry that value
signed with the site's secret, and a POST is accepted only when the two agree. A page on another
site can neither read the cookie nor forge the signature.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers.community.models import User
from dailypapers.settings import Settings

CSRF_COOKIE = "dailypapers_csrf"
CSRF_FIELD = "csrf_token"


class CsrfRejected(Exception):
    """A state-changing request without a valid token; answered with 403."""


class RateLimited(Exception):
    """Too many requests from one client; answered with 429 and ``Retry-After``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; try again in {retry_after} s")
        self.retry_after = retry_after


class Csrf:
    def __init__(self, secret: str) -> None:
        self._signer = URLSafeSerializer(secret, salt="csrf")

    def token_for(self, request: Request, response_cookies: dict[str, str]) -> str:
        """The token for the forms of this page; a new browser also gets its cookie (via the dict)."""
        value = request.cookies.get(CSRF_COOKIE)
        if not value:
            value = secrets.token_urlsafe(24)
            response_cookies[CSRF_COOKIE] = value
        return str(self._signer.dumps(value))

    def check(self, request: Request, token: str | None) -> None:
        value = request.cookies.get(CSRF_COOKIE)
        try:
            if not value or not token or self._signer.loads(token) != value:
                raise CsrfRejected("this form has expired or did not come from this site; reload the page")
        except BadSignature:
            raise CsrfRejected("this form did not come from this site; reload the page") from None


def set_csrf_cookie(response: Response, value: str, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax", secure=secure, max_age=30 * 86400)


class RateLimiter:
    """At most ``limit`` actions per ``window`` seconds per key (client address and action).

    Kept in this process's memory: with several web workers each enforces its own share.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                raise RateLimited(int(hits[0] + self.window - now) + 1)
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle clients rather than grow without bound
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Limits:
    """Per-member and per-client limits of each kind of action (see the settings)."""

    def __init__(self, settings: Settings) -> None:
        self.votes = RateLimiter(settings.vote_rate_limit, 60)
        self.comments = RateLimiter(settings.comment_rate_limit, 600)
        self.submissions = RateLimiter(max(settings.daily_submission_limit * 3, 1), 3600)

    @staticmethod
    def hit(limiter: RateLimiter, request: Request, user: User) -> None:
        limiter.hit(f"user:{user.id}")
        limiter.hit(f"ip:{client_address(request)}")


class SecurityHeaders:
    """ASGI middleware adding the headers every answer should carry: no MIME sniffing (a title with
    ``<script>`` in a Markdown or JSON answer stays text), no framing (votes cannot be clickjacked),
    and no full URLs in the Referer sent to other sites."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
