"""Bring a database to the newest schema; run by ``dailypapers db upgrade`` and on every start."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_database(engine: sa.Engine) -> None:
    """Apply every migration not yet applied; a no-op on an up-to-date database."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
