"""Building an edition: its papers, and one outbox row per subscriber, in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import parseaddr

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community import queries as community
from dailypapers.db.upsert import insert_ignore
from dailypapers.digest.models import Edition
from dailypapers.digest.service import FREQUENCIES, now

#: Papers kept per edition: enough for subscribers who filter by category to get a full mail.
EDITION_DEPTH = 60


@dataclass(frozen=True)
class BuiltEdition:
    edition_id: int
    frequency: str
    period_start: dt.date
    new: bool
    papers: int
    #: Subscribers queued by this build (0 when the edition was already queued for all of them).
    queued: int


def edition_period(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """A daily edition covers its day; a weekly one the Monday-to-Sunday week holding ``day``."""
    if frequency == "daily":
        return day, day
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6)


def top_papers(session: Session, first: dt.date, last: dt.date, *, limit: int = EDITION_DEPTH) -> list[str]:
    """The period's listed papers by upvotes, ties by their place on the list."""
    listed = community.ranked_entries(session, first, last, limit=5000)
    ordered = sorted(range(len(listed)), key=lambda i: (-listed[i].upvotes, i))
    return list(dict.fromkeys(listed[i].paper.id for i in ordered))[:limit]


def _queue_statement(dialect: str) -> sa.TextClause:
    text = "CAST(:edition_id AS TEXT)" if dialect == "postgresql" else ":edition_id"
    subscriber = "CAST(subscribers.id AS TEXT)"
    return sa.text(
        f"""INSERT INTO digest_outbox
            (edition_id, subscriber_id, message_id, status, attempts, next_attempt_at)
        SELECT :edition_id, subscribers.id,
               '<digest.' || {text} || '.' || {subscriber} || '@' || :domain || '>', 'pending', 0, :now
        FROM subscribers
        WHERE subscribers.frequency = :frequency AND subscribers.confirmed_at IS NOT NULL
          AND subscribers.unsubscribed_at IS NULL AND subscribers.suppressed_at IS NULL
        ON CONFLICT DO NOTHING"""
    )


def build_edition(session: Session, frequency: str, day: dt.date, *, sender: str) -> BuiltEdition:
    """Build (once) the edition of ``frequency`` covering ``day`` and queue it for every confirmed
    subscriber; run again, it queues only subscribers confirmed since. An edition with no papers
    is not built."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    start, end = edition_period(frequency, day)
    existing = session.scalar(
        sa.select(Edition).where(Edition.frequency == frequency, Edition.period_start == start)
    )
    new = existing is None
    if existing is None:
        papers = top_papers(session, start, end)
        if not papers:
            return BuiltEdition(0, frequency, start, False, 0, 0)
        row = {
            "frequency": frequency,
            "period_start": start,
            "period_end": end,
            "built_at": now(),
            "paper_ids": papers,
        }
        insert_ignore(session, Edition.__table__, [row], key=["frequency", "period_start"])  # type: ignore[arg-type]
        existing = session.scalars(
            sa.select(Edition).where(Edition.frequency == frequency, Edition.period_start == start)
        ).one()
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    queued = session.execute(
        _queue_statement(session.get_bind().dialect.name),
        {"edition_id": existing.id, "domain": domain, "now": now(), "frequency": frequency},
    ).rowcount  # type: ignore[attr-defined]
    return BuiltEdition(existing.id, frequency, start, new, len(existing.paper_ids), int(queued))
