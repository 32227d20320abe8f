"""The email digest: subscribers, editions, and the outbox that delivers each edition exactly once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dailypapers.db.base import Base, JSONType


class Subscriber(Base):
    """An address that asked for the digest; ``confirmed_at`` stays empty until double opt-in.

    ``email`` is stored normalised (see ``digest.service.normalize_email``), so an address is
    stored once whatever its spelling.
    """

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    frequency: Mapped[str] = mapped_column(sa.String(16), default="daily")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    #: Only papers in these categories; empty: every paper.
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")
    #: When the last mail about the subscription (a confirmation, or a note that it exists) went
    #: out: asking again within the hour sends no second one.
    confirmation_sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    #: Permanent delivery failures (5xx) in a row; past the limit the address is suppressed.
    bounces: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    suppressed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)


class Edition(Base):
    """One issue of the digest: the trending papers of a day or a week, built once."""

    __tablename__ = "digest_editions"
    __table_args__ = (sa.UniqueConstraint("frequency", "period_start"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    frequency: Mapped[str] = mapped_column(sa.String(16))
    period_start: Mapped[dt.date] = mapped_column(sa.Date)
    period_end: Mapped[dt.date] = mapped_column(sa.Date)
    built_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    #: Ids of the edition's papers, best first; more than a mail shows, for category filters.
    paper_ids: Mapped[list[str]] = mapped_column(JSONType)


class OutboxMessage(Base):
    """One edition for one subscriber: queued once (the unique key), sent, and marked.

    ``pending`` rows wait for ``next_attempt_at``; a sender claims them as ``sending`` until
    ``lease_until``, so a crashed sender's rows return to the queue when its lease runs out.
    The Message-ID is fixed when the row is queued: a resend after a crash reuses it.
    """

    __tablename__ = "digest_outbox"
    __table_args__ = (
        sa.UniqueConstraint("edition_id", "subscriber_id"),
        sa.Index("ix_digest_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("digest_editions.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    #: pending, sending, sent, skipped (nothing in the subscriber's categories), bounced, failed.
    status: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    #: The claim that holds the row: a sender sends only rows its claim still holds.
    claim: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
