"""Upvotes: one per member per paper, counted exactly.

A vote and the count it changes are written in one transaction, and the count moves only when a
vote row really appeared or disappeared, so repeated clicks and concurrent requests can never make
the count differ from the votes stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community.accounts import now
from dailypapers.community.models import PAPER_ACTIVITY, VOTES, User
from dailypapers.db.upsert import insert_if_new


def set_vote(session: Session, user: User, paper_id: str, *, up: bool) -> int:
    """Upvote (``up``) or take the upvote back; idempotent. Returns the paper's upvote count."""
    if up:
        vote = {"user_id": user.id, "paper_id": paper_id, "created_at": now()}
        changed = insert_if_new(session, VOTES, vote, key=["user_id", "paper_id"])
        delta = 1
    else:
        changed = session.execute(
            sa.delete(VOTES).where(VOTES.c.user_id == user.id, VOTES.c.paper_id == paper_id)
        ).rowcount  # type: ignore[attr-defined]
        delta = -1
    if changed:
        ensure_activity(session, paper_id)
        session.execute(
            sa.update(PAPER_ACTIVITY)
            .where(PAPER_ACTIVITY.c.paper_id == paper_id)
            .values(upvotes=PAPER_ACTIVITY.c.upvotes + delta)
        )
    return int(
        session.scalar(sa.select(PAPER_ACTIVITY.c.upvotes).where(PAPER_ACTIVITY.c.paper_id == paper_id)) or 0
    )


def ensure_activity(session: Session, paper_id: str) -> None:
    """Create the paper's counters row if it has none yet."""
    counters = {"paper_id": paper_id, "upvotes": 0, "comments": 0, "hidden": False}
    insert_if_new(session, PAPER_ACTIVITY, counters, key=["paper_id"])


def upvoted_among(session: Session, user: User | None, paper_ids: list[str]) -> set[str]:
    """Which of ``paper_ids`` the member upvoted (for the buttons' state)."""
    if user is None or not paper_ids:
        return set()
    return set(
        session.scalars(
            sa.select(VOTES.c.paper_id).where(VOTES.c.user_id == user.id, VOTES.c.paper_id.in_(paper_ids))
        )
    )
