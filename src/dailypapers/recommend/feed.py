"""The personal "for you" feed: recent papers ranked by what a member upvoted and follows.

Each recent paper gets a score from three signals, weighed by ``bench/recommend_quality.py``:
- a per-member linear classifier over embeddings (``taste``): what separates the member's upvotes
  from the other recent papers, the idea of arxiv-sanity-lite's per-user SVM on meaning;
- how often the member upvoted papers in its categories (a habit the text does not show);
- the categories and authors the member follows, said once in settings and always honoured.
A member with neither upvotes nor follows gets the trending papers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session
from threadpoolctl import ThreadpoolController

from dailypapers.community import queries as community
from dailypapers.community.dismissals import dismissed_paper_ids
from dailypapers.community.models import User, Vote
from dailypapers.papers.models import ListingEntry, Paper
from dailypapers.papers.text import plain_text
from dailypapers.search.embedding import Vectors
from dailypapers.search.semantic import stored_vectors

#: How far back the feed looks for papers, from the newest listed day.
WINDOW_DAYS = 14
#: The most recent upvotes the feed learns from.
MAX_UPVOTES = 200
#: Weights of the signals; the meaning score is standardised (mean 0, deviation 1) over the candidates.
MEANING_WEIGHT = 1.0
HABIT_WEIGHT = 1.0
FOLLOWED_CATEGORY_WEIGHT = 1.0
FOLLOWED_AUTHOR_WEIGHT = 3.0
#: Ridge penalty of the per-member classifier.
RIDGE = 0.01


@dataclass(frozen=True)
class Interests:
    """What the feed knows of a member."""

    upvoted: Sequence[str]
    categories: Sequence[str] = ()
    authors: Sequence[str] = ()
    #: Papers the member marked "not interested": never picked.
    dismissed: Sequence[str] = ()

    @property
    def empty(self) -> bool:
        return not (self.upvoted or self.categories or self.authors)


@dataclass(frozen=True)
class Candidate:
    paper_id: str
    title: str
    categories: Sequence[str]
    authors: Sequence[str]


@dataclass(frozen=True)
class Pick:
    paper_id: str
    score: float
    #: One line saying why, shown under the paper.
    reason: str


def interests_of(session: Session, user: User) -> Interests:
    upvoted = session.scalars(
        sa.select(Vote.paper_id)
        .where(Vote.user_id == user.id)
        .order_by(Vote.created_at.desc())
        .limit(MAX_UPVOTES)
    ).all()
    dismissed = dismissed_paper_ids(session, [user.id])[user.id]
    return Interests(upvoted, user.followed_categories or (), user.followed_authors or (), dismissed)


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread() -> Any:
    """A context in which numpy's BLAS runs on one thread: for small products, where threads only
    wait for each other. (Finding the BLAS library costs 2 ms, so it is found once.)"""
    return _blas().limit(limits=1)


def taste(liked: Vectors, others: Vectors, *, ridge: float) -> Vectors:
    """A member's linear classifier over embeddings: what separates their upvotes from the rest.

    Ridge regression to +1 for upvoted and -1 for other papers, both classes weighted equally,
    solved in closed form, so it needs no training library. Like arxiv-sanity-lite's per-user SVM,
    but on meaning rather than words.
    """
    rows = np.vstack([liked, others])
    target = np.concatenate([np.ones(len(liked)), -np.ones(len(others))]).astype(np.float32)
    weight = np.concatenate(
        [np.full(len(liked), 0.5 / len(liked)), np.full(len(others), 0.5 / len(others))]
    ).astype(np.float32)
    count, dimensions = rows.shape
    # One BLAS thread: threads only wait on each other over systems this small, and a digest sender
    # solves one per member (131 ms of CPU with threads on a busy machine, 2.4 ms without).
    with one_blas_thread():
        if count < dimensions:
            # The same solution from a papers x papers system, (X Xᵀ W + λI) a = y, w = Xᵀ W a: a digest
            # ranks its edition's few dozen papers for every member, and this is 20 times cheaper there.
            gram = (rows @ rows.T) * weight[None, :] + ridge * np.eye(count, dtype=np.float32)
            return rows.T @ (weight * np.linalg.solve(gram, target))  # type: ignore[no-any-return]
        weighted = rows * weight[:, None]
        system = rows.T @ weighted + ridge * np.eye(dimensions, dtype=np.float32)
        return np.linalg.solve(system, weighted.T @ target).astype(np.float32)  # type: ignore[no-any-return]


def _standardised(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-6)  # type: ignore[no-any-return]


def rank(
    interests: Interests,
    candidates: Sequence[Candidate],
    vectors: dict[str, Vectors],
    upvoted: Sequence[Candidate],
    *,
    limit: int,
) -> list[Pick]:
    """The best ``limit`` candidates for ``interests``, each with its reason; pure, for the bench."""
    already = {*interests.upvoted, *interests.dismissed}
    shown = [c for c in candidates if c.paper_id not in already]
    if not shown or interests.empty:
        return []
    scores = np.zeros(len(shown), dtype=np.float32)
    liked = [paper for paper in upvoted if paper.paper_id in vectors]
    dimensions = len(next(iter(vectors.values()))) if vectors else 0
    matrix = (
        np.vstack([vectors.get(c.paper_id, np.zeros(dimensions, np.float32)) for c in shown])
        if liked
        else None
    )
    if matrix is not None:
        liked_matrix = np.vstack([vectors[paper.paper_id] for paper in liked])
        scores += MEANING_WEIGHT * _standardised(matrix @ taste(liked_matrix, matrix, ridge=RIDGE))
    if upvoted:
        habits = Counter(category for paper in upvoted for category in paper.categories)
        share = np.array([max((habits[c] for c in candidate.categories), default=0) for candidate in shown])
        scores += HABIT_WEIGHT * share / len(upvoted)
    followed_categories = set(interests.categories)
    followed_authors = {author.casefold() for author in interests.authors}
    if followed_categories:
        scores += FOLLOWED_CATEGORY_WEIGHT * np.array(
            [any(c in followed_categories for c in candidate.categories) for candidate in shown]
        )
    if followed_authors:
        scores += FOLLOWED_AUTHOR_WEIGHT * np.array(
            [any(a.casefold() in followed_authors for a in candidate.authors) for candidate in shown]
        )
    order = np.argsort(-scores, kind="stable")[:limit]
    picks = []
    for i in order:
        candidate = shown[i]
        followed_author = next((a for a in candidate.authors if a.casefold() in followed_authors), None)
        followed_category = next((c for c in candidate.categories if c in followed_categories), None)
        if followed_author:
            reason = f"by {plain_text(followed_author)}, whom you follow"
        elif matrix is not None:
            nearest = liked[int(np.argmax(liked_matrix @ matrix[i]))]
            reason = f"because you upvoted “{plain_text(nearest.title)}”"
        elif followed_category:
            reason = f"new in {followed_category}, which you follow"
        else:
            reason = "in the categories you upvote most"
        picks.append(Pick(candidate.paper_id, float(scores[i]), reason))
    return picks


def _candidates(session: Session, paper_ids: Sequence[str] | sa.Select[Any]) -> list[Candidate]:
    rows = session.execute(
        sa.select(Paper.id, Paper.title, Paper.categories, Paper.authors).where(
            Paper.id.in_(paper_ids), ~Paper.deleted
        )
    )
    return [Candidate(paper_id, title, categories, authors) for paper_id, title, categories, authors in rows]


def for_you(session: Session, user: User | None, *, limit: int = 30) -> tuple[list[Pick], bool]:
    """The member's picks among recently listed papers, and whether they are personal (else trending)."""
    interests = interests_of(session, user) if user is not None else Interests(())
    newest = session.scalar(sa.select(sa.func.max(ListingEntry.day)))
    if not interests.empty and newest is not None:
        recent = (
            sa.select(ListingEntry.paper_id)
            .where(ListingEntry.day > newest - dt.timedelta(days=WINDOW_DAYS))
            .distinct()
        )
        candidates = _candidates(session, recent)
        hidden = community.hidden_among(session, [c.paper_id for c in candidates])
        candidates = [c for c in candidates if c.paper_id not in hidden]
        upvoted = _candidates(session, list(interests.upvoted))
        vectors = stored_vectors(session, [c.paper_id for c in candidates + upvoted])
        picks = rank(interests, candidates, vectors, upvoted, limit=limit)
        if picks:
            return picks, True
    trending = community.trending(session, "week", limit=limit)
    return [Pick(item.paper.id, item.trending_score, "trending this week") for item in trending], False


