"""Killing processes that send the digest (``dailypapers digest send``, ``dailypapers worker``) with
SIGKILL at random moments, and checking that every subscriber got their mail once."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

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
LEASE_SECONDS = 3


def fill(engine: sa.Engine) -> None:
    """The topical catalog and one daily edition queued for ``CONFIRMED`` subscribers, beside
    unconfirmed and unsubscribed ones who must get nothing."""
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


def sending_environment(settings: Settings, smtp_server: SmtpServer) -> dict[str, str]:
    """The environment of a sending process: the test's data dir, the SMTP sink, small batches and
    a short lease, so a killed sender's mail is taken over within seconds."""
    return {
        **os.environ,
        "DAILYPAPERS_DATA_DIR": str(settings.data_dir),
        "DAILYPAPERS_SMTP_HOST": smtp_server.host,
        "DAILYPAPERS_SMTP_PORT": str(smtp_server.port),
        "DAILYPAPERS_SMTP_STARTTLS": "false",
        "DAILYPAPERS_DIGEST_BATCH_SIZE": str(BATCH),
        "DAILYPAPERS_DIGEST_LEASE_SECONDS": str(LEASE_SECONDS),
        "DAILYPAPERS_DIGEST_PICKS": "0",
    }


def send_with_kills(
    command: list[str],
    environment: dict[str, str],
    engine: sa.Engine,
    smtp_server: SmtpServer,
    log: Path,
    *,
    kills: int,
) -> int:
    """Run ``command`` again and again, killing it ``kills`` times after a random number of mails
    was accepted, then let one run until nothing waits (asking a process that does not stop on
    its own, as a worker, to stop then); returns how many were killed."""
    chance = random.Random(7)
    killed = 0
    with log.open("w") as errors:
        for _ in range(kills + 20):
            process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=errors)
            if killed < kills:
                goal = len(smtp_server.handler.messages) + chance.randint(1, 300)
                while process.poll() is None and len(smtp_server.handler.messages) < goal:
                    time.sleep(0.002)
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    killed += 1
            else:
                deadline = time.monotonic() + 120
                while process.poll() is None and _waiting(engine) and time.monotonic() < deadline:
                    time.sleep(0.05)
                try:
                    process.wait(timeout=5)  # a sender ends on its own once nothing waits
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGINT)  # a worker stops at its current job's end
            returned = process.wait(timeout=120)
            assert returned in (0, -signal.SIGKILL), f"exit {returned}: {log.read_text()}"
            time.sleep(LEASE_SECONDS + 0.1)  # the killed sender's lease runs out
            if not _waiting(engine):
                return killed
    return killed


def _waiting(engine: sa.Engine) -> int:
    with read_session(engine) as session:
        return waiting(session)


def resent_copies(smtp_server: SmtpServer) -> int:
    """Check that every confirmed subscriber, and nobody else, got one distinct mail (by
    Message-ID); how many copies were sent again (SMTP's window: accepted, not yet marked sent)."""
    copies: dict[str, list[str]] = defaultdict(list)
    for message in smtp_server.handler.messages:
        copies[message["To"]].append(message["Message-ID"])
    assert set(copies) == {f"reader{n}@example.org" for n in range(CONFIRMED)}
    assert all(len(set(ids)) == 1 for ids in copies.values())
    return sum(len(ids) - 1 for ids in copies.values())
