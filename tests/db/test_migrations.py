"""Migrations and models stay together, on SQLite and PostgreSQL, and SQLite is set up for concurrency."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dailypapers.db.migrate import upgrade_database
from dailypapers.db.models import metadata


def test_migrations_build_exactly_the_models(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_upgrading_twice_is_harmless(engine: sa.Engine) -> None:
    upgrade_database(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select version_num from alembic_version").scalar() == "0001"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_engine: sa.Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
