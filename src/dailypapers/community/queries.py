"""Reads of the daily lists with what the community made of them: counts, submitters, trending.

Trending ranks by upvotes that fade linearly over the chosen window: a vote cast just now counts
1, one cast half a window ago counts 0.5, one older than the window counts nothing.
``score = sum(1 - age / window)`` over the paper's votes younger than ``window``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from dailypapers.community.accounts import CATALOG_USERNAME, now
from dailypapers.community.models import Comment, Dismissal, PaperActivity, User, Vote
from dailypapers.db.dialect import epoch_seconds, json_list_holds
from dailypapers.papers import queries as papers_queries
from dailypapers.papers.models import ListingEntry, Paper

TrendingWindow = Literal["day", "week", "month"]
#: The two lists of a period: the community's (papers members submitted or upvoted, ranked by
#: upvotes, as the Hub's Daily Papers) and all new papers (everything the listing rules admitted).
ListKind = Literal["community", "all"]
WINDOWS: dict[str, dt.timedelta] = {
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(days=7),
    "month": dt.timedelta(days=30),
}


@dataclass(frozen=True)
class ListedPaper:
    """A paper as a list shows it."""

    entry: ListingEntry | None
    paper: Paper
    upvotes: int
    comments: int
    submitter: User | None
    trending_score: float = 0.0


_SUBMITTER = aliased(User)
_UPVOTES = sa.func.coalesce(PaperActivity.upvotes, 0)
_COMMENTS = sa.func.coalesce(PaperActivity.comments, 0)
_VISIBLE = sa.and_(Paper.deleted.is_(False), sa.func.coalesce(PaperActivity.hidden, False).is_(False))
# The papers off the site and those upvoted (see ``count_entries``). The conditions are written as
# the partial indexes of withdrawn and hidden papers are, so that each set is read from its index.
_WITHDRAWN = sa.select(Paper.id).where(Paper.deleted)
_HIDDEN = sa.select(PaperActivity.paper_id).where(PaperActivity.hidden)
_UPVOTED = sa.select(PaperActivity.paper_id).where(PaperActivity.upvotes > 0)


_SHOWN = (
    sa.select(Paper.id)
    .outerjoin(PaperActivity, PaperActivity.paper_id == Paper.id)
    .where(Paper.id == sa.bindparam("paper_id"), _VISIBLE)
)


def is_shown(session: Session, paper_id: str) -> bool:
    """Whether the paper is on the site: in the catalog, not withdrawn, not hidden by moderators."""
    return session.connection().execute(_SHOWN, {"paper_id": paper_id}).first() is not None


def _listed_select(score: sa.ColumnElement[Any]) -> sa.Select[Any]:
    return (
        sa.select(
            ListingEntry,
            Paper,
            _UPVOTES,
            _COMMENTS,
            _SUBMITTER,
            score,
        )
        .join(Paper, Paper.id == ListingEntry.paper_id)
        .outerjoin(PaperActivity, PaperActivity.paper_id == ListingEntry.paper_id)
        .outerjoin(_SUBMITTER, _SUBMITTER.id == ListingEntry.submitted_by_id)
        .where(_VISIBLE)
    )


def _listed(row: sa.Row[Any]) -> ListedPaper:
    entry, paper, upvotes, comments, submitter, score = tuple(row)
    return ListedPaper(entry, paper, upvotes, comments, submitter, score)


def _trending_scores(session: Session, window: TrendingWindow) -> sa.Subquery:
    span = WINDOWS[window].total_seconds()
    moment = now()
    age = epoch_seconds(session, sa.literal(moment, sa.DateTime)) - epoch_seconds(session, Vote.created_at)
    return (
        sa.select(Vote.paper_id, sa.func.sum(1.0 - age / span).label("score"))
        .where(Vote.created_at > moment - WINDOWS[window])
        .group_by(Vote.paper_id)
        .subquery()
    )


def ranked_entries(
    session: Session,
    first: dt.date,
    last: dt.date,
    *,
    offset: int = 0,
    limit: int | None = 50,
    sort: Literal["upvotes", "trending"] = "upvotes",
    window: TrendingWindow = "week",
    submitter: str | None = None,
    category: str | None = None,
    kind: ListKind = "all",
) -> list[ListedPaper]:
    """The lists from ``first`` to ``last``: newest day first, within a day by upvotes, then by
    listing time; or, by trending score, the whole period at once (a week's most talked-about paper
    comes first, whichever day it was listed). ``category`` keeps the papers in that arXiv category
    (primary or cross-listed); ``kind`` chooses the community's list or all new papers (see
    ``ListKind``); the community's list of a week or month is ranked by upvotes across it.
    ``limit=None`` reads them all. The work grows with the period, not the catalog."""
    scores = _trending_scores(session, window) if sort == "trending" else None
    score = sa.func.coalesce(scores.c.score, 0.0) if scores is not None else sa.literal(0.0)
    # The page's entries are chosen from narrow rows (an entry, its paper's counts, its score) and
    # only then joined to their papers: sorting a day's thousand entries with their papers read
    # each paper (20 ms on PostgreSQL).
    chosen = _period_entries(
        sa.select(ListingEntry.id.label("entry_id"), score.label("score")).outerjoin(
            PaperActivity, PaperActivity.paper_id == ListingEntry.paper_id
        ),
        submitter,
        category,
    )
    chosen = _narrowed(session, chosen, first, last, submitter, category, kind)
    if scores is not None:
        chosen = chosen.outerjoin(scores, scores.c.paper_id == ListingEntry.paper_id)
    page = chosen.order_by(*_ranking(score, sort, kind)).offset(offset).limit(limit).subquery()
    statement = _listed_select(page.c.score).join(page, page.c.entry_id == ListingEntry.id)
    rows = session.execute(statement.order_by(*_ranking(page.c.score, sort, kind)))
    return [_listed(row) for row in rows]


def _ranking(score: sa.ColumnElement[Any], sort: str, kind: ListKind) -> list[sa.ColumnElement[Any]]:
    """The order of ``ranked_entries``, by the ``score`` column of the statement it orders."""
    order: list[sa.ColumnElement[Any]] = [ListingEntry.day.desc()]
    if sort == "trending":
        order.insert(0, score.desc())
    elif kind == "community":  # the Hub ranks a week or month by upvotes alone
        order.insert(0, _UPVOTES.desc())
    return [*order, _UPVOTES.desc(), ListingEntry.id.asc()]


def _period_entries(statement: sa.Select[Any], submitter: str | None, category: str | None) -> sa.Select[Any]:
    """``statement`` over listing entries of papers on the site, joined to what ``_narrowed`` needs
    for ``submitter`` and ``category``. Withdrawn and hidden papers are few, each set read once from
    its index; only a category, which needs each paper's cross-lists, joins the papers."""
    statement = statement.where(
        ListingEntry.paper_id.not_in(_WITHDRAWN), ListingEntry.paper_id.not_in(_HIDDEN)
    )
    if submitter is not None and submitter != CATALOG_USERNAME:
        statement = statement.join(_SUBMITTER, _SUBMITTER.id == ListingEntry.submitted_by_id)
    if category is not None:
        statement = statement.join(Paper, Paper.id == ListingEntry.paper_id)
    return statement


