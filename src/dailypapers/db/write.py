"""The one write path: every change to the database goes through ``write_session``.

A write session is one short transaction that commits on success and rolls back on any error, so a
failed batch changes nothing. On SQLite it starts with ``BEGIN IMMEDIATE`` (the write lock is taken
before the first read, so read-merge-write code cannot lose a concurrent update); on PostgreSQL,
code that reads before it writes locks the rows it reads (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session


@contextmanager
def write_session(engine: sa.Engine) -> Iterator[Session]:
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite" else engine
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_session(engine: sa.Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
