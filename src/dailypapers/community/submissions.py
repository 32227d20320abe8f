"""Members putting papers on today's list, by arXiv id or URL.

A paper already in the catalog is listed at once. A paper the catalog does not know yet is never
fetched while the member waits (arXiv may take a minute, and the site must not call it on a
request path): the request is recorded, and the worker fetches every recorded id in one paced
arXiv request per round (``community.tasks.fetch_submissions``), then lists the paper on the day of
the first request, crediting that member. Two members asking for the same paper share one fetch.

A paper already on a list is not listed again: the member is pointed to where it is. Each member
submits at most a set number of papers per day, counting those still being fetched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community.accounts import now
from dailypapers.community.models import SubmissionFetch, SubmissionRequest, User
from dailypapers.db.upsert import insert_if_new
from dailypapers.db.write import write_session
from dailypapers.papers import queries
from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.models import LISTING_ENTRIES, ListingEntry, Paper
from dailypapers.papers.text import count_of
from dailypapers.settings import Settings

#: How a fetch stands (``SubmissionFetch.state``).
QUEUED, FETCHING, DONE, FAILED = "queued", "fetching", "done", "failed"
#: The member's newest submissions the submit page shows: a page's worth.
SHOWN_REQUESTS = 20

SUBMISSION_FETCHES = cast(sa.Table, SubmissionFetch.__table__)
SUBMISSION_REQUESTS = cast(sa.Table, SubmissionRequest.__table__)


class SubmissionRefused(ValueError):
    """Not listed; the message tells the member why."""


@dataclass(frozen=True)
class Submission:
    paper_id: str
    day: dt.date
    #: ``listed``: on ``day``'s list now; ``already listed``: on the list of ``day`` before;
    #: ``queued``: to be fetched from arXiv by the worker, then listed on ``day``.
    outcome: Literal["listed", "already listed", "queued"]


@dataclass(frozen=True)
class RequestedPaper:
    """One of a member's submissions of a paper the catalog lacked, and how its fetch stands."""

    arxiv_id: str
    requested_at: dt.datetime
    state: str
    reason: str | None
    #: The day the paper is listed on, once it is.
    listed_on: dt.date | None
    #: Its title, once it is in the catalog.
    title: str | None


def submit_paper(engine: sa.Engine, settings: Settings, user: User, text: str) -> Submission:
    """List the paper today, point to the list it is on, or record it for the worker to fetch.

    Raises ``SubmissionRefused`` for text that is no arXiv id, a paper arXiv withdrew from the
    catalog, or a member over their daily limit. Submitting the same paper again changes nothing.
    """
    try:
        arxiv_id = parse_arxiv_id(text).id
    except InvalidArxivId as error:
        raise SubmissionRefused(str(error)) from None
    moment = now()
    today = moment.date()
    with write_session(engine) as session:
        paper = queries.paper_by_id(session, arxiv_id)
        if paper is not None and paper.deleted:
            raise SubmissionRefused(f"arXiv has no paper {arxiv_id}")
        listed = queries.first_listing_entry_of(session, arxiv_id) if paper is not None else None
        if listed is not None:
            return Submission(arxiv_id, listed.day, "already listed")
        if paper is None and session.get(SubmissionRequest, (arxiv_id, user.id)) is not None:
            _requeue_if_settled(session, arxiv_id, moment)
            return Submission(arxiv_id, today, "queued")
        if submissions_on(session, user, today) >= settings.daily_submission_limit:
            raise SubmissionRefused(
                f"You have submitted {count_of(settings.daily_submission_limit, 'paper')} today, "
                "the most a member may."
            )
        if paper is None:
            _record_request(session, user, arxiv_id, moment)
            return Submission(arxiv_id, today, "queued")
        entry = {
            "day": today,
            "paper_id": arxiv_id,
            "source": "user",
            "submitted_at": moment,
            "submitted_by_id": user.id,
            "primary_category": paper.primary_category,
        }
        if not insert_if_new(session, LISTING_ENTRIES, entry, key=["day", "paper_id"]):
            return Submission(arxiv_id, today, "already listed")  # someone listed it a moment ago
    return Submission(arxiv_id, today, "listed")


def submissions_on(session: Session, user: User, day: dt.date) -> int:
    """The papers ``user`` listed on ``day``, and those they asked for that day still being fetched."""
    listed = session.scalar(
        sa.select(sa.func.count())
        .select_from(ListingEntry)
        .where(ListingEntry.submitted_by_id == user.id, ListingEntry.day == day)
    )
    start = dt.datetime.combine(day, dt.time())
    waiting = session.scalar(
        sa.select(sa.func.count())
        .select_from(SubmissionRequest)
        .join(SubmissionFetch, SubmissionFetch.arxiv_id == SubmissionRequest.arxiv_id)
        .where(
            SubmissionRequest.user_id == user.id,
            SubmissionRequest.requested_at >= start,
            SubmissionRequest.requested_at < start + dt.timedelta(days=1),
            SubmissionFetch.state.in_([QUEUED, FETCHING]),
        )
    )
    return (listed or 0) + (waiting or 0)


def requested_by(session: Session, user: User, *, limit: int = SHOWN_REQUESTS) -> list[RequestedPaper]:
    """The member's newest submissions of papers the catalog lacked, newest first (empty if none)."""
    first_day = (
        sa.select(sa.func.min(ListingEntry.day))
        .where(ListingEntry.paper_id == SubmissionRequest.arxiv_id)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(
            SubmissionRequest.arxiv_id,
            SubmissionRequest.requested_at,
            SubmissionFetch.state,
            SubmissionFetch.reason,
            first_day,
            Paper.title,
        )
        .join(SubmissionFetch, SubmissionFetch.arxiv_id == SubmissionRequest.arxiv_id)
        .outerjoin(Paper, Paper.id == SubmissionRequest.arxiv_id)
        .where(SubmissionRequest.user_id == user.id)
        .order_by(SubmissionRequest.requested_at.desc(), SubmissionRequest.arxiv_id)
        .limit(limit)
    )
    return [RequestedPaper(*row) for row in rows]


def _record_request(session: Session, user: User, arxiv_id: str, moment: dt.datetime) -> None:
    fetch = {"arxiv_id": arxiv_id, "state": QUEUED, "attempts": 0, "requested_at": moment}
    if not insert_if_new(session, SUBMISSION_FETCHES, fetch, key=["arxiv_id"]):
        _requeue_if_settled(session, arxiv_id, moment)
    request = {"arxiv_id": arxiv_id, "user_id": user.id, "requested_at": moment}
    insert_if_new(session, SUBMISSION_REQUESTS, request, key=["arxiv_id", "user_id"])


def _requeue_if_settled(session: Session, arxiv_id: str, moment: dt.datetime) -> None:
    """A paper asked for again after its fetch failed (or was stored and then lost) is fetched anew:
    arXiv may have been down, or the paper announced since."""
    fetch = session.get(SubmissionFetch, arxiv_id, with_for_update=True)
    if fetch is not None and fetch.state in (DONE, FAILED):
        fetch.state, fetch.reason, fetch.attempts = QUEUED, None, 0
        fetch.requested_at, fetch.started_at, fetch.finished_at = moment, None, None
