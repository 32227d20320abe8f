"""Not interested: a member takes a paper out of their feed, and the feed learns from it.

A dismissal is a negative example for the member's ranking (``recommend.feed``), the counterpart of
an upvote. Dismissing twice, or undoing what is not dismissed, changes nothing: forms and digest
links may be sent again.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community.accounts import now
from dailypapers.community.models import DISMISSALS, Dismissal, User
from dailypapers.community.queries import is_shown, newest_paper_ids
from dailypapers.community.votes import NoSuchPaper
from dailypapers.db.upsert import insert_if_new

#: The most recent dismissals the feed learns from, as it does with upvotes.
MAX_DISMISSALS = 500


def dismiss(session: Session, user: User, paper_id: str) -> None:
    """Mark ``paper_id`` "not interested" for ``user``; raises ``NoSuchPaper`` if it is not shown."""
    if not is_shown(session, paper_id):
        raise NoSuchPaper(f"There is no paper {paper_id} in this catalog.")
    row = {"user_id": user.id, "paper_id": paper_id, "created_at": now()}
    insert_if_new(session, DISMISSALS, row, key=["user_id", "paper_id"])


def undo_dismissal(session: Session, user: User, paper_id: str) -> None:
    session.execute(sa.delete(Dismissal).where(Dismissal.user_id == user.id, Dismissal.paper_id == paper_id))


def dismissed_paper_ids(session: Session, user_ids: list[int]) -> dict[int, list[str]]:
    """Each member's dismissed papers, newest first, at most ``MAX_DISMISSALS`` each."""
    return newest_paper_ids(session, Dismissal, user_ids, limit=MAX_DISMISSALS)
