"""Copying a whole site from one database to another: the step from one SQLite file to PostgreSQL
when a lab's site grows into a field's (``dailypapers db copy --to URL``), and the way a PostgreSQL
site is backed up to a file and any backup restored into PostgreSQL (``db/backup.py``).

Every table the models describe is copied row for row, parents before children and, within a table,
in the order of its primary key (a reply after the comment it answers), in batches. The source is
read in one snapshot transaction, so a site that keeps running while it is copied is copied as it
was at one moment; the target is written in one transaction, so a copy that fails or is killed
leaves the target as it was. The target must be migrated and empty (a copy into a live site would
mix two sites' members) unless the caller asks to replace what it holds. The search indexes are not
tables of the models; the caller rebuilds them on the target afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from dailypapers.db.migrate import upgrade_database
from dailypapers.db.models import metadata

#: Rows read and written at once: large enough that a million papers take minutes, small enough that
#: a batch of papers (about 2 kB each) stays a few MB in memory.
COPY_BATCH_ROWS = 2_000

#: Told ``(table, rows_done, rows_total)`` when a table starts and after each batch.
CopyProgress = Callable[[str, int, int], None]


class CopyRefused(Exception):
    """The copy cannot start (the target holds data) or did not copy every row."""


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int


def row_counts(engine: sa.Engine) -> dict[str, int]:
    """The number of rows of each table of the models."""
    with engine.connect() as connection:
        return _counts(connection)


def _counts(connection: sa.Connection) -> dict[str, int]:
    return {
        table.name: connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for table in metadata.sorted_tables
    }


@contextmanager
def snapshot(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in one read transaction that sees the database as it was when the transaction
    began, whatever is committed meanwhile: REPEATABLE READ on PostgreSQL; on SQLite (WAL) any
    transaction reads from one snapshot once it has read."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def copy_database(
    source: sa.Engine,
    target: sa.Engine,
    *,
    replace: bool = False,
    progress: CopyProgress | None = None,
) -> list[CopiedTable]:
    """Copy every table of ``source`` into ``target`` (both migrated here), then check that each
    table holds as many rows on both sides; all in one transaction on the target.

    A target that holds rows is refused, or with ``replace`` emptied first in the same transaction."""
    upgrade_database(source)
    upgrade_database(target)
    with snapshot(source) as reading, target.begin() as writing:
        expected = _counts(reading)
        occupied = {name: count for name, count in _counts(writing).items() if count}
        if occupied and not replace:
            tables = ", ".join(f"{name} ({count})" for name, count in sorted(occupied.items()))
            raise CopyRefused(f"the target database is not empty: {tables}")
        if occupied:
            for table in reversed(metadata.sorted_tables):
                writing.execute(table.delete())
        for table in metadata.sorted_tables:
            _copy_table(reading, writing, table, expected[table.name], progress)
        _continue_numbering(writing)
        copied = _counts(writing)
        missing = {
            name: (expected[name], copied[name]) for name in expected if copied[name] != expected[name]
        }
        if missing:
            details = ", ".join(f"{name} {want} → {got}" for name, (want, got) in missing.items())
            raise CopyRefused(f"the copy lost or doubled rows: {details}")
    return [CopiedTable(name, copied[name]) for name in expected]


def _copy_table(
    reading: sa.Connection,
    writing: sa.Connection,
    table: sa.Table,
    total: int,
    progress: CopyProgress | None,
) -> None:
    done = 0
    if progress is not None:
        progress(table.name, done, total)
    rows = reading.execution_options(yield_per=COPY_BATCH_ROWS).execute(
        sa.select(table).order_by(*table.primary_key.columns)
    )
    for batch in rows.partitions():
        writing.execute(table.insert(), [row._asdict() for row in batch])
        done += len(batch)
        if progress is not None:
            progress(table.name, done, total)


def _continue_numbering(writing: sa.Connection) -> None:
    """PostgreSQL numbers new rows from a sequence that copied ids did not advance: move each past the
    largest id copied, or the site's next comment would collide with a copied one. (SQLite numbers
    from the largest id present.)"""
    if writing.dialect.name != "postgresql":
        return
    for table in metadata.sorted_tables:
        column = table.autoincrement_column
        if column is not None:
            writing.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence(:table, :column), "
                    f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'
                ),
                {"table": table.name, "column": column.name},
            )
