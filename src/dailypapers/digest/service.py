"""Subscribing to the digest. Delivery (confirmation mail, editions, sending) is the digest issue's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from dailypapers.db.upsert import insert_ignore
from dailypapers.digest.models import Subscriber

FREQUENCIES = ("daily", "weekly")
SUBSCRIBERS = Subscriber.__table__


class InvalidAddress(ValueError):
    """Not an address we can send to; the message says why, for the person who typed it."""


@dataclass(frozen=True, slots=True)
class Subscription:
    email: str
    new: bool


def normalize_email(text: str) -> str:
    """The address as stored: validated syntax, Unicode-normalised, and compared case-insensitively."""
    try:
        address = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidAddress(str(error)) from None
    return address.normalized.lower()


def subscribe(session: Session, text: str, frequency: str = "daily") -> Subscription:
    """Record a subscription; asking again with the same address changes nothing and says so."""
    if frequency not in FREQUENCIES:
        raise InvalidAddress(f"frequency must be one of {', '.join(FREQUENCIES)}")
    email = normalize_email(text)
    existing = session.scalar(sa.select(Subscriber.id).where(Subscriber.email == email))
    if existing is not None:
        return Subscription(email, new=False)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = {
        "email": email,
        "frequency": frequency,
        "created_at": now,
        "confirmed_at": None,
        "unsubscribed_at": None,
    }
    insert_ignore(session, SUBSCRIBERS, [row], key=["email"])  # type: ignore[arg-type]
    return Subscription(email, new=True)
