"""Crash test: senders killed with SIGKILL at random moments lose no mail and duplicate none beyond
SMTP's window (accepted by the server, not yet marked sent), which the Message-ID makes visible."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from dailypapers.settings import Settings
from outbox_crash import BATCH, fill, resent_copies, send_with_kills, sending_environment
from smtp_sink import SmtpServer

KILLS = 5


@pytest.mark.slow
def test_killed_senders_deliver_every_mail_once(
    sqlite_engine: sa.Engine, settings: Settings, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    fill(sqlite_engine)
    command = [sys.executable, "-m", "dailypapers", "digest", "send"]
    environment = sending_environment(settings, smtp_server)
    kills = send_with_kills(
        command, environment, sqlite_engine, smtp_server, tmp_path / "stderr", kills=KILLS
    )
    duplicates = resent_copies(smtp_server)
    print(f"{kills} kills, {len(smtp_server.handler.messages)} messages received, {duplicates} resent copies")
    assert kills == KILLS
    assert duplicates <= kills * BATCH  # at most the batch on the wire when each sender died
