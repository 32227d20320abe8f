"""Bring a database to the newest schema; run by ``dailypapers db upgrade`` and on every start."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: The newest migration. Kept here so that starting on an up-to-date database needs neither
#: Alembic nor a read of the migration scripts (a fifth of a second per command);
#: ``tests/db/test_migrations.py`` checks it against the scripts.
HEAD_REVISION = "0010"


def alembic_config(connection: sa.Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("select version_num from alembic_version").scalar()


def upgrade_database(engine: sa.Engine) -> None:
    """Apply every migration not yet applied; a no-op on an up-to-date database."""
    with engine.begin() as connection:
        if current_revision(connection) == HEAD_REVISION:
            return
        from alembic import command

        command.upgrade(alembic_config(connection), "head")
