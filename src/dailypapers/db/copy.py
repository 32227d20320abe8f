"""Copying a whole site from one database to another: the step from one SQLite file to PostgreSQL
when a lab's site grows into a field's (``dailypapers db copy --to URL``).

Every table the models describe is copied row for row, parents before children and, within a table,
in the order of its primary key (a reply after the comment it answers), in batches that each commit.
The target must be migrated and empty: a copy into a live site would mix two sites' members. The
search indexes are not tables of the models; the caller rebuilds them on the target afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from dailypapers.db.migrate import upgrade_database
from dailypapers.db.models import metadata

#: Rows read and written at once: large enough that a million papers take minutes, small enough that
#: a batch of papers (about 2 kB each) stays a few MB in memory.
COPY_BATCH_ROWS = 2_000


class CopyRefused(Exception):
    """The copy cannot start (the target holds data) or did not copy every row."""


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int


def row_counts(engine: sa.Engine) -> dict[str, int]:
    """The number of rows of each table of the models."""
    with engine.connect() as connection:
        return {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in metadata.sorted_tables
        }


def copy_database(
    source: sa.Engine,
    target: sa.Engine,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[CopiedTable]:
    """Copy every table of ``source`` into ``target`` (migrated here, and refused unless empty), then
    check that each table holds as many rows on both sides. ``progress(table, rows_done, rows_total)``
    is called after each batch."""
    upgrade_database(source)
    upgrade_database(target)
    expected = row_counts(source)
    occupied = {name: count for name, count in row_counts(target).items() if count}
    if occupied:
        tables = ", ".join(f"{name} ({count})" for name, count in sorted(occupied.items()))
        raise CopyRefused(f"the target database is not empty: {tables}; copy into a new database")
    for table in metadata.sorted_tables:
        _copy_table(source, target, table, expected[table.name], progress)
    _continue_numbering(target)
    copied = row_counts(target)
    missing = {name: (expected[name], copied[name]) for name in expected if copied[name] != expected[name]}
    if missing:
        details = ", ".join(f"{name} {want} → {got}" for name, (want, got) in missing.items())
        raise CopyRefused(f"the copy lost or doubled rows: {details}")
    return [CopiedTable(name, copied[name]) for name in expected]


def _copy_table(
    source: sa.Engine,
    target: sa.Engine,
    table: sa.Table,
    total: int,
    progress: Callable[[str, int, int], None] | None,
) -> None:
    done = 0
    if progress is not None:
        progress(table.name, done, total)
    with source.connect() as reading:
        rows = reading.execution_options(yield_per=COPY_BATCH_ROWS).execute(
            sa.select(table).order_by(*table.primary_key.columns)
        )
        for batch in rows.partitions():
            with target.begin() as writing:
                writing.execute(table.insert(), [row._asdict() for row in batch])
            done += len(batch)
            if progress is not None:
                progress(table.name, done, total)


def _continue_numbering(target: sa.Engine) -> None:
    """PostgreSQL numbers new rows from a sequence that copied ids did not advance: move each past the
    largest id copied, or the site's next comment would collide with a copied one. (SQLite numbers
    from the largest id present.)"""
    if target.dialect.name != "postgresql":
        return
    with target.begin() as connection:
        for table in metadata.sorted_tables:
            column = table.autoincrement_column
            if column is not None:
                connection.execute(
                    sa.text(
                        "SELECT setval(pg_get_serial_sequence(:table, :column), "
                        f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'
                    ),
                    {"table": table.name, "column": column.name},
                )
