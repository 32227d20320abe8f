"""Who is asking: the signed-in member of a browser session or an API token, for every route.

The session cookie holds a random secret (HttpOnly, SameSite=Lax, Secure over HTTPS); the database
stores only its hash. API requests authenticate with ``Authorization: Bearer`` and never with the
cookie, so that no other site can make a browser call the API on its member's behalf.
"""

from __future__ import annotations

from typing import cast
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from dailypapers.community import accounts
from dailypapers.community.models import User
from dailypapers.db.write import read_session

SESSION_COOKIE = "dailypapers_session"
SESSION_DAYS = 30
_UNKNOWN = object()


class SignInRequired(Exception):
    """Answered with a redirect to the sign-in page (or 401 for API and script requests)."""


class Forbidden(Exception):
    """Answered with 403 and the message."""


class Members:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def current(self, request: Request) -> User | None:
        """The member of the request's session cookie, if any and not hidden (cached per request)."""
        member = getattr(request.state, "member", _UNKNOWN)
        if member is _UNKNOWN:
            member = request.state.member = self._lookup(request)
        return cast(User | None, member)

    def _lookup(self, request: Request) -> User | None:
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret:
            return None
        with read_session(self.engine) as session:
            user = accounts.user_of_session(session, secret)
        return user if user is not None and not user.hidden else None

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