def count_entries(
    session: Session,
    first: dt.date,
    last: dt.date,
    *,
    submitter: str | None = None,
    category: str | None = None,
    kind: ListKind = "all",
) -> int:
    """How many entries ``ranked_entries`` holds over all its pages (for "page 2 of 3").

    Counted from the period's entries alone, without a lookup of each one's paper (a month has tens
    of thousands; see ``_period_entries``); upvoted papers are read once too."""
    statement = _period_entries(sa.select(sa.func.count()).select_from(ListingEntry), submitter, category)
    upvoted = ListingEntry.paper_id.in_(_UPVOTED)
    return session.scalar(_narrowed(session, statement, first, last, submitter, category, kind, upvoted)) or 0


def _narrowed(
    session: Session,
    statement: sa.Select[Any],
    first: dt.date,
    last: dt.date,
    submitter: str | None,
    category: str | None,
    kind: ListKind,
    upvoted: sa.ColumnElement[bool] = _UPVOTES > 0,
) -> sa.Select[Any]:
    """``statement`` narrowed to the period's entries as ``ranked_entries`` narrows them; ``upvoted``
    tells an upvoted paper's entry (by default from the joined ``PaperActivity``)."""
    statement = statement.where(ListingEntry.day.between(first, last))
    if submitter == CATALOG_USERNAME:
        statement = statement.where(ListingEntry.submitted_by_id.is_(None))
    elif submitter is not None:
        statement = statement.where(_SUBMITTER.username == submitter)
    if category is not None:
        statement = statement.where(json_list_holds(session, Paper.categories, category))
    if kind == "community":
        statement = statement.where(sa.or_(ListingEntry.source == "user", upvoted))
    return statement


