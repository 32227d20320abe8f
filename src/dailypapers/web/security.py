"""Protection of state-changing requests: CSRF tokens and rate limits.

CSRF: each browser gets a random value in an HttpOnly, SameSite cookie; forms carry that value
signed with the site's secret, and a POST is accepted only when the two agree. A page on another
site can neither read the cookie nor forge the signature.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import IPv6Address, ip_address, ip_network

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers.community.models import User
from dailypapers.settings import Settings
from dailypapers.web.redis_pause import REDIS_TIMEOUT_SECONDS, RedisPause

CSRF_COOKIE = "dailypapers_csrf"
CSRF_FIELD = "csrf_token"


class CsrfRejected(Exception):
    """A state-changing request without a valid token; answered with 403."""


@dataclass(frozen=True, slots=True)
class KeptForm:
    """What a person typed into a form that was refused for now: the 429 page shows it again in a
    form to the same address, so that nothing they wrote is lost."""

    label: str
    name: str
    text: str
    hidden: dict[str, str] = field(default_factory=dict)
    multiline: bool = True


class RateLimited(Exception):
    """Too many requests of one kind; answered with 429, ``Retry-After`` and, on a page, the form
    the person was sending (``kept``), filled in as they left it."""

    def __init__(self, retry_after: int, kept: KeptForm | None = None) -> None:
        super().__init__(f"Too many requests in a short time. Try again in {_duration(retry_after)}.")
        self.retry_after = retry_after
        self.kept = kept


def _duration(seconds: int) -> str:
    """``seconds`` as a person says it: 40 seconds, 46 minutes, 2 hours."""
    if seconds < 90:
        amount, unit = seconds, "second"
    elif seconds < 90 * 60:
        amount, unit = round(seconds / 60), "minute"
    else:
        amount, unit = round(seconds / 3600), "hour"
    return f"{amount} {unit}" + ("" if amount == 1 else "s")


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
                raise CsrfRejected("This form has expired or did not come from this site. Reload the page.")
        except BadSignature:
            raise CsrfRejected("This form did not come from this site. Reload the page.") from None


def set_csrf_cookie(response: Response, value: str, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax", secure=secure, max_age=30 * 86400)


class LimitCounts:
    """Where every rate limit of a site counts: this process's memory, or the Redis server of
    ``DAILYPAPERS_REDIS_URL``, where every web process on every machine counts against one budget.

    Counts use the ``limits`` library's moving window: an action is refused while ``limit`` others
    happened in the last ``window`` seconds, and Retry-After says when the oldest of them stops
    counting (the reset time of the library's window stats). A fixed window would
    cost less (one counter per key instead of the times of up to ``limit`` actions) but allows twice
    the limit across the boundary of two windows. The times are those of the web servers' clocks,
    which must agree (NTP) within a small part of the shortest window, one minute. A check is one
    round trip to Redis (a Lua script), made on the event loop by the async vote handlers: a local
    Redis answers in a fraction of a millisecond.

    If Redis does not answer, the action is allowed and a warning logged (fail open): a limit slows
    down abuse, while refusing every vote, comment and sign-in would take the site down with Redis.
    After a failure, Redis is left alone for a while (``RedisPause``).
    """

    def __init__(self, settings: Settings) -> None:
        self.storage: Storage
        if settings.redis_url:
            self.storage = RedisStorage(
                settings.redis_url,
                key_prefix=f"{settings.redis_prefix}:limits",
                wrap_exceptions=True,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
        else:
            self.storage = MemoryStorage()
        self.window = MovingWindowRateLimiter(self.storage)
        self._redis_pause = RedisPause("Rate limits not enforced")

    def hit(self, item: RateLimitItem, key: str) -> None:
        if self._redis_pause.paused:
            return
        try:
            if self.window.hit(item, key):
                return
            reset_time = self.window.get_window_stats(item, key).reset_time
        except StorageError as error:
            self._redis_pause.failed(error.storage_error)
            return
        raise RateLimited(int(reset_time - time.time()) + 1)


class RateLimiter:
    """At most ``limit`` actions per ``window`` seconds per key (a member, an address, a client), of
    one kind (``name``: limiters with the same numbers count apart)."""

    def __init__(self, counts: LimitCounts, name: str, limit: int, window: int) -> None:
        self.counts = counts
        self.item = RateLimitItemPerSecond(limit, window, namespace=name)

    def hit(self, key: str) -> None:
        self.counts.hit(self.item, key)


class ClientAddresses:
    """Who is asking, as far as the network tells: the direct peer's address, or, when that peer is
    one of ``DAILYPAPERS_TRUSTED_PROXIES``, the address the proxies report for the client.

    The proxies' chain (``X-Forwarded-For``, else ``Forwarded``) is read from the nearest hop back,
    skipping trusted proxies: the first address that is not one of them is the client, and whatever a
    client wrote into the headers itself stands before it and is never believed. An IPv6 client
    counts as its /64 network, which one host or household gets whole.
    """

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.trusted = tuple(ip_network(network, strict=False) for network in trusted_proxies)

    def of(self, request: Request) -> str:
        if request.client is None:
            return "unknown"
        hops = [request.client.host]
        if self._is_trusted(hops[0]):
            hops = _forwarded_chain(request) + hops
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return _client_key(hop)
        return _client_key(hops[0])

    def _is_trusted(self, host: str) -> bool:
        try:
            address = ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)


def _forwarded_chain(request: Request) -> list[str]:
    """The addresses the proxies report, the client's first (RFC 7239 ``for=`` or X-Forwarded-For)."""
    forwarded_for = request.headers.getlist("x-forwarded-for")
    if forwarded_for:
        return [_host(hop) for value in forwarded_for for hop in value.split(",") if hop.strip()]
    chain = []
    for value in request.headers.getlist("forwarded"):
        for element in value.split(","):
            pairs = (pair.partition("=") for pair in element.split(";"))
            chain.append(next((_host(v) for k, _, v in pairs if k.strip().lower() == "for"), "unknown"))
    return chain


def _host(hop: str) -> str:
    """The address of ``1.2.3.4``, ``1.2.3.4:5678``, ``"[2001:db8::1]:4711"`` or ``2001:db8::1``."""
    hop = hop.strip().strip('"')
    if hop.startswith("["):
        return hop[1:].partition("]")[0]
    return hop.partition(":")[0] if hop.count(":") == 1 else hop


def _client_key(host: str) -> str:
    try:
        address = ip_address(host)
    except ValueError:
        return host[:100]  # what a trusted proxy reported ("unknown", an obfuscated name)
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ip_network(f"{address}/64", strict=False))
    return str(address)


