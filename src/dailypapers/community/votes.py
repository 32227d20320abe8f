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
from dailypapers.db.upsert import add_to_counter, insert_if_new
from dailypapers.papers.models import PAPERS

_TAKE_BACK = sa.delete(VOTES).where(
    VOTES.c.user_id == sa.bindparam("user_id"), VOTES.c.paper_id == sa.bindparam("paper_id")
)
_COUNT = sa.select(PAPER_ACTIVITY.c.upvotes).where(PAPER_ACTIVITY.c.paper_id == sa.bindparam("paper_id"))
_VISIBLE = (
    sa.select(PAPERS.c.id)
    .select_from(PAPERS.outerjoin(PAPER_ACTIVITY, PAPER_ACTIVITY.c.paper_id == PAPERS.c.id))
    .where(
        PAPERS.c.id == sa.bindparam("paper_id"),
        PAPERS.c.deleted.is_(False),
        sa.func.coalesce(PAPER_ACTIVITY.c.hidden, False).is_(False),
    )
)


class NoSuchPaper(LookupError):
    pass


def set_vote(session: Session, user: User, paper_id: str, *, up: bool) -> int:
    """Upvote (``up``) or take the upvote back; idempotent. Returns the paper's upvote count.

    Raises ``NoSuchPaper`` for a paper that is not shown (unknown, deleted or hidden). Built from
    prepared Core statements: votes are the site's busiest writes.
    """
    connection = session.connection()
    ids = {"user_id": user.id, "paper_id": paper_id}
    if connection.execute(_VISIBLE, ids).first() is None:
        raise NoSuchPaper(f"There is no paper {paper_id} in this catalog.")
    if up:
        changed = insert_if_new(session, VOTES, {**ids, "created_at": now()}, key=["user_id", "paper_id"])
    else:
        changed = bool(connection.execute(_TAKE_BACK, ids).rowcount)
    if not changed:
        return int(connection.execute(_COUNT, ids).scalar() or 0)
    counters = {"paper_id": paper_id, "upvotes": 1 if up else -1, "comments": 0, "hidden": False}
    return add_to_counter(session, PAPER_ACTIVITY, counters, key=["paper_id"], column="upvotes")


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
