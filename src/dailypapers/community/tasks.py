"""Background jobs of the community (see ``dailypapers.queue``), each a plain idempotent function
that the worker, a CLI command (``dailypapers submissions fetch``) or a test can call."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import arxiv
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community.accounts import now
from dailypapers.community.models import SubmissionFetch, SubmissionRequest
from dailypapers.community.submissions import DONE, FAILED, FETCHING, QUEUED
from dailypapers.db.upsert import insert_if_new
from dailypapers.db.write import write_session
from dailypapers.ingest.arxiv_api import IDS_PER_REQUEST, ArxivApiClient, ingest_ids
from dailypapers.ingest.polite import MAX_RETRY_AFTER_SECONDS, ArxivUnavailable
from dailypapers.papers import queries
from dailypapers.papers.ids import ArxivId
from dailypapers.papers.models import LISTING_ENTRIES
from dailypapers.queue import JobRuntime, periodic_job
from dailypapers.settings import Settings

log = logging.getLogger(__name__)

#: Rounds in which arXiv could not be reached before a fetch is given up; at the worker's pace
#: that is half an hour or more of arXiv being down, and the member may simply submit again.
MAX_FETCH_ATTEMPTS = 6
GAVE_UP = "arXiv could not be reached; please submit it again later."


@dataclass(frozen=True)
class FetchRound:
    """What one round of ``fetch_submissions`` did, as the worker's health line shows it."""

    listed: int = 0
    failed: int = 0
    #: Ids claimed but left queued because arXiv could not be reached.
    retrying: int = 0

    def __str__(self) -> str:
        if not (self.listed or self.failed or self.retrying):
            return "none"
        return f"{self.listed} listed, {self.failed} failed, {self.retrying} to retry"


def stale_fetch_after(settings: Settings) -> dt.timedelta:
    """How long a ``fetching`` row may stand before another worker takes it over: longer than one
    request can take with every retry and the longest ``Retry-After`` we honour, so only a worker
    that died leaves a row this old."""
    attempts = settings.arxiv_max_retries + 1
    return dt.timedelta(seconds=attempts * (settings.arxiv_timeout_seconds + MAX_RETRY_AFTER_SECONDS))


def fetch_submissions(
    engine: sa.Engine,
    settings: Settings,
    *,
    client: ArxivApiClient | None = None,
    moment: dt.datetime | None = None,
) -> FetchRound:
    """Fetch the submitted papers the catalog lacks, up to one arXiv API request's worth (``id_list``)
    through ``client`` (one paced client a worker keeps), store them, and list each on the day of its
    first request, crediting that member. Ids arXiv does not know are marked failed with the reason.

    Idempotent: claiming, storing and listing each check what is there, so a round killed at any
    point is finished by a later one. With nothing queued, nothing is sent to arXiv.
    """
    moment = moment or now()
    ids = _claim(engine, settings, moment)
    if not ids:
        return FetchRound()
    try:
        _report, missing = ingest_ids(
            engine, settings, [ArxivId(arxiv_id) for arxiv_id in ids], client=client
        )
    except (ArxivUnavailable, arxiv.ArxivError, requests.RequestException) as error:
        log.warning("fetching submitted papers %s from arXiv failed: %s", ", ".join(ids), error)
        return _release(engine, ids, moment)
    with write_session(engine) as session:
        listed = failed = 0
        for arxiv_id in ids:
            if arxiv_id in missing or not _list_for_first_requester(session, arxiv_id):
                _settle(session, arxiv_id, moment, FAILED, f"arXiv has no paper {arxiv_id}.")
                failed += 1
            else:
                _settle(session, arxiv_id, moment, DONE, None)
                listed += 1
    if listed:
        from dailypapers.search.service import update_search_index

        update_search_index(engine)
    return FetchRound(listed=listed, failed=failed)


@periodic_job("submissions", every=lambda settings: settings.submission_fetch_seconds)
def fetch_submitted_papers(runtime: JobRuntime, moment: dt.datetime) -> FetchRound:
    """``fetch_submissions`` through the worker's one paced session to arXiv."""
    settings = runtime.settings
    return fetch_submissions(runtime.engine, settings, client=ArxivApiClient(settings, runtime.arxiv))


def _claim(engine: sa.Engine, settings: Settings, moment: dt.datetime) -> list[str]:
    """Mark the oldest queued ids (and those whose worker died) ``fetching``; return them."""
    stale = moment - stale_fetch_after(settings)
    with write_session(engine) as session:
        rows = session.scalars(
            sa.select(SubmissionFetch)
            .where(
                (SubmissionFetch.state == QUEUED)
                | ((SubmissionFetch.state == FETCHING) & (SubmissionFetch.started_at < stale))
            )
            .order_by(SubmissionFetch.requested_at, SubmissionFetch.arxiv_id)
            .limit(IDS_PER_REQUEST)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.state, row.started_at, row.attempts = FETCHING, moment, row.attempts + 1
        return [row.arxiv_id for row in rows]


def _release(engine: sa.Engine, ids: list[str], moment: dt.datetime) -> FetchRound:
    """Queue the ids again for the next round, or give up on those tried ``MAX_FETCH_ATTEMPTS`` times."""
    retrying = failed = 0
    with write_session(engine) as session:
        for arxiv_id in ids:
            fetch = session.get(SubmissionFetch, arxiv_id, with_for_update=True)
            if fetch is None or fetch.state != FETCHING:
                continue
            if fetch.attempts >= MAX_FETCH_ATTEMPTS:
                _settle(
                    session,
                    arxiv_id,
                    moment,
                    FAILED,
                    "arXiv could not be reached; please submit it again later.",
                )
                failed += 1
            else:
                fetch.state, fetch.reason = QUEUED, "arXiv could not be reached; trying again soon."
                retrying += 1
    return FetchRound(failed=failed, retrying=retrying)


def _list_for_first_requester(session: Session, arxiv_id: str) -> bool:
    """List the stored paper on the day of its first request, credited to that member, unless it is
    on a list already; ``False`` if the catalog has no such paper to list."""
    paper = queries.paper_by_id(session, arxiv_id)
    if paper is None or paper.deleted:
        return False
    if queries.first_listing_entry_of(session, arxiv_id) is not None:
        return True
    first = session.scalars(
        sa.select(SubmissionRequest)
        .where(SubmissionRequest.arxiv_id == arxiv_id)
        .order_by(SubmissionRequest.requested_at, SubmissionRequest.user_id)
        .limit(1)
    ).first()
    if first is not None:
        entry = {
            "day": first.requested_at.date(),
            "paper_id": arxiv_id,
            "source": "user",
            "submitted_at": first.requested_at,
            "submitted_by_id": first.user_id,
            "primary_category": paper.primary_category,
        }
        insert_if_new(session, LISTING_ENTRIES, entry, key=["day", "paper_id"])
    return True


def _settle(session: Session, arxiv_id: str, moment: dt.datetime, state: str, reason: str | None) -> None:
    fetch = session.get(SubmissionFetch, arxiv_id, with_for_update=True)
    if fetch is not None:
        fetch.state, fetch.reason, fetch.finished_at = state, reason, moment
