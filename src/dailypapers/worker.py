"""`dailypapers worker`: the jobs of a running site, round after round, with a health line each.

A round harvests new papers from arXiv (when enabled), fetches the papers members submitted
that the catalog lacked, indexes them for search, builds the editions that are due, and sends the
digest mail that is due. Every step is idempotent, so a worker that is killed and restarted, or two
workers side by side, do no harm. A worker sends all its arXiv requests through one
``PoliteSession``, so the harvest and the submissions are paced together.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from dailypapers.db.write import read_session, write_session
from dailypapers.digest.editions import build_edition
from dailypapers.digest.sender import Sender, waiting
from dailypapers.ingest.polite import PoliteSession
from dailypapers.papers.queries import newest_listing_day
from dailypapers.settings import Settings

if TYPE_CHECKING:
    from dailypapers.community.tasks import FetchRound
    from dailypapers.runtime import Runtime

log = logging.getLogger("dailypapers.worker")


@dataclass(frozen=True)
class DueEdition:
    frequency: str
    day: dt.date


def due_editions(settings: Settings, moment: dt.datetime, newest_day: dt.date | None) -> list[DueEdition]:
    """Editions whose lists are final at ``moment`` (an aware time): from ``digest_hour`` local time,
    the newest list of an earlier day, and on Mondays the week before."""
    local = moment.astimezone(ZoneInfo(settings.digest_timezone))
    if local.hour < settings.digest_hour or newest_day is None:
        return []
    today = local.date()
    due = []
    if newest_day < today:
        due.append(DueEdition("daily", newest_day))
    if today.weekday() == 0:
        due.append(DueEdition("weekly", today - dt.timedelta(days=7)))
    return due


def _harvest(engine: sa.Engine, settings: Settings, today: dt.date, arxiv: PoliteSession) -> int:
    from dailypapers.ingest import oai

    request = oai.HarvestRequest(today - dt.timedelta(days=2), None, None)
    return oai.harvest(engine, settings, request, session=arxiv).stored.inserted


def _fetch_submissions(engine: sa.Engine, settings: Settings, arxiv: PoliteSession) -> FetchRound:
    from dailypapers.community.tasks import fetch_submissions
    from dailypapers.ingest.arxiv_api import ArxivApiClient

    return fetch_submissions(engine, settings, client=ArxivApiClient(settings, arxiv))


def _index(engine: sa.Engine, settings: Settings) -> int:
    from dailypapers.search.embedding import ModelMissing, default_embedder
    from dailypapers.search.semantic import embed_new_papers
    from dailypapers.search.service import update_search_index, update_vectors_file

    update_search_index(engine)
    try:
        embedder = default_embedder()
    except ModelMissing:
        return 0
    embedded = embed_new_papers(engine, embedder)
    update_vectors_file(engine, settings.data_dir, embedder)
    return embedded


def run_round(
    engine: sa.Engine,
    settings: Settings,
    sender: Sender,
    moment: dt.datetime,
    *,
    arxiv: PoliteSession | None = None,
) -> str:
    """One round of every job; returns its health line. A failing job is logged and the others run.

    ``arxiv`` is the worker's one session to arXiv (a new one if not given)."""
    started = time.monotonic()
    arxiv = arxiv or PoliteSession.from_settings(settings)
    parts = []

    def step(name: str, job: Callable[[], object]) -> None:
        try:
            parts.append(f"{name} {job()}")
        except Exception as error:  # one job's trouble must not stop the mail
            log.exception("worker: %s failed", name)
            parts.append(f"{name} FAILED ({type(error).__name__})")

    if settings.worker_harvest:
        step("harvested", lambda: _harvest(engine, settings, moment.date(), arxiv))
    step("submissions", lambda: _fetch_submissions(engine, settings, arxiv))
    step("embedded", lambda: _index(engine, settings))

    def editions() -> str:
        with read_session(engine) as session:
            newest = newest_listing_day(session)
        built = []
        for due in due_editions(settings, moment, newest):
            with write_session(engine) as session:
                edition = build_edition(session, due.frequency, due.day, sender=settings.mail_from)
            if edition.queued:
                built.append(f"{due.frequency} {edition.period_start} (+{edition.queued})")
        return ", ".join(built) or "none"

    step("editions", editions)
    step("sent", lambda: asyncio.run(sender.send_due()).sent)
    with read_session(engine) as session:
        parts.append(f"waiting {waiting(session)}")
    return f"worker round: {'; '.join(parts)}; took {time.monotonic() - started:.1f} s"


def run_worker(runtime: Runtime, *, once: bool = False) -> None:
    settings, sender = runtime.settings, runtime.digest_sender()
    arxiv = PoliteSession.from_settings(settings)
    while True:
        started = time.monotonic()
        print(run_round(runtime.engine, settings, sender, dt.datetime.now(dt.UTC), arxiv=arxiv), flush=True)
        if once:
            return
        time.sleep(max(0.0, settings.worker_interval_seconds - (time.monotonic() - started)))
