"""Reads of the catalog, named like sentences; routes and commands call these, never ``select()``."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.papers.models import PAPERS, ListingEntry, Paper

# Core statements for the bulk paths: compiled once and cached, no ORM objects per row.
_FINGERPRINTS = sa.select(PAPERS.c.id, PAPERS.c.content_hash).where(
    PAPERS.c.id.in_(sa.bindparam("ids", expanding=True))
)


def previous_listing_day(session: Session, day: dt.date) -> dt.date | None:
    """The closest earlier day with papers on its list, or ``None``."""
    return session.scalar(sa.select(sa.func.max(ListingEntry.day)).where(ListingEntry.day < day))


def next_listing_day(session: Session, day: dt.date) -> dt.date | None:
    """The closest later day with papers on its list, or ``None``."""
    return session.scalar(sa.select(sa.func.min(ListingEntry.day)).where(ListingEntry.day > day))


def newest_listing_day(session: Session) -> dt.date | None:
    """The most recent day with at least one paper on its list, or ``None`` for an empty catalog."""
    return session.scalar(sa.select(sa.func.max(ListingEntry.day)))


def papers_listed_on(session: Session, day: dt.date, *, limit: int = 500) -> list[Paper]:
    """The papers on ``day``'s list in the order they were listed; empty for a day without papers."""
    return list(
        session.scalars(
            sa.select(Paper)
            .join(ListingEntry, ListingEntry.paper_id == Paper.id)
            .where(ListingEntry.day == day, Paper.deleted.is_(False))
            .order_by(ListingEntry.id)
            .limit(limit)
        )
    )


def paper_by_id(session: Session, paper_id: str) -> Paper | None:
    """The paper with this canonical arXiv id (no version), or ``None``."""
    return session.get(Paper, paper_id)


def first_listing_entry_of(session: Session, paper_id: str) -> ListingEntry | None:
    """The entry that first put the paper on a daily list, or ``None`` if it never was."""
    return session.scalars(
        sa.select(ListingEntry).where(ListingEntry.paper_id == paper_id).order_by(ListingEntry.day).limit(1)
    ).first()


def first_listing_entries_of(session: Session, paper_ids: list[str]) -> dict[str, ListingEntry]:
    """``first_listing_entry_of`` for many papers at once (those never listed are left out)."""
    first: dict[str, ListingEntry] = {}
    if paper_ids:
        entries = session.scalars(
            sa.select(ListingEntry).where(ListingEntry.paper_id.in_(paper_ids)).order_by(ListingEntry.day)
        )
        for entry in entries:
            first.setdefault(entry.paper_id, entry)
    return first


def papers_by_ids(session: Session, paper_ids: list[str]) -> list[Paper]:
    """The papers with these ids, in the order given (unknown ids are left out)."""
    found = {paper.id: paper for paper in session.scalars(sa.select(Paper).where(Paper.id.in_(paper_ids)))}
    return [found[paper_id] for paper_id in paper_ids if paper_id in found]


def listing_days_of(session: Session, paper_id: str) -> list[dt.date]:
    """The days whose lists carry the paper, oldest first."""
    return list(
        session.scalars(
            sa.select(ListingEntry.day).where(ListingEntry.paper_id == paper_id).order_by(ListingEntry.day)
        )
    )


def count_papers(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Paper)) or 0


def stored_fingerprints(session: Session, ids: list[str]) -> dict[str, str]:
    """The stored fingerprint (``Paper.content_hash``) of each of ``ids`` that is in the catalog."""
    if not ids:
        return {}
    rows = session.connection().execute(_FINGERPRINTS, {"ids": ids})
    return {paper_id: fingerprint for paper_id, fingerprint in rows}
