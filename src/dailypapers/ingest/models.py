"""Where each OAI-PMH harvest stands, so an interrupted harvest resumes instead of starting over."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dailypapers.db.base import Base


class HarvestCheckpoint(Base):
    """One harvest (endpoint, set, format and date range) and the resumption token of its next page.

    The token is saved in the same transaction as the page's papers, so after a crash the
    harvest continues with exactly the first page that was not stored.
    """

    __tablename__ = "harvest_checkpoints"

    key: Mapped[str] = mapped_column(sa.String(512), primary_key=True)
    resumption_token: Mapped[str | None] = mapped_column(sa.Text)
    pages_done: Mapped[int] = mapped_column(sa.Integer, default=0)
    records_done: Mapped[int] = mapped_column(sa.Integer, default=0)
    completed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
