"""The catalog: papers as arXiv describes them, and the daily lists they appear on."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dailypapers.db.base import Base, JSONType

ARXIV_ABS_URL = "https://arxiv.org/abs/{}"
ARXIV_PDF_URL = "https://arxiv.org/pdf/{}"
ARXIV_HTML_URL = "https://arxiv.org/html/{}"


class Paper(Base):
    """One arXiv paper at its latest known version, with the history of its versions.

    ``title``, ``abstract`` and ``comments`` keep LaTeX as written with whitespace normalised;
    ``dailypapers.papers.text.plain_text`` renders them for display. ``versions`` is a list of
    ``{"version": n, "created": ISO datetime or null}`` sorted by ``version``.
    """

    __tablename__ = "papers"
    # The few withdrawn papers, which a list's count leaves out without reading every paper.
    __table_args__ = (
        sa.Index(
            "ix_papers_withdrawn",
            "id",
            sqlite_where=sa.text("deleted = 1"),
            postgresql_where=sa.text("deleted"),
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    title: Mapped[str] = mapped_column(sa.Text)
    authors: Mapped[list[str]] = mapped_column(JSONType)
    abstract: Mapped[str] = mapped_column(sa.Text)
    categories: Mapped[list[str]] = mapped_column(JSONType)
    primary_category: Mapped[str] = mapped_column(sa.String(32))
    comments: Mapped[str | None] = mapped_column(sa.Text)
    journal_ref: Mapped[str | None] = mapped_column(sa.Text)
    doi: Mapped[str | None] = mapped_column(sa.String(255))
    report_no: Mapped[str | None] = mapped_column(sa.Text)
    license: Mapped[str | None] = mapped_column(sa.String(255))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    code_urls: Mapped[list[str]] = mapped_column(JSONType)
    deleted: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # Fingerprint of the source record last stored (see PaperRecord.fingerprint): re-ingesting an
    # unchanged record costs one lookup.
    content_hash: Mapped[str] = mapped_column(sa.String(32))
    ingested_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)

    @property
    def abs_url(self) -> str:
        return ARXIV_ABS_URL.format(self.id)

    @property
    def pdf_url(self) -> str:
        return ARXIV_PDF_URL.format(self.id)

    @property
    def html_url(self) -> str:
        return ARXIV_HTML_URL.format(self.id)

    @property
    def doi_url(self) -> str | None:
        return f"https://doi.org/{self.doi}" if self.doi else None


class ListingEntry(Base):
    """A paper on one day's Daily Papers list.

    ``source`` says how it got there: ``rules`` (the ingestion's listing rules), ``listing`` (an
    imported listings file) or ``user`` (submitted by a member of the community).
    """

    __tablename__ = "listing_entries"
    __table_args__ = (
        sa.UniqueConstraint("day", "paper_id"),
        # A period's categories, read from this index alone (see ``primary_category``).
        sa.Index("ix_listing_entries_day_primary_category", "day", "primary_category"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    # The unique (day, paper_id) index also serves lookups by day.
    day: Mapped[dt.date] = mapped_column(sa.Date)
    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    #: The paper's, kept here so that a period's categories need no lookup per paper (a month has
    #: tens of thousands); every write of entries or papers keeps it equal to the paper's.
    primary_category: Mapped[str] = mapped_column(sa.String(32))
    submitted_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    #: The member who submitted it (``source == "user"``); none for the catalog's own entries.
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    @property
    def listed_at(self) -> dt.datetime:
        """When the paper went on the list: the submission time, or the start of the day for
        entries the catalog made itself (an import's own time says nothing to readers)."""
        if self.source == "user":
            return self.submitted_at
        return dt.datetime.combine(self.day, dt.time())


# The tables themselves, typed for Core statements (bulk writes bypass the ORM).
PAPERS = cast(sa.Table, Paper.__table__)
LISTING_ENTRIES = cast(sa.Table, ListingEntry.__table__)
