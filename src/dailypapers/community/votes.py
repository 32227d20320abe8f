"""Upvotes: one per member per paper, counted exactly.

A vote and the count it changes are written in one transaction, and the count moves only when a
vote row really appeared or disappeared, so repeated clicks and concurrent requests can never make
the count differ from the votes stored.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community.accounts import now
from dailypapers.community.models import PAPER_ACTIVITY, VOTES, User
from dailypapers.community.queries import is_shown
from dailypapers.db.upsert import add_to_counter, insert_if_new
from dailypapers.db.write import write_session

_TAKE_BACK = sa.delete(VOTES).where(
    VOTES.c.user_id == sa.bindparam("user_id"), VOTES.c.paper_id == sa.bindparam("paper_id")
)
_COUNT = sa.select(PAPER_ACTIVITY.c.upvotes).where(PAPER_ACTIVITY.c.paper_id == sa.bindparam("paper_id"))


class NoSuchPaper(LookupError):
    pass


def set_vote(session: Session, user: User, paper_id: str, *, up: bool) -> int:
    """Upvote (``up``) or take the upvote back; idempotent. Returns the paper's upvote count.

    Raises ``NoSuchPaper`` for a paper that is not shown (unknown, deleted or hidden). Built from
    prepared Core statements: votes are the site's busiest writes.
    """
    connection = session.connection()
    ids = {"user_id": user.id, "paper_id": paper_id}
    if not is_shown(session, paper_id):
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


class VoteBatches:
    """Votes of one process written in batches: all that arrive while a batch is being written go
    into the next, in one transaction.

    A transaction (and on SQLite the hand-over of the write lock between server processes) costs
    more than a vote in it, so under load this multiplies the votes a server can take. A vote is
    answered only once its batch is committed; if the commit fails, every vote of the batch fails
    and none is stored. Votes in a batch are applied in arrival order, so a member's quick
    upvote-then-take-back ends as they meant.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._waiting: list[tuple[User, str, bool, asyncio.Future[int]]] = []
        self._writing = False
        self._writer: asyncio.Task[None] | None = None

    async def vote(self, user: User, paper_id: str, *, up: bool) -> int:
        """``set_vote`` through the next batch; returns the paper's upvote count after it."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[int] = loop.create_future()
        self._waiting.append((user, paper_id, up, answer))
        if not self._writing:
            self._writing = True
            self._writer = loop.create_task(self._write_batches())
        return await answer

    async def _write_batches(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results = await loop.run_in_executor(None, self._write, batch)
                except Exception as error:  # the commit failed: nothing of this batch is stored
                    results = [error] * len(batch)
                for (_user, _paper, _up, answer), result in zip(batch, results, strict=True):
                    if answer.done():
                        continue
                    if isinstance(result, Exception):
                        answer.set_exception(result)
                    else:
                        answer.set_result(result)
        finally:
            self._writing = False

    def _write(self, batch: list[tuple[User, str, bool, asyncio.Future[int]]]) -> list[int | Exception]:
        results: list[int | Exception] = []
        with write_session(self.engine) as session:
            for user, paper_id, up, _answer in batch:
                try:
                    results.append(set_vote(session, user, paper_id, up=up))
                except NoSuchPaper as refused:  # checked before anything is written
                    results.append(refused)
        return results
