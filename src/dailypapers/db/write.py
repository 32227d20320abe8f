"""The one write path: every change to the database goes through ``write_session``.

A write session is one short transaction that commits on success and rolls back on any error, so a
failed batch changes nothing. On SQLite the threads of a process write one at a time, and each
transaction starts with ``BEGIN IMMEDIATE`` (the write lock is taken
before the first read, so read-merge-write code cannot lose a concurrent update); on PostgreSQL,
code that reads before it writes locks the rows it reads (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session

#: One lock per SQLite database and process. Threads of a web server that all write (votes, say)
#: wait their turn here, woken the moment the writer before them commits, instead of in SQLite's
#: busy handler, which polls with sleeps of up to 100 ms and made concurrent writes crawl.
_SQLITE_WRITERS: dict[str, threading.RLock] = {}
_SQLITE_WRITERS_GUARD = threading.Lock()


def _writer_lock(engine: sa.Engine) -> threading.RLock:
    key = str(engine.url)
    with _SQLITE_WRITERS_GUARD:
        return _SQLITE_WRITERS.setdefault(key, threading.RLock())


@contextmanager
def write_session(engine: sa.Engine) -> Iterator[Session]:
    if engine.dialect.name != "sqlite":
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
        return
    bind = engine.execution_options(sqlite_begin="IMMEDIATE")
    with _writer_lock(engine), Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_session(engine: sa.Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
