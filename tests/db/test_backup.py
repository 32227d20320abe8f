"""``dailypapers backup FILE`` and ``dailypapers restore FILE``: a site's whole database in one
SQLite file, taken while the site runs and restored into SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from dailypapers.cli import app
from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.comments import add_comment
from dailypapers.community.models import User
from dailypapers.community.votes import set_vote
from dailypapers.db import backup as backup_module
from dailypapers.db.backup import backup_database
from dailypapers.db.copy import row_counts
from dailypapers.db.engine import create_db_engine, sqlite_file_engine
from dailypapers.db.migrate import alembic_config
from dailypapers.db.models import metadata
from dailypapers.db.write import read_session, write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.search.service import search_papers
from dailypapers.settings import Settings
from factories import LAB_DAY, fill_lab_site, listed_paper

runner = CliRunner()
#: The tables whose rows a restored site must hold exactly as the backed-up one did.
COMPARED = ["votes", "comments", "subscribers", "digest_outbox", "users", "papers"]


def _plain(value: Any) -> Any:
    """A value as both databases give it back: SQLite has no time zones."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def contents(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            name: sorted(
                (
                    tuple(_plain(value) for value in row)
                    for row in connection.execute(sa.select(metadata.tables[name]))
                ),
                key=repr,
            )
            for name in COMPARED
        }


def use_database(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> sa.Engine:
    if settings.database_url:
        monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(settings.data_dir))
    return create_db_engine(settings)


def run(*arguments: str) -> Any:
    return runner.invoke(app, list(arguments))


def backed_up_site(monkeypatch: pytest.MonkeyPatch, settings: Settings, backup: Path) -> sa.Engine:
    """The site of ``settings``, the one ``dailypapers`` commands use, filled and backed up."""
    engine = use_database(monkeypatch, settings)
    run("db", "upgrade")
    fill_lab_site(engine)
    made = run("backup", str(backup))
    assert made.exit_code == 0, made.output
    return engine