def categories_listed(session: Session, first: dt.date, last: dt.date) -> list[str]:
    """The primary categories of the papers listed from ``first`` to ``last``, sorted: what a
    list offers to narrow by. Read from one index of the entries (see ``ListingEntry.primary_category``)."""
    return list(
        session.scalars(
            sa.select(ListingEntry.primary_category)
            .where(ListingEntry.day.between(first, last))
            .distinct()
            .order_by(ListingEntry.primary_category)
        )
    )


def newest_paper_ids(
    session: Session, kind: type[Vote] | type[Dismissal], user_ids: list[int], *, limit: int
) -> dict[int, list[str]]:
    """Each member's papers of ``kind`` (their upvotes or their dismissals), newest first, at most
    ``limit`` each: what the feed learns from, read for many members in one query."""
    newest = (
        sa.select(
            kind.user_id,
            kind.paper_id,
            sa.func.row_number()
            .over(partition_by=kind.user_id, order_by=kind.created_at.desc())
            .label("position"),
        )
        .where(kind.user_id.in_(user_ids))
        .subquery()
    )
    found: dict[int, list[str]] = {user_id: [] for user_id in user_ids}
    rows = session.execute(
        sa.select(newest.c.user_id, newest.c.paper_id)
        .where(newest.c.position <= limit)
        .order_by(newest.c.user_id, newest.c.position)
    )
    for user_id, paper_id in rows:
        found[user_id].append(paper_id)
    return found


def listed_paper_ids(
    session: Session, first: dt.date, last: dt.date, *, category: str | None = None, kind: ListKind = "all"
) -> list[str]:
    """Every paper shown on the lists from ``first`` to ``last`` (narrowed as ``ranked_entries``
    narrows them), once each: what a member's own order of a period ranks."""
    statement = (
        sa.select(ListingEntry.paper_id)
        .join(Paper, Paper.id == ListingEntry.paper_id)
        .outerjoin(PaperActivity, PaperActivity.paper_id == ListingEntry.paper_id)
        .where(_VISIBLE)
    )
    return list(session.scalars(_narrowed(session, statement, first, last, None, category, kind).distinct()))