#: The windows of the limits, in seconds: each limit setting counts actions in one of them.
HOUR, TEN_MINUTES, MINUTE = 3600, 600, 60


class Limits:
    """Every rate limit of the site (see the settings), by what is limited.

    What members do counts against the member alone: a lab behind one public address is many
    members, not one client. Mail to an address counts against that address, which protects its
    owner, and against the client asking, with a per-client limit high enough for an institution.
    """

    def __init__(self, settings: Settings) -> None:
        self.clients = ClientAddresses(settings.trusted_proxies)
        counts = LimitCounts(settings)
        self.votes = RateLimiter(counts, "votes", settings.vote_rate_limit, MINUTE)
        self.comments = RateLimiter(counts, "comments", settings.comment_rate_limit, TEN_MINUTES)
        self.submissions = RateLimiter(
            counts, "submissions", max(settings.daily_submission_limit * 3, 1), HOUR
        )
        self._sign_in_addresses = RateLimiter(counts, "sign-in-address", settings.sign_in_rate_limit, HOUR)
        self._sign_in_clients = RateLimiter(
            counts, "sign-in-client", settings.sign_in_client_rate_limit, HOUR
        )
        self._subscribe_addresses = RateLimiter(
            counts, "subscribe-address", settings.subscribe_rate_limit, HOUR
        )
        self._subscribe_clients = RateLimiter(
            counts, "subscribe-client", settings.subscribe_client_rate_limit, HOUR
        )

    def member(self, limiter: RateLimiter, user: User, keep: KeptForm | None = None) -> None:
        with _keeping(keep):
            limiter.hit(f"user:{user.id}")

    def sign_in_mail(self, request: Request, address: str, keep: KeptForm | None = None) -> None:
        with _keeping(keep):
            self._sign_in_clients.hit(self.clients.of(request))
            self._sign_in_addresses.hit(address)

    def subscription(self, request: Request, address: str, keep: KeptForm | None = None) -> None:
        with _keeping(keep):
            self._subscribe_clients.hit(self.clients.of(request))
            self._subscribe_addresses.hit(address)

    def subscriber(self, subscriber_id: int) -> None:
        """A click on a digest's link (unsubscribe, not interested): counted like a member's votes."""
        self.votes.hit(f"subscriber:{subscriber_id}")


@contextmanager
def _keeping(kept: KeptForm | None) -> Iterator[None]:
    try:
        yield
    except RateLimited as error:
        raise RateLimited(error.retry_after, kept) from None


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
