"""Subscribers of the email digest."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dailypapers.db.base import Base


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
