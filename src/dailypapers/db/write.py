"""The one write path: every change to the database goes through ``write_session``.

A write session is one short transaction that commits on success and rolls back on any error, so a
failed batch changes nothing. On SQLite the threads of a process write one at a time, and each
transaction starts with ``BEGIN IMMEDIATE`` (the write lock is taken
before the first read, so read-merge-write code cannot lose a concurrent update); on PostgreSQL,
code that reads before it writes locks the rows it reads (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import fcntl
import os
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
#: Per process and database, an open lock file beside the database: ``flock`` on it makes the
#: processes of a server (``--workers N``) queue the same way. Opened anew in a forked child, whose
#: inherited descriptor would share the parent's lock instead of waiting for it.
_LOCK_FILES: dict[str, tuple[int, int]] = {}


def _writer_lock(engine: sa.Engine) -> threading.RLock:
    key = str(engine.url)
    with _SQLITE_WRITERS_GUARD:
        return _SQLITE_WRITERS.setdefault(key, threading.RLock())


def _lock_file(engine: sa.Engine) -> int | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    with _SQLITE_WRITERS_GUARD:
        opened = _LOCK_FILES.get(database)
        if opened is None or opened[0] != os.getpid():
            descriptor = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            opened = _LOCK_FILES[database] = (os.getpid(), descriptor)
        return opened[1]


@contextmanager
def _sqlite_writer(engine: sa.Engine) -> Iterator[None]:
    """Hold this process's and then all processes' turn to write."""
    with _writer_lock(engine):
        descriptor = _lock_file(engine)
        if descriptor is None:
            yield
            return
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


@contextmanager
def write_session(engine: sa.Engine) -> Iterator[Session]:
    if engine.dialect.name != "sqlite":
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
        return
    bind = engine.execution_options(sqlite_begin="IMMEDIATE")
    with _sqlite_writer(engine), Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_session(engine: sa.Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
