"""Crash test: senders killed with SIGKILL at random moments lose no mail and duplicate none beyond
SMTP's window (accepted by the server, not yet marked sent), which the Message-ID makes visible."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa

from dailypapers.db.write import read_session, write_session
from dailypapers.digest.editions import build_edition
from dailypapers.digest.sender import waiting
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings
from search_papers import TOPICS, paper
from smtp_sink import SmtpServer

CONFIRMED, UNCONFIRMED, UNSUBSCRIBED = 2000, 50, 50
BATCH = 25
KILLS = 5


def fill(engine: sa.Engine) -> None:
    now = dt.datetime(2025, 1, 3, 8)
    with write_session(engine) as session:
        store_papers(
            session, [paper(arxiv_id, *fields) for arxiv_id, fields in TOPICS.items()], rules=ListingRules()
        )
        rows = [
            {
                "email": f"reader{n}@example.org",
                "frequency": "daily",
                "created_at": now,
                "confirmed_at": None if CONFIRMED <= n < CONFIRMED + UNCONFIRMED else now,
                "unsubscribed_at": now if n >= CONFIRMED + UNCONFIRMED else None,
            }
            for n in range(CONFIRMED + UNCONFIRMED + UNSUBSCRIBED)
        ]
        session.execute(
            sa.text(
                "INSERT INTO subscribers (email, frequency, created_at, confirmed_at, unsubscribed_at) "
                "VALUES (:email, :frequency, :created_at, :confirmed_at, :unsubscribed_at)"
            ),
            rows,
        )
        built = build_edition(session, "daily", dt.date(2025, 1, 3), sender="Papers <papers@example.org>")
    assert built.queued == CONFIRMED


@pytest.mark.slow
def test_killed_senders_deliver_every_mail_once(
    sqlite_engine: sa.Engine, settings: Settings, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    fill(sqlite_engine)
    environment = {
        **os.environ,
        "DAILYPAPERS_DATA_DIR": str(settings.data_dir),
        "DAILYPAPERS_SMTP_HOST": smtp_server.host,
        "DAILYPAPERS_SMTP_PORT": str(smtp_server.port),
        "DAILYPAPERS_SMTP_STARTTLS": "false",
        "DAILYPAPERS_DIGEST_BATCH_SIZE": str(BATCH),
        "DAILYPAPERS_DIGEST_LEASE_SECONDS": "3",
        "DAILYPAPERS_DIGEST_PICKS": "0",
    }
    command = [sys.executable, "-m", "dailypapers", "digest", "send"]
    chance = random.Random(7)
    kills = 0
    for _ in range(KILLS + 20):
        sender = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if kills < KILLS:
            # Kill it at a random point of its work: after a random number of mails were accepted.
            goal = len(smtp_server.handler.messages) + chance.randint(1, 300)
            while sender.poll() is None and len(smtp_server.handler.messages) < goal:
                time.sleep(0.002)
            if sender.poll() is None:
                sender.send_signal(signal.SIGKILL)
                kills += 1
        assert sender.wait(timeout=120) in (0, -signal.SIGKILL), sender.stderr.read()  # type: ignore[union-attr]
        time.sleep(3.1)  # the killed sender's lease runs out
        with read_session(sqlite_engine) as session:
            if waiting(session) == 0:
                break
    copies: dict[str, list[str]] = defaultdict(list)
    for message in smtp_server.handler.messages:
        copies[message["To"]].append(message["Message-ID"])
    expected = {f"reader{n}@example.org" for n in range(CONFIRMED)}
    assert set(copies) == expected  # no unconfirmed or unsubscribed address got anything
    assert all(len(set(ids)) == 1 for ids in copies.values())  # one distinct mail each, by Message-ID
    duplicates = sum(len(ids) - 1 for ids in copies.values())
    print(f"{kills} kills, {len(smtp_server.handler.messages)} messages received, {duplicates} resent copies")
    assert kills == KILLS
    assert duplicates <= kills * BATCH  # at most the batch on the wire when each sender died
