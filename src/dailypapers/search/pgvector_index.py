"""The vector index inside PostgreSQL: a ``halfvec`` column of ``paper_embeddings`` with an HNSW index.

Where the pgvector extension could be created (migration 0009), every web server finds the nearest
vectors with one SQL query and no machine keeps a vector file. The blob in ``vector`` stays the
source (for similar papers, ``db copy`` and backups): each vector is written to both at once, and
what reaches the blobs alone (a ``db copy``, a restore) is copied into the column by the next
index update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa
from pgvector import HalfVector
from pgvector.sqlalchemy import HALFVEC
from sqlalchemy.orm import Session

from dailypapers.db.write import write_session
from dailypapers.progress import ProgressHook
from dailypapers.search.embedding import Vectors
from dailypapers.search.vectors import ADD_BATCH, Neighbour, decode

#: pgvector's limit on ``hnsw.ef_search``.
MAX_EF_SEARCH = 1000

_EMBEDDINGS = sa.table(
    "paper_embeddings",
    sa.column("label", sa.Integer),
    sa.column("paper_id", sa.String),
    sa.column("model", sa.String),
    sa.column("content_hash", sa.String),
    sa.column("vector", sa.LargeBinary),
    sa.column("embedding", HALFVEC()),
)


def vector_column_dimensions(connection: sa.Connection) -> int | None:
    """The dimensions of ``paper_embeddings.embedding``; None where the database has no such column
    (SQLite, or PostgreSQL without pgvector)."""
    if connection.dialect.name != "postgresql":
        return None
    found = connection.scalar(
        sa.text(
            "SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass('paper_embeddings') "
            "AND attname = 'embedding' AND NOT attisdropped"
        )
    )
    return None if found is None else int(found)


def insert_embeddings(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Insert ``paper_embeddings`` rows (``paper_id``, ``model``, ``content_hash``, ``vector``: a
    float16 blob). Where the database has a vector column of their size, each vector goes in there
    too: written once, instead of copied by the next index update (a second version of every row)."""
    if not rows:
        return
    dimensions = vector_column_dimensions(connection)
    if dimensions is None:
        connection.execute(sa.insert(_EMBEDDINGS), rows)
        return
    connection.execute(
        sa.insert(_EMBEDDINGS),
        [
            {**row, "embedding": decode(row["vector"]) if len(row["vector"]) == 2 * dimensions else None}
            for row in rows
        ],
    )


def _unfilled(dimensions: int, after: int, *, refill: bool) -> sa.Select[Any]:
    """Rows whose blob has ``dimensions`` values and no copy in the column (every such row with
    ``refill``), above label ``after``."""
    waiting = sa.true() if refill else _EMBEDDINGS.c.embedding.is_(None)
    return (
        sa.select(_EMBEDDINGS.c.label, _EMBEDDINGS.c.vector)
        .where(
            waiting,
            _EMBEDDINGS.c.label > after,
            sa.func.octet_length(_EMBEDDINGS.c.vector) == 2 * dimensions,
        )
        .order_by(_EMBEDDINGS.c.label)
    )


def fill_vector_column(
    transaction: Callable[[], AbstractContextManager[sa.Connection]],
    dimensions: int,
    *,
    refill: bool = False,
    progress: ProgressHook | None = None,
) -> int:
    """Copy the stored blobs into the ``embedding`` column where it is empty (everywhere with
    ``refill``), ADD_BATCH rows per ``transaction()``; return how many rows were filled.

    Each batch commits on its own where ``transaction`` commits: an interrupted fill keeps its work.
    """
    filled, after = 0, 0
    while True:
        with transaction() as connection:
            rows = connection.execute(_unfilled(dimensions, after, refill=refill).limit(ADD_BATCH)).all()
            if not rows:
                return filled
            connection.execute(
                sa.update(_EMBEDDINGS)
                .where(_EMBEDDINGS.c.label == sa.bindparam("row_label"))
                .values(embedding=sa.bindparam("row_embedding", type_=HALFVEC())),
                [{"row_label": row.label, "row_embedding": decode(row.vector)} for row in rows],
            )
        filled += len(rows)
        after = rows[-1].label
        if progress is not None:
            progress(len(rows))


@contextmanager
def _written(engine: sa.Engine) -> Iterator[sa.Connection]:
    with write_session(engine) as session:
        yield session.connection()


class PgvectorIndex:
    """Nearest vectors by SQL: ``ORDER BY embedding <=> query LIMIT count`` walks the HNSW index."""

    def __init__(self, engine: sa.Engine, model: str, dimensions: int, *, ef_search: int) -> None:
        self._engine = engine
        self._model = model
        self._dimensions = dimensions
        self._ef_search = ef_search

    @property
    def available(self) -> bool:
        """Always: the column is there from the migration on, and an empty one finds nothing."""
        return True

    def nearest(self, vector: Vectors, count: int) -> list[Neighbour]:
        """On a connection of its own, so that a search runs it beside its keyword query.

        An HNSW scan returns at most ``hnsw.ef_search`` rows, so the walk is at least ``count`` wide.
        """
        query = HalfVector(vector)
        distance = _EMBEDDINGS.c.embedding.cosine_distance(sa.bindparam("query", query, type_=HALFVEC()))
        with self._engine.begin() as connection:
            breadth = min(max(self._ef_search, count), MAX_EF_SEARCH)
            connection.execute(sa.select(sa.func.set_config("hnsw.ef_search", str(breadth), True)))
            rows = connection.execute(
                sa.select(_EMBEDDINGS.c.label, distance)
                .where(_EMBEDDINGS.c.model == self._model, _EMBEDDINGS.c.embedding.is_not(None))
                .order_by(distance)
                .limit(count)
            )
            return [Neighbour(int(label), 1.0 - float(distance)) for label, distance in rows]

    def waiting(self, session: Session) -> int:
        counted = sa.select(sa.func.count()).select_from(
            _unfilled(self._dimensions, 0, refill=False).subquery()
        )
        return session.scalar(counted) or 0

    def update(self, *, rebuild: bool = False, progress: ProgressHook | None = None) -> int:
        """Fill the column from the stored blobs where it is empty (everywhere with ``rebuild``); the
        HNSW index takes each row in as it is written. Nothing is written outside the database."""
        return fill_vector_column(
            lambda: _written(self._engine), self._dimensions, refill=rebuild, progress=progress
        )