@dataclass(frozen=True)
class CandidatePool:
    """Papers to pick from and their vectors, loaded once for many members (a digest edition)."""

    candidates: list[Candidate]
    vectors: dict[str, Vectors]


def candidate_pool(session: Session, paper_ids: list[str]) -> CandidatePool:
    candidates = _candidates(session, paper_ids)
    return CandidatePool(candidates, stored_vectors(session, [c.paper_id for c in candidates]))


def picks_for_members(
    session: Session, users: Sequence[User], pool: CandidatePool, *, limit: int
) -> dict[int, list[Pick]]:
    """Each member's personal picks from ``pool``, with a handful of queries for all of them."""
    if not users or not pool.candidates:
        return {}
    upvoted: dict[int, list[str]] = {user.id: [] for user in users}
    votes = session.execute(
        sa.select(Vote.user_id, Vote.paper_id)
        .where(Vote.user_id.in_(list(upvoted)))
        .order_by(Vote.user_id, Vote.created_at.desc())
    )
    for user_id, paper_id in votes:
        if len(upvoted[user_id]) < MAX_UPVOTES:
            upvoted[user_id].append(paper_id)
    liked_ids = sorted({paper_id for ids in upvoted.values() for paper_id in ids})
    dismissed = dismissed_paper_ids(session, list(upvoted))
    liked = {c.paper_id: c for c in _candidates(session, liked_ids)}
    vectors = {**pool.vectors, **stored_vectors(session, [i for i in liked_ids if i not in pool.vectors])}
    picks = {}
    for user in users:
        interests = Interests(
            upvoted[user.id], user.followed_categories or (), user.followed_authors or (), dismissed[user.id]
        )
        mine = [liked[paper_id] for paper_id in upvoted[user.id] if paper_id in liked]
        picks[user.id] = rank(interests, pool.candidates, vectors, mine, limit=limit)
    return picks


def rank_papers_for(session: Session, user: User, paper_ids: list[str]) -> list[Pick]:
    """``paper_ids`` in ``user``'s own order ("for you"), each with its reason, those the member
    upvoted last (they know them) and those they dismissed left out; none when the feed knows
    nothing of the member yet (no upvotes, no follows)."""
    pool = candidate_pool(session, paper_ids)
    picks = picks_for_members(session, [user], pool, limit=len(pool.candidates)).get(user.id, [])
    if not picks:
        return []
    upvoted = set(interests_of(session, user).upvoted)
    return picks + [Pick(c.paper_id, 0.0, "you upvoted it") for c in pool.candidates if c.paper_id in upvoted]