@pytest.fixture
def site_backup(
    db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[sa.Engine, Path]:
    """A site on each database, and its backup."""
    backup = tmp_path / "site.backup"
    return backed_up_site(monkeypatch, db_settings, backup), backup


def test_a_sqlite_site_is_restored_whole_on_a_new_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "lab.backup"
    engine = backed_up_site(monkeypatch, Settings(data_dir=tmp_path / "lab"), backup)
    assert "digest_outbox: 2 rows" in run("backup", str(backup)).output
    # One plain SQLite file, openable without dailypapers.
    with sqlite3.connect(backup) as opened:
        assert opened.execute("SELECT count(*) FROM votes").fetchone() == (3,)
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("lab.backup")) == [
        "lab.backup"
    ]

    new_machine = Settings(data_dir=tmp_path / "new-machine")
    restored_engine = use_database(monkeypatch, new_machine)
    restored = run("restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert contents(restored_engine) == contents(engine)
    assert row_counts(restored_engine) == row_counts(engine)
    with read_session(restored_engine) as session:
        assert len(search_papers(session, "divergences", limit=10)) == 5
    engine.dispose()
    restored_engine.dispose()


@pytest.mark.postgres
def test_a_sqlite_backup_restores_into_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_database_url: str
) -> None:
    backup = tmp_path / "lab.backup"
    lab = Settings(data_dir=tmp_path / "lab")
    engine = backed_up_site(monkeypatch, lab, backup)

    postgres = use_database(monkeypatch, lab.model_copy(update={"database_url": postgres_database_url}))
    restored = run("restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert contents(postgres) == contents(engine)
    with write_session(postgres) as session:
        # Numbering goes on after the restored rows, and keyword search finds the papers.
        carol = use_sign_in_link(session, create_sign_in_link(session, "carol@lab.example.org"))
        add_comment(session, carol, "2605.00002", "New here.")
        assert len(search_papers(session, "divergences", limit=10)) == 5
    engine.dispose()
    postgres.dispose()


@pytest.mark.postgres
def test_a_postgresql_site_is_put_back_as_it_was_backed_up(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_database_url: str
) -> None:
    backup = tmp_path / "field.backup"
    field = settings.model_copy(update={"database_url": postgres_database_url})
    postgres = backed_up_site(monkeypatch, field, backup)
    before = contents(postgres)

    with write_session(postgres) as session:
        ada = session.scalars(sa.select(User).where(User.email == "ada@lab.example.org")).one()
        add_comment(session, ada, "2605.00002", "Written after the backup.")
        set_vote(session, ada, "2605.00001", up=False)
    assert contents(postgres) != before

    refused = run("restore", str(backup))
    assert refused.exit_code == 2
    assert "the database is not empty" in refused.output and "--replace" in refused.output
    restored = run("restore", str(backup), "--replace")
    assert restored.exit_code == 0, restored.output
    assert contents(postgres) == before
    postgres.dispose()


def test_a_postgresql_backup_restores_into_sqlite(
    site_backup: tuple[sa.Engine, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways between the databases, and SQLite to SQLite over an existing site with --replace."""
    source, backup = site_backup

    lab = Settings(data_dir=tmp_path / "lab-again")
    target = use_database(monkeypatch, lab)
    run("db", "upgrade")
    with write_session(target) as session:
        store_papers(session, [listed_paper("2601.00001", LAB_DAY)], rules=ListingRules())
    target.dispose()  # the site is stopped while its SQLite file is replaced
    restored = run("restore", str(backup), "--replace")
    assert restored.exit_code == 0, restored.output
    assert contents(target) == contents(source)
    with read_session(target) as session:
        assert len(search_papers(session, "divergences", limit=10)) == 5
    source.dispose()
    target.dispose()


def test_restore_refuses_what_it_cannot_restore_and_changes_nothing(
    site_backup: tuple[sa.Engine, Path], tmp_path: Path
) -> None:
    engine, backup = site_backup
    before = contents(engine)

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello\n" * 100)
    some_database = tmp_path / "other.db"
    sqlite3.connect(some_database).execute("CREATE TABLE things (id INTEGER)").connection.close()
    newer = tmp_path / "newer.backup"
    newer.write_bytes(backup.read_bytes())
    with sqlite3.connect(newer) as opened:
        opened.execute("UPDATE alembic_version SET version_num = '9001'")
    cases = {
        not_a_backup: "is not a dailypapers backup",
        some_database: "is not a dailypapers backup",
        newer: "holds schema 9001, newer than this dailypapers knows",
        backup: "the database is not empty",
        tmp_path / "missing.backup": "no such file",
    }
    for path, reason in cases.items():
        refused = run("restore", str(path))
        assert refused.exit_code == 2, refused.output
        assert reason in refused.output and len(refused.output.strip().splitlines()) == 1, refused.output
    assert run("restore", str(newer), "--replace").exit_code == 2
    assert contents(engine) == before
    engine.dispose()


def test_a_backup_of_an_older_schema_is_migrated_as_it_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old.backup"
    old_engine = sqlite_file_engine(old)
    with old_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0007")
        connection.exec_driver_sql(
            "INSERT INTO harvest_checkpoints (key, pages_done, records_done, completed, updated_at) "
            "VALUES ('oai cs', 3, 2000, 0, '2026-05-20 08:00:00')"
        )
    old_engine.dispose()
    written = old.read_bytes()

    engine = use_database(monkeypatch, Settings(data_dir=tmp_path / "site"))
    restored = run("restore", str(old))
    assert restored.exit_code == 0, restored.output
    assert row_counts(engine)["harvest_checkpoints"] == 1
    assert old.read_bytes() == written  # the backup itself is never written to
    engine.dispose()


def test_a_backup_taken_while_members_vote_is_one_moment_of_the_site(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member votes between every two steps of the backup (each SQLite page, each PostgreSQL
    table and batch); the backup holds the site as it was when it began, every upvote count
    matching its votes."""
    monkeypatch.setattr(backup_module, "BACKUP_STEP_PAGES", 1)
    fill_lab_site(engine)
    with write_session(engine) as session:
        members = [
            use_sign_in_link(session, create_sign_in_link(session, f"voter{n}@lab.example.org"))
            for n in range(20)
        ]
    pairs = [(member, f"2605.0000{paper}") for member in members for paper in range(1, 6)]
    may_vote, voted, stop = threading.Semaphore(0), threading.Semaphore(0), threading.Event()
    votes_during: list[int] = []

    def vote_when_asked() -> None:
        # Upvotes through every pair, then takes them back, and so on.
        for n in range(10**6):
            may_vote.acquire()
            if stop.is_set():
                return
            member, paper = pairs[n % len(pairs)]
            with write_session(engine) as session:
                set_vote(session, member, paper, up=(n // len(pairs)) % 2 == 0)
            voted.release()

    def a_member_votes(_step: str, _done: int, _total: int) -> None:
        may_vote.release()
        assert voted.acquire(timeout=10)
        votes_during.append(1)

    voter = threading.Thread(target=vote_when_asked)
    voter.start()
    before = row_counts(engine)["votes"]
    try:
        backup_database(engine, tmp_path / "live.backup", progress=a_member_votes)
    finally:
        stop.set()
        may_vote.release()
        voter.join()
    with sqlite3.connect(tmp_path / "live.backup") as opened:
        counted = opened.execute("SELECT sum(upvotes) FROM paper_activity").fetchone()[0]
        votes = opened.execute("SELECT count(*) FROM votes").fetchone()[0]
    assert len(votes_during) > 10
    assert counted == votes == before


def test_a_killed_backup_leaves_the_last_one_alone(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    fill_lab_site(sqlite_engine)
    backup = tmp_path / "site.backup"
    backup_database(sqlite_engine, backup)
    last = backup.read_bytes()

    def killed(_table: str, _done: int, _total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backup_database(sqlite_engine, backup, progress=killed)
    assert backup.read_bytes() == last
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith("site.backup")] == [
        "site.backup"
    ]


def test_a_backup_never_overwrites_the_database_it_is_taken_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = Settings(data_dir=tmp_path / "lab")
    engine = use_database(monkeypatch, site)
    run("db", "upgrade")
    fill_lab_site(engine)
    for path in (site.data_dir / "dailypapers.db", tmp_path / "nowhere" / "site.backup", site.data_dir):
        refused = run("backup", str(path))
        assert refused.exit_code == 2, refused.output
        assert len(refused.output.strip().splitlines()) == 1, refused.output
    assert row_counts(engine)["votes"] == 3
    engine.dispose()
