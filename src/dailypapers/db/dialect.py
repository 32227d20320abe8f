"""SQL expressions that differ between SQLite and PostgreSQL, chosen by the session's dialect."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def epoch_seconds(session: Session, column: Any) -> Any:
    """Seconds since 1970 of a naive UTC datetime column, as a float."""
    if session.get_bind().dialect.name == "sqlite":
        return (sa.func.julianday(column) - 2440587.5) * 86400.0
    return sa.extract("epoch", column)


def json_list_holds(session: Session, column: Any, value: str) -> Any:
    """Whether the JSON list in ``column`` holds the string ``value`` (a paper's categories)."""
    if session.get_bind().dialect.name == "sqlite":
        items = sa.func.json_each(column).table_valued("value")
        return sa.exists(sa.select(1).select_from(items).where(items.c.value == value))
    return column.op("@>")(sa.func.jsonb_build_array(sa.cast(sa.literal(value), sa.Text)))
