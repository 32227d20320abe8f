"""Who is asking: the signed-in member of a browser session or an API token, for every route.

The session cookie holds a random secret (HttpOnly, SameSite=Lax, Secure over HTTPS); the database
stores only its hash. API requests authenticate with ``Authorization: Bearer`` and never with the
cookie, so that no other site can make a browser call the API on its member's behalf.
"""

from __future__ import annotations

import time
from typing import cast
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from dailypapers.community import accounts
from dailypapers.community.models import User
from dailypapers.db.write import read_session
from dailypapers.web.changes import ChangeSignal

SESSION_COOKIE = "dailypapers_session"
SESSION_DAYS = 30
#: Seconds a process trusts what it learnt of a session (see ``Members``).
SESSION_MEMORY_SECONDS = 5.0
UNKNOWN = object()


class SignInRequired(Exception):
    """Answered with a redirect to the sign-in page (or 401 for API and script requests)."""


class Forbidden(Exception):
    """Answered with 403 and the message."""


class Members:
    """Finds the member of each request, remembering each session for ``SESSION_MEMORY_SECONDS``.

    The memory saves a query on every request of a busy member (each vote, say). Signing out and
    changes of one's settings are forgotten at once in this process, and in every other web process
    at its next request when they share a ``ChangeSignal`` (through Redis); without one, a signed-out
    or hidden member's session lives on in the other processes for at most those seconds.
    """

    def __init__(self, engine: sa.Engine, changes: ChangeSignal | None = None) -> None:
        self.engine = engine
        self._sessions: dict[str, tuple[float, User | None]] = {}
        #: Bumped on every ``forget``: the other processes then forget every session they remember.
        self._changes = changes
        self._seen = changes.current() if changes is not None else 0

    def current(self, request: Request) -> User | None:
        """The member of the request's session cookie, if any and not hidden (cached per request)."""
        member = getattr(request.state, "member", UNKNOWN)
        if member is UNKNOWN:
            member = request.state.member = self._lookup(request)
        return cast(User | None, member)

    def remembered(self, request: Request) -> User | object | None:
        """The member of the request if known without a query (``None``: signed out), else ``UNKNOWN``:
        for code on the event loop, which must not wait for the database."""
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret:
            return None
        if self._changes is not None and (changes := self._changes.current()) != self._seen:
            self._seen = changes
            self._sessions.clear()
        remembered = self._sessions.get(secret)
        if remembered is None or remembered[0] < time.monotonic():
            return UNKNOWN
        request.state.member = remembered[1]
        return remembered[1]

    def forget(self, user: User) -> None:
        """Drop what this process remembers of ``user``'s sessions (after sign-out, new settings),
        and what every other process remembers of any session."""
        if self._changes is not None:
            self._seen = self._changes.bump()
        for secret, (_expires, member) in list(self._sessions.items()):
            if member is not None and member.id == user.id:
                self._sessions.pop(secret, None)

    def _lookup(self, request: Request) -> User | None:
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret:
            return None
        remembered = self.remembered(request)
        if remembered is not UNKNOWN:
            return cast(User | None, remembered)
        with read_session(self.engine) as session:
            user = accounts.user_of_session(session, secret)
        member = user if user is not None and not user.hidden else None
        if len(self._sessions) > 100_000:
            self._sessions.clear()
        self._sessions[secret] = (time.monotonic() + SESSION_MEMORY_SECONDS, member)
        return member

    def required(self, request: Request) -> User:
        user = self.current(request)
        if user is None:
            raise SignInRequired()
        return user

    def moderator(self, request: Request) -> User:
        user = self.required(request)
        if not user.is_moderator:
            raise Forbidden("Only moderators can do this.")
        return user

    def of_api_token(self, request: Request) -> User | None:
        scheme, _, secret = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret:
            return None
        with read_session(self.engine) as session:
            user = accounts.user_of_api_token(session, secret.strip())
        return user if user is not None and not user.hidden else None


def set_session_cookie(response: Response, secret: str, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE, secret, httponly=True, samesite="lax", secure=secure, max_age=SESSION_DAYS * 86400
    )


def local_path(candidate: str | None, default: str = "/") -> str:
    """``candidate`` if it is a path on this site, else ``default``: redirects never leave the site."""
    if candidate and candidate.startswith("/") and not candidate.startswith(("//", "/\\")):
        return candidate
    return default


def sign_in_redirect(request: Request) -> RedirectResponse:
    back = request.headers.get("referer", "")
    path = back.split(str(request.base_url).rstrip("/"), 1)[-1] if back else request.url.path
    return RedirectResponse(f"/signin?next={quote(local_path(path))}", status_code=303)
