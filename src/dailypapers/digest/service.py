"""Subscribing to the digest: double opt-in, preferences and unsubscribing by signed links.

The links carry the subscriber's id signed with the site's secret, so they work without signing in
and cannot be guessed. Unsubscribe links never expire (old mails must keep working); confirmation
links do, after a week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from dailypapers.community.dismissals import dismiss
from dailypapers.community.models import User
from dailypapers.db.upsert import insert_ignore
from dailypapers.digest.models import Subscriber
from dailypapers.papers.categories import category_codes

FREQUENCIES = ("daily", "weekly")
SUBSCRIBERS = Subscriber.__table__
#: Asking again within this time sends no second confirmation mail.
CONFIRMATION_COOLDOWN = dt.timedelta(hours=1)
CONFIRMATION_LIFETIME = dt.timedelta(days=7)
MAX_CATEGORIES = 20


class InvalidAddress(ValueError):
    """Not an address we can send to; the message says why, for the person who typed it."""


class InvalidLink(ValueError):
    """A digest link that was altered, or a confirmation link that expired."""


@dataclass(frozen=True, slots=True)
class Subscription:
    email: str
    new: bool
    subscriber_id: int
    #: The mail to send now: ``"confirm"`` (its link confirms), ``"subscribed"`` (the address is
    #: subscribed already: its link leads to the preferences), or ``None`` when one went out to the
    #: address within ``CONFIRMATION_COOLDOWN``.
    mail: Literal["confirm", "subscribed"] | None
    confirmed: bool


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def normalize_email(text: str) -> str:
    """The address as stored: validated syntax, Unicode-normalised, and compared case-insensitively."""
    try:
        address = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidAddress(str(error)) from None
    return address.normalized.lower()


def clean_categories(categories: Iterable[str]) -> list[str]:
    """arXiv category codes; raises ``UnknownCategory`` for anything else, ``InvalidAddress`` for
    too many."""
    chosen = category_codes(categories)
    if len(chosen) > MAX_CATEGORIES:
        raise InvalidAddress(f"A digest follows at most {MAX_CATEGORIES} categories.")
    return chosen


def _check_frequency(frequency: str) -> None:
    if frequency not in FREQUENCIES:
        raise InvalidAddress(f"The frequency must be one of {', '.join(FREQUENCIES)}.")


def subscribe(
    session: Session, text: str, frequency: str = "daily", categories: Iterable[str] = ()
) -> Subscription:
    """Record a subscription awaiting confirmation, and say which mail the address gets.

    Whatever the address's state, the asker learns nothing of it: the mailbox's owner does. Asking
    again changes nothing of a confirmed subscription (only a link from the mailbox can) and sends at
    most one mail an hour; an address that unsubscribed, or whose mail bounced, starts over and is
    sent a new confirmation at once.
    """
    _check_frequency(frequency)
    chosen = clean_categories(categories)
    email = normalize_email(text)
    moment = now()
    insert_ignore(
        session,
        SUBSCRIBERS,  # type: ignore[arg-type]
        [
            {
                "email": email,
                "frequency": frequency,
                "categories": chosen,
                "created_at": moment,
                "confirmed_at": None,
                "unsubscribed_at": None,
                "bounces": 0,
            }
        ],
        key=["email"],
    )
    subscriber = session.scalars(
        sa.select(Subscriber).where(Subscriber.email == email).with_for_update()
    ).one()
    new = subscriber.created_at == moment
    if subscriber.unsubscribed_at is not None or subscriber.suppressed_at is not None:
        subscriber.unsubscribed_at = subscriber.confirmed_at = subscriber.suppressed_at = None
        subscriber.confirmation_sent_at = None
        subscriber.frequency, subscriber.categories, subscriber.bounces = frequency, chosen, 0
    confirmed = subscriber.confirmed_at is not None
    recently = subscriber.confirmation_sent_at is not None and (
        moment - subscriber.confirmation_sent_at < CONFIRMATION_COOLDOWN
    )
    mail: Literal["confirm", "subscribed"] | None = None
    if not recently:
        mail = "subscribed" if confirmed else "confirm"
        subscriber.confirmation_sent_at = moment
    return Subscription(email, new, subscriber.id, mail, confirmed)


def confirm(session: Session, subscriber_id: int) -> Subscriber | None:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.unsubscribed_at is not None:
        return None
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now()
    return subscriber


def unsubscribe(session: Session, subscriber_id: int) -> Subscriber | None:
    """Idempotent: a second click (or the mail provider's one-click POST after the footer link)
    keeps the first time."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is not None and subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = now()
    return subscriber


def dismiss_for_subscriber(session: Session, subscriber_id: int, paper_id: str) -> bool:
    """ "Not interested" from a digest's personal pick: dismissed for the member whose address the
    digest went to. False when there is no such member (any more)."""
    subscriber = session.get(Subscriber, subscriber_id)
    member = (
        session.scalar(sa.select(User).where(User.email == subscriber.email, User.hidden.is_(False)))
        if subscriber is not None
        else None
    )
    if member is None:
        return False
    dismiss(session, member, paper_id)
    return True


def update_preferences(
    session: Session, subscriber_id: int, frequency: str, categories: Iterable[str]
) -> Subscriber | None:
    _check_frequency(frequency)
    chosen = clean_categories(categories)
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return None
    subscriber.frequency, subscriber.categories = frequency, chosen
    return subscriber


class DigestLinks:
    """Signed tokens in digest links: one kind to confirm, one to unsubscribe or change preferences."""

    def __init__(self, secret: str) -> None:
        self._confirm = URLSafeTimedSerializer(secret, salt="digest-confirm")
        self._manage = URLSafeSerializer(secret, salt="digest-manage")
        self._dismiss = URLSafeSerializer(secret, salt="digest-not-interested")

    def confirm_token(self, subscriber_id: int) -> str:
        return self._confirm.dumps(subscriber_id)

    def manage_token(self, subscriber_id: int) -> str:
        return self._manage.dumps(subscriber_id)

    def not_interested_token(self, subscriber_id: int, paper_id: str) -> str:
        """For the "not interested" link under a personal pick; like unsubscribing, it never expires."""
        return self._dismiss.dumps([subscriber_id, paper_id])

    def not_interested(self, token: str) -> tuple[int, str]:
        """The subscriber and paper of a "not interested" link."""
        try:
            subscriber_id, paper_id = self._dismiss.loads(token)
        except (BadSignature, ValueError, TypeError):
            raise InvalidLink("This link is not one we sent.") from None
        return int(subscriber_id), str(paper_id)

    def confirmed_id(self, token: str) -> int:
        try:
            value = self._confirm.loads(token, max_age=int(CONFIRMATION_LIFETIME.total_seconds()))
        except SignatureExpired:
            raise InvalidLink("This confirmation link has expired. Subscribe again for a new one.") from None
        except BadSignature:
            raise InvalidLink("This link is not one we sent.") from None
        return int(value)

    def managed_id(self, token: str) -> int:
        try:
            return int(self._manage.loads(token))
        except BadSignature:
            raise InvalidLink("This link is not one we sent.") from None
