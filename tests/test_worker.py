"""`dailypapers worker`: editions fall due by the local clock, and a round runs every job once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dailypapers.db.write import read_session, write_session
from dailypapers.digest.models import OutboxMessage
from dailypapers.digest.render import DigestRenderer
from dailypapers.digest.sender import Sender
from dailypapers.digest.service import DigestLinks, confirm, subscribe
from dailypapers.mail.transport import MaildirTransport, transport_from_settings
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings
from dailypapers.worker import DueEdition, due_editions, run_round
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


def test_a_round_indexes_builds_and_sends(sqlite_engine: sa.Engine, settings: Settings) -> None:
    with write_session(sqlite_engine) as session:
        store_papers(session, [paper(i, *fields) for i, fields in TOPICS.items()], rules=ListingRules())
        confirm(session, subscribe(session, "reader@example.org").subscriber_id)
    sender = Sender(
        sqlite_engine, settings, transport_from_settings(settings), DigestRenderer(settings, DigestLinks("s"))
    )
    line = run_round(sqlite_engine, settings, sender, at("2025-01-04T08:00"))
    assert line.startswith(
        "worker round: submissions none; embedded 6; editions daily 2025-01-03 (+1); sent 1; waiting 0"
    )
    again = run_round(sqlite_engine, settings, sender, at("2025-01-04T09:00"))
    assert "embedded 0; editions none; sent 0" in again
    with read_session(sqlite_engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
    assert [mail["To"] for mail in MaildirTransport(settings.data_dir / "maildir").messages()] == [
        "reader@example.org"
    ]
