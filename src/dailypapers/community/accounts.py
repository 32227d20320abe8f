"""Members and how they prove who they are: emailed sign-in links, browser sessions, API tokens.

No passwords: a sign-in link is a random id stored with an expiry and used once; the email
carries it signed with the site's secret, so a guessed or altered link is refused before any
lookup. Sessions and API tokens are random secrets of which only a SHA-256 hash is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from dailypapers.community.models import ApiToken, SignInLink, User, UserSession
from dailypapers.papers.categories import category_codes

SIGN_IN_LINK_LIFETIME = dt.timedelta(minutes=30)
#: The name under which the catalog's own list entries appear as submitted; no member gets it.
CATALOG_USERNAME = "dailypapers"
_USERNAME_CHARACTERS = re.compile(r"[^a-z0-9_-]+")


class InvalidEmail(ValueError):
    pass


class InvalidSignInLink(Exception):
    """Unknown, expired or already used; the message says which, for the person holding it."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_email(address: str) -> str:
    """The address as stored: checked for form (no DNS lookup) and lower-cased."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from None


def create_sign_in_link(session: Session, email: str) -> str:
    """Store a new sign-in link for ``email`` (normalised already); return its id for the email."""
    link_id = secrets.token_urlsafe(32)
    created = now()
    session.add(
        SignInLink(id=link_id, email=email, created_at=created, expires_at=created + SIGN_IN_LINK_LIFETIME)
    )
    return link_id


def use_sign_in_link(session: Session, link_id: str) -> User:
    """Spend the link (once: a second use fails even when both arrive together) and return its member,
    creating the account on a first sign-in."""
    moment = now()
    spent = session.execute(
        sa.update(SignInLink)
        .where(SignInLink.id == link_id, SignInLink.used_at.is_(None), SignInLink.expires_at > moment)
        .values(used_at=moment)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidSignInLink(sign_in_link_problem(session, link_id) or "This sign-in link is not valid.")
    email = session.scalars(sa.select(SignInLink.email).where(SignInLink.id == link_id)).one()
    user = session.scalars(sa.select(User).where(User.email == email)).first()
    return user or _create_user(session, email, moment)


def sign_in_link_problem(session: Session, link_id: str) -> str | None:
    """Why the link cannot sign anyone in, or ``None`` if it still can."""
    link = session.get(SignInLink, link_id)
    if link is None:
        return "This sign-in link is not valid."
    if link.used_at is not None:
        return "This sign-in link was already used. Ask for a new one."
    if link.expires_at <= now():
        return "This sign-in link has expired. Ask for a new one."
    return None


def sign_in_link_address(session: Session, link_id: str) -> str:
    """The address a usable link signs in, so that its page can say whom it signs in.

    Raises ``InvalidSignInLink`` saying why the link cannot sign anyone in.
    """
    problem = sign_in_link_problem(session, link_id)
    if problem:
        raise InvalidSignInLink(problem)
    return session.scalars(sa.select(SignInLink.email).where(SignInLink.id == link_id)).one()


def _create_user(session: Session, email: str, created: dt.datetime) -> User:
    base = _USERNAME_CHARACTERS.sub("-", email.split("@")[0].lower()).strip("-")[:30] or "member"
    username, number = base, 1
    while username == CATALOG_USERNAME or session.scalar(sa.select(User.id).where(User.username == username)):
        number += 1
        username = f"{base}-{number}"
    user = User(
        email=email,
        username=username,
        display_name=base,
        is_moderator=False,
        hidden=False,
        followed_categories=[],
        followed_authors=[],
        created_at=created,
    )
    session.add(user)
    session.flush()
    return user


def start_session(session: Session, user: User) -> str:
    """A new signed-in browser for ``user``; returns the secret its cookie carries."""
    secret = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=hash_secret(secret), user_id=user.id, created_at=now()))
    return secret


def user_of_session(session: Session, secret: str) -> User | None:
    return session.scalars(
        sa.select(User).join(UserSession).where(UserSession.token_hash == hash_secret(secret))
    ).first()


def end_session(session: Session, secret: str) -> None:
    session.execute(sa.delete(UserSession).where(UserSession.token_hash == hash_secret(secret)))


def end_all_sessions(session: Session, user: User) -> None:
    """Sign out everywhere: every browser of ``user`` must sign in again."""
    session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))


def create_api_token(session: Session, user: User, name: str) -> str:
    """A new personal API token; the secret is shown once and never stored."""
    secret = "dp_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            name=name.strip()[:100] or "token",
            token_hash=hash_secret(secret),
            created_at=now(),
        )
    )
    return secret


def api_tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id)
        )
    )


def revoke_api_token(session: Session, user: User, token_id: int) -> bool:
    revoked = session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return bool(revoked.rowcount)  # type: ignore[attr-defined]


def user_of_api_token(session: Session, secret: str) -> User | None:
    return session.scalars(
        sa.select(User)
        .join(ApiToken)
        .where(ApiToken.token_hash == hash_secret(secret), ApiToken.revoked_at.is_(None))
    ).first()


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(sa.select(User).where(User.username == username)).first()


def grant_moderator(session: Session, email: str) -> User | None:
    """Make the member with this address a moderator (``dailypapers admin grant``); ``None`` when
    no member signs in with it."""
    return _set_moderator(session, email, True)


def revoke_moderator(session: Session, email: str) -> User | None:
    """Take moderator rights back (``dailypapers admin revoke``); ``None`` when no member signs in
    with this address. What they did as a moderator stays done, and in the audit log."""
    return _set_moderator(session, email, False)


def _set_moderator(session: Session, email: str, moderator: bool) -> User | None:
    user = session.scalars(sa.select(User).where(User.email == normalize_email(email))).first()
    if user is not None:
        user.is_moderator = moderator
    return user


def update_profile(
    session: Session, user: User, *, display_name: str, categories: Iterable[str], authors: list[str]
) -> None:
    """Raises ``UnknownCategory`` (and changes nothing) when a category is not an arXiv code."""
    followed = category_codes(categories)[:50]
    user.display_name = display_name.strip()[:100] or user.username
    user.followed_categories = followed
    user.followed_authors = sorted({a.strip()[:100] for a in authors if a.strip()})[:50]
    session.add(user)
