"""`dailypapers worker --once`: editions fall due by the local clock, and a round runs every job once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.submissions import submit_paper
from dailypapers.db.write import read_session, write_session
from dailypapers.digest.models import OutboxMessage
from dailypapers.digest.service import confirm, subscribe
from dailypapers.digest.tasks import DueEdition, due_editions
from dailypapers.mail.transport import MaildirTransport
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.runtime import Runtime
from dailypapers.settings import Settings
from dailypapers.worker import run_once
from fake_arxiv import FakeArxiv
from search_papers import TOPICS, paper

PARIS = Settings(digest_hour=7, digest_timezone="Europe/Paris")
LISTED = dt.date(2025, 1, 3)  # a Friday


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_editions_fall_due_at_the_local_hour() -> None:
    assert due_editions(PARIS, at("2025-01-04T05:30"), LISTED) == []  # 06:30 in Paris
    assert due_editions(PARIS, at("2025-01-04T06:30"), LISTED) == [DueEdition("daily", LISTED)]
    assert due_editions(PARIS, at("2025-01-03T10:00"), LISTED) == []  # that day's list is not final
    monday = due_editions(PARIS, at("2025-01-06T08:00"), LISTED)
    assert monday == [DueEdition("daily", LISTED), DueEdition("weekly", dt.date(2024, 12, 30))]


def test_a_round_indexes_builds_and_sends(engine: sa.Engine, db_settings: Settings) -> None:
    settings = db_settings
    with write_session(engine) as session:
        store_papers(session, [paper(i, *fields) for i, fields in TOPICS.items()], rules=ListingRules())
        confirm(session, subscribe(session, "reader@example.org").subscriber_id)
    runtime = Runtime.from_settings(settings)
    line = run_once(runtime, at("2025-01-04T08:00"))
    indexed = 6 if engine.dialect.name == "sqlite" else 0  # PostgreSQL keeps its tsvector itself
    assert line.startswith(
        f"worker round: submissions none; indexed {indexed}; embedded 6; published 6; "
        "editions daily 2025-01-03 (+1); sent 1; waiting 0"
    )
    again = run_once(runtime, at("2025-01-04T09:00"))
    assert "indexed 0; embedded 0; published 0; editions none; sent 0" in again
    with read_session(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
    assert [mail["To"] for mail in MaildirTransport(settings.data_dir / "maildir").messages()] == [
        "reader@example.org"
    ]


def test_a_round_fetches_submitted_papers_through_the_workers_one_arxiv_session(
    sqlite_engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    """The harvest and the submissions share the worker's session: its pause holds between them."""
    paced = arxiv_settings.model_copy(update={"worker_harvest": True, "arxiv_delay_seconds": 0.3})
    with write_session(sqlite_engine) as session:
        ada = use_sign_in_link(session, create_sign_in_link(session, "ada@example.org"))
    for arxiv_id in ("2306.09299", "2304.14118"):
        assert submit_paper(sqlite_engine, paced, ada, arxiv_id).outcome == "queued"
    line = run_once(Runtime.from_settings(paced), at("2025-01-04T08:00"))
    assert "; submissions 2 listed, 0 failed, 0 to retry;" in line
    [harvest] = fake_arxiv.requests_to("/oai")
    [request] = fake_arxiv.requests_to("/api/query")
    assert request.time - harvest.time >= 0.25
    assert sorted(request.params["id_list"].split(",")) == ["2304.14118", "2306.09299"]
    assert request.user_agent == paced.user_agent