def trending(
    session: Session, window: TrendingWindow, *, limit: int = 50, offset: int = 0
) -> list[ListedPaper]:
    """The papers with the highest trending score over ``window``, wherever they were listed."""
    scores = _trending_scores(session, window)
    rows = session.execute(
        sa.select(
            Paper,
            _UPVOTES,
            _COMMENTS,
            scores.c.score,
        )
        .join(scores, scores.c.paper_id == Paper.id)
        .outerjoin(PaperActivity, PaperActivity.paper_id == Paper.id)
        .where(_VISIBLE)
        .order_by(scores.c.score.desc(), Paper.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        ListedPaper(None, paper, upvotes, comments, None, score) for paper, upvotes, comments, score in rows
    ]


def count_trending(session: Session, window: TrendingWindow) -> int:
    """How many papers ``trending`` ranks over all its pages: those upvoted within ``window``."""
    scores = _trending_scores(session, window)
    statement = (
        sa.select(sa.func.count())
        .select_from(scores)
        .join(Paper, Paper.id == scores.c.paper_id)
        .outerjoin(PaperActivity, PaperActivity.paper_id == Paper.id)
        .where(_VISIBLE)
    )
    return session.scalar(statement) or 0


def newest_listed(session: Session, *, limit: int) -> tuple[dt.date | None, list[ListedPaper]]:
    """The newest day with papers and its list, most upvoted first: what a fresh site, before
    anyone votes, shows instead of an empty trending list or feed."""
    day = papers_queries.newest_listing_day(session)
    return day, ranked_entries(session, day, day, limit=limit) if day else []


def listed_papers(session: Session, paper_ids: list[str]) -> list[ListedPaper]:
    """The papers with these ids as lists show them (their first listing, counts and submitter),
    in the order given; unknown, deleted and hidden papers are left out."""
    if not paper_ids:
        return []
    first_entries = papers_queries.first_listing_entries_of(session, paper_ids)
    rows = session.execute(
        sa.select(Paper, _UPVOTES, _COMMENTS)
        .outerjoin(PaperActivity, PaperActivity.paper_id == Paper.id)
        .where(Paper.id.in_(paper_ids), _VISIBLE)
    ).all()
    found = {paper.id: (paper, upvotes, comments) for paper, upvotes, comments in rows}
    submitter_ids = {entry.submitted_by_id for entry in first_entries.values() if entry.submitted_by_id}
    submitters = (
        {user.id: user for user in session.scalars(sa.select(User).where(User.id.in_(submitter_ids)))}
        if submitter_ids
        else {}
    )
    listed = []
    for paper_id in paper_ids:
        if paper_id in found:
            paper, upvotes, comments = found[paper_id]
            entry = first_entries.get(paper_id)
            submitter = submitters.get(entry.submitted_by_id) if entry and entry.submitted_by_id else None
            listed.append(ListedPaper(entry, paper, upvotes, comments, submitter))
    return listed


def hidden_among(session: Session, paper_ids: list[str]) -> set[str]:
    """Which of ``paper_ids`` moderators hid."""
    if not paper_ids:
        return set()
    return set(
        session.scalars(
            sa.select(PaperActivity.paper_id).where(
                PaperActivity.paper_id.in_(paper_ids), PaperActivity.hidden.is_(True)
            )
        )
    )


def activity_of(session: Session, paper_id: str) -> PaperActivity | None:
    return session.get(PaperActivity, paper_id)


def is_hidden(session: Session, paper_id: str) -> bool:
    activity = activity_of(session, paper_id)
    return activity is not None and activity.hidden


def submitted_by(session: Session, user: User, *, limit: int = 100) -> list[ListedPaper]:
    rows = session.execute(
        _listed_select(sa.literal(0.0))
        .where(ListingEntry.submitted_by_id == user.id)
        .order_by(ListingEntry.id.desc())
        .limit(limit)
    )
    return [_listed(row) for row in rows]


def upvoted_by(session: Session, user: User, *, limit: int = 100) -> list[Paper]:
    return list(
        session.scalars(
            sa.select(Paper)
            .join(Vote, Vote.paper_id == Paper.id)
            .where(Vote.user_id == user.id, Paper.deleted.is_(False))
            .order_by(Vote.created_at.desc())
            .limit(limit)
        )
    )


def comments_by(session: Session, user: User, *, limit: int = 100) -> list[tuple[Comment, Paper]]:
    """The member's visible comments, newest first, each with its paper (papers taken off the site
    leave their comments out)."""
    rows = session.execute(
        sa.select(Comment, Paper)
        .join(Paper, Paper.id == Comment.paper_id)
        .outerjoin(PaperActivity, PaperActivity.paper_id == Comment.paper_id)
        .where(Comment.user_id == user.id, Comment.deleted.is_(False), Comment.hidden.is_(False), _VISIBLE)
        .order_by(Comment.id.desc())
        .limit(limit)
    )
    return [(comment, paper) for comment, paper in rows]
