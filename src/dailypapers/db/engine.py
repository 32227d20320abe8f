"""Engines and sessions, configured once so every process talks to the database the same way.

SQLite gets WAL (readers never wait for the writer), a busy timeout (writers queue instead of failing),
foreign keys, and explicit ``BEGIN`` handling so that write sessions can take the write lock up front
with ``BEGIN IMMEDIATE``: a read-then-write transaction can then never be overtaken by another writer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from dailypapers.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_WAL_CHECKPOINT_PAGES = 4_000
SQLITE_POOL_SIZE = 40


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_db_engine(settings: Settings) -> sa.Engine:
    """Build the engine for ``settings``, creating the data dir for a SQLite file if needed."""
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(
            url, json_serializer=_json_dumps, json_deserializer=orjson.loads, pool_pre_ping=True
        )
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return _sqlite_engine(url)


def sqlite_file_engine(path: Path) -> sa.Engine:
    """An engine on the SQLite file at ``path``, configured as the site's own database is."""
    return _sqlite_engine(make_url(f"sqlite:///{path.resolve()}"))


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    # A connection per web server thread (the thread pool has 40): beyond the pool, connections are
    # opened and closed per request, and each opening repeats the set-up below.
    engine = sa.create_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_POOL_SIZE,
    )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Leave transaction control to the "begin" hook below instead of pysqlite's implicit BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # 8 KiB pages hold several papers each (a paper's row is about 1.5 KB, so 4 KiB pages leave
        # much of each page empty); this only takes effect when the database file is created.
        cursor.execute("PRAGMA page_size=8192")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Checkpoint the WAL every 32 MB instead of every 4 MB: bulk imports commit batches of
        # several MB, and a checkpoint (with its fsync) after each of them costs a third of the time.
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
