"""Members putting papers on today's list, by arXiv id or URL.

A paper the catalog does not know yet is fetched through the arXiv API first (outside any
transaction: arXiv may take seconds). A paper already on a list is not listed again: the member
is pointed to where it is. Each member submits at most a set number of papers per day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community.accounts import now
from dailypapers.community.models import User
from dailypapers.db.upsert import insert_if_new
from dailypapers.db.write import read_session, write_session
from dailypapers.papers import queries
from dailypapers.papers.ids import ArxivId, InvalidArxivId, parse_arxiv_id
from dailypapers.papers.models import LISTING_ENTRIES, ListingEntry
from dailypapers.settings import Settings


class SubmissionRefused(ValueError):
    """Not listed; the message tells the member why."""


@dataclass(frozen=True)
class Submission:
    paper_id: str
    day: dt.date
    #: False when the paper was on a list already (``day`` is then that list's day).
    new: bool


def submit_paper(engine: sa.Engine, settings: Settings, user: User, text: str) -> Submission:
    try:
        arxiv_id = parse_arxiv_id(text)
    except InvalidArxivId as error:
        raise SubmissionRefused(str(error)) from None
    with read_session(engine) as session:
        known = queries.paper_by_id(session, arxiv_id.id)
    if known is None:
        _fetch_from_arxiv(engine, settings, arxiv_id)
    moment = now()
    today = moment.date()
    with write_session(engine) as session:
        paper = queries.paper_by_id(session, arxiv_id.id)
        if paper is None or paper.deleted:
            raise SubmissionRefused(f"arXiv has no paper {arxiv_id.id}")
        listed = queries.first_listing_entry_of(session, paper.id)
        if listed is not None:
            return Submission(paper.id, listed.day, new=False)
        if submissions_on(session, user, today) >= settings.daily_submission_limit:
            raise SubmissionRefused(
                f"you have submitted {settings.daily_submission_limit} papers today, the most a member may"
            )
        entry = {
            "day": today,
            "paper_id": paper.id,
            "source": "user",
            "submitted_at": moment,
            "submitted_by_id": user.id,
        }
        if not insert_if_new(session, LISTING_ENTRIES, entry, key=["day", "paper_id"]):
            return Submission(paper.id, today, new=False)  # someone listed it a moment ago
    return Submission(paper.id, today, new=True)


def submissions_on(session: Session, user: User, day: dt.date) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(ListingEntry)
            .where(ListingEntry.submitted_by_id == user.id, ListingEntry.day == day)
        )
        or 0
    )


def _fetch_from_arxiv(engine: sa.Engine, settings: Settings, arxiv_id: ArxivId) -> None:
    from dailypapers.ingest import arxiv_api
    from dailypapers.search.service import update_search_index

    try:
        arxiv_api.ingest_ids(engine, settings, [arxiv_id])
    except Exception as error:  # the arXiv client raises many kinds; the member needs one sentence
        raise SubmissionRefused(
            f"arXiv could not be reached to fetch {arxiv_id.id}; try again later"
        ) from error
    update_search_index(engine)
