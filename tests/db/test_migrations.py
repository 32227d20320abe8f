"""Migrations and models stay together, SQLite is set up for concurrency, bulk writes match the ORM."""

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import sqlite

from dailypapers.db.migrate import HEAD_REVISION, MIGRATIONS_DIR, current_revision, upgrade_database
from dailypapers.db.models import include_object, metadata
from dailypapers.db.upsert import bind_processor

#: The migrations, and the models against them, also where pgvector adds its column.
pytestmark = pytest.mark.pgvector


def test_migrations_build_exactly_the_models(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        assert compare_metadata(context(connection), metadata) == []


def context(connection: sa.Connection) -> MigrationContext:
    return MigrationContext.configure(connection, opts={"include_object": include_object})


def test_upgrading_twice_is_harmless(engine: sa.Engine) -> None:
    upgrade_database(engine)
    with engine.connect() as connection:
        assert current_revision(connection) == HEAD_REVISION


def test_the_head_revision_constant_names_the_newest_migration() -> None:
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    assert scripts.get_current_head() == HEAD_REVISION


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_engine: sa.Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_bulk_writes_store_datetimes_as_sqlalchemy_does() -> None:
    dialect = sqlite.dialect()
    ours = bind_processor(sa.DateTime(), dialect)
    theirs = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    for value in [
        dt.datetime(2007, 4, 2, 19, 18, 42),
        dt.datetime(2026, 11, 25, 0, 0, 0, 1),
        dt.datetime(1999, 12, 31),
    ]:
        assert ours(value) == theirs(value)
