"""The one seam between the search and where its vectors are walked: a usearch file in the data dir, or
the database itself on PostgreSQL with pgvector. Nothing else asks which."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.progress import ProgressHook
from dailypapers.search.embedding import Embedder, Vectors
from dailypapers.search.pgvector_index import PgvectorIndex, vector_column_dimensions
from dailypapers.search.vectors import EXPANSION_SEARCH, Neighbour, VectorFile


class VectorIndex(Protocol):
    """One model's stored vectors, searchable by closeness."""

    @property
    def available(self) -> bool:
        """Whether there is anything to search yet (a usearch file exists)."""

    def nearest(self, vector: Vectors, count: int) -> list[Neighbour]:
        """Up to ``count`` entries closest to ``vector``, closest first. Needs no session: a search
        calls it on a helper thread beside its keyword query. Labels may name vectors since
        replaced or papers since hidden: callers resolve them against the database."""

    def waiting(self, session: Session) -> int:
        """How many stored vectors ``update`` would take in."""

    def update(self, *, rebuild: bool = False, progress: ProgressHook | None = None) -> int:
        """Take in the stored vectors the index lacks (all of them with ``rebuild``); return how many."""


def vector_index_for(
    engine: sa.Engine, data_dir: Path, embedder: Embedder, *, ef_search: int | None = None
) -> VectorIndex:
    """The database's own index where it has a vector column of the model's size (migration 0009 on
    PostgreSQL with pgvector), else the usearch file in ``data_dir``.

    ``ef_search`` (the ``pgvector_ef_search`` setting) is the breadth of a pgvector walk; by default
    that of the usearch file's, which bench/search_speed.py chose.
    """
    with engine.connect() as connection:
        in_database = vector_column_dimensions(connection) == embedder.dimensions
    if in_database:
        return PgvectorIndex(
            engine, embedder.name, embedder.dimensions, ef_search=ef_search or EXPANSION_SEARCH
        )
    return VectorFile(engine, data_dir, embedder.name, embedder.dimensions)
