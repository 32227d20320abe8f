"""Backups of a whole site (``dailypapers backup FILE``, ``dailypapers restore FILE``).

A backup is one SQLite file holding every table of the models and the schema revision: the format
of a lab's own database, so it opens with ``sqlite3``, and restores into SQLite or PostgreSQL alike.
It is a snapshot of one moment taken while the site runs: on SQLite through SQLite's online backup
API inside one read transaction, on PostgreSQL by ``db/copy.py`` reading in one REPEATABLE READ
transaction. It is written to ``FILE.partial`` and renamed at the end, so a backup that is killed
never leaves half a file under the name it was given.

The vector index file is not backed up: it is rebuilt from the vectors stored in the database.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import sqlalchemy as sa

from dailypapers.db.copy import CopiedTable, CopyProgress, copy_database, row_counts, snapshot
from dailypapers.db.engine import sqlite_file_engine
from dailypapers.db.migrate import HEAD_REVISION, MIGRATIONS_DIR, upgrade_database

#: Pages SQLite's backup API copies per step, between two ticks of the progress bar: 8 MB with the
#: site's 8 KiB pages.
BACKUP_STEP_PAGES = 1_000
#: What the progress of a page-by-page copy is reported as.
PAGES = "database pages"


class BackupRefused(Exception):
    """The file is not a backup this version can restore, the target holds data, or the backup would
    overwrite the database it is taken from."""


def backup_database(
    engine: sa.Engine, path: Path, *, progress: CopyProgress | None = None
) -> list[CopiedTable]:
    """Write a snapshot of the database of ``engine`` to the SQLite file ``path`` (replacing it);
    return the rows of each table in it. Refused when ``path`` is the database itself."""
    if engine.dialect.name == "sqlite" and path.resolve() == _database_file(engine).resolve():
        raise BackupRefused(f"{path} is the site's database itself; write the backup somewhere else")
    upgrade_database(engine)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            _copy_pages_in_snapshot(engine, partial, progress)
        else:
            target = sqlite_file_engine(partial)
            try:
                copy_database(engine, target, progress=progress)
            finally:
                target.dispose()
        _as_one_file(partial)
        copied = row_counts(_read_only_engine(partial))
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return [CopiedTable(name, rows) for name, rows in copied.items()]


def backup_revision(path: Path) -> str:
    """The schema revision of the backup at ``path``; refused if it is not a backup."""
    try:
        with closing(_read_only(path)) as connection:
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        revision = None
    if revision is None:
        raise BackupRefused(f"{path} is not a dailypapers backup (no SQLite database with a schema revision)")
    return str(revision[0])


def restore_database(
    path: Path, engine: sa.Engine, *, replace: bool = False, progress: CopyProgress | None = None
) -> list[CopiedTable]:
    """Make the database of ``engine`` hold what the backup at ``path`` holds; return the rows of
    each table. Refused, changing nothing, for a file that is not a backup, a backup of a newer
    schema, or a database that holds data (unless ``replace``).

    PostgreSQL is filled in one transaction. A SQLite database is built as a new file beside the
    old one and renamed over it: the site must be stopped while it is restored."""
    revision = backup_revision(path)
    if revision not in _known_revisions():
        raise BackupRefused(
            f"{path} holds schema {revision}, newer than this dailypapers knows ({HEAD_REVISION}); "
            "upgrade dailypapers first"
        )
    upgrade_database(engine)
    occupied = sorted(name for name, rows in row_counts(engine).items() if rows)
    if occupied and not replace:
        raise BackupRefused(
            f"the database is not empty ({', '.join(occupied)}); restore with --replace to replace it"
        )
    with _at_newest_schema(path, revision) as source:
        if engine.dialect.name == "sqlite":
            _swap_in_sqlite_copy(source, engine, progress)
            return [CopiedTable(name, rows) for name, rows in row_counts(engine).items()]
        reading = _read_only_engine(source)
        try:
            return copy_database(reading, engine, replace=replace, progress=progress)
        finally:
            reading.dispose()


def _copy_pages_in_snapshot(engine: sa.Engine, target: Path, progress: CopyProgress | None) -> None:
    """Copy the SQLite database page by page, all pages from the snapshot of one read transaction:
    writers go on meanwhile (WAL) and their commits are not in the copy."""
    with snapshot(engine) as reading:
        reading.exec_driver_sql("SELECT count(*) FROM alembic_version")  # the snapshot starts here
        source = reading.connection.driver_connection
        assert isinstance(source, sqlite3.Connection)
        _copy_pages(source, target, progress)


def _copy_pages(source: sqlite3.Connection, target: Path, progress: CopyProgress | None) -> None:
    def report(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(PAGES, total - remaining, total)

    with closing(sqlite3.connect(target)) as copy:
        source.backup(copy, pages=BACKUP_STEP_PAGES, progress=report)


def _as_one_file(path: Path) -> None:
    """Leave WAL mode, so that the database is the file alone, without ``-wal`` and ``-shm`` beside."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _read_only_engine(path: Path) -> sa.Engine:
    return sa.create_engine("sqlite://", creator=lambda: _read_only(path), poolclass=sa.pool.NullPool)


def _database_file(engine: sa.Engine) -> Path:
    return Path(engine.url.database or "")


def _known_revisions() -> set[str]:
    return {script.name.split("_")[0] for script in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py")}


@contextmanager
def _at_newest_schema(path: Path, revision: str) -> Iterator[Path]:
    """The backup itself if it has the newest schema; else a migrated copy of it (the backup file
    is never written to)."""
    if revision == HEAD_REVISION:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="dailypapers-restore-") as directory:
        upgraded = Path(directory) / path.name
        with closing(_read_only(path)) as source:
            _copy_pages(source, upgraded, None)
        engine = sqlite_file_engine(upgraded)
        upgrade_database(engine)
        engine.dispose()
        _as_one_file(upgraded)
        yield upgraded


def _swap_in_sqlite_copy(source: Path, engine: sa.Engine, progress: CopyProgress | None) -> None:
    """Copy the backup into a new file beside the database, then rename it over the database.

    The old database's write-ahead log is emptied into it first: a log left beside the new file
    would be replayed into it."""
    database = _database_file(engine)
    restoring = database.with_name(database.name + ".restoring")
    restoring.unlink(missing_ok=True)
    try:
        with closing(_read_only(source)) as backup:
            _copy_pages(backup, restoring, progress)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        os.replace(restoring, database)
    except BaseException:
        restoring.unlink(missing_ok=True)
        raise
    for leftover in ("-wal", "-shm"):
        database.with_name(database.name + leftover).unlink(missing_ok=True)
    upgrade_database(engine)  # opens it in WAL mode, as the site does
