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
