"""Dialect-specific writes behind one seam, so domain code runs unchanged on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, table: sa.Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"no upsert for the {dialect} dialect")


def upsert(
    session: Session,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    update: Mapping[str, Any] | Sequence[str],
) -> None:
    """Insert ``rows``; where ``key`` already exists, update it instead.

    ``update`` names the columns to overwrite with the incoming values, or maps column names to SQL
    expressions built from ``excluded(table)`` (the incoming row) and the table's own columns.
    """
    if not rows:
        return
    stmt = _insert(session, table)
    if isinstance(update, Mapping):
        values = dict(update)
    else:
        values = {name: stmt.excluded[name] for name in update}
    session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=values), list(rows))


def insert_ignore(
    session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]], *, key: Sequence[str]
) -> None:
    """Insert the ``rows`` whose ``key`` is new and leave the existing ones as they are."""
    if rows:
        stmt = _insert(session, table).on_conflict_do_nothing(index_elements=list(key))
        session.execute(stmt, list(rows))


def excluded(session: Session, table: sa.Table) -> Any:
    """The incoming row of an upsert, for ``update`` expressions."""
    return _insert(session, table).excluded
