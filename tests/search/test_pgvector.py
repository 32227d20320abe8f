"""Vectors inside PostgreSQL with pgvector: filled from the stored vectors, by the migration and by
every index update, and searched with no file in any data dir."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command

from dailypapers.db.copy import copy_database
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import alembic_config, upgrade_database
from dailypapers.db.write import read_session, write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.search.embedding import Vectors
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.semantic import store_vectors
from dailypapers.search.service import update_vectors_file
from dailypapers.search.vector_index import vector_index_for
from dailypapers.settings import Settings
from search_papers import paper

IDS = ["2501.00001", "2501.00002", "2501.00003"]


@dataclass(frozen=True)
class FixedVectors:
    """An embedder of the site model's size whose papers' vectors are given by the test."""

    name: str = "test-model"
    dimensions: int = 384

    def embed(self, texts: Sequence[str]) -> Vectors:
        raise AssertionError("the test stores its vectors itself")


def unit_vectors(count: int) -> Vectors:
    vectors = np.random.default_rng(0).standard_normal((count, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def pgvector_engine(pgvector_database_url: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """A database on PostgreSQL with pgvector, migrated only up to the revision before vectors moved in."""
    engine = create_db_engine(Settings(data_dir=tmp_path, database_url=pgvector_database_url))
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0008")
    yield engine
    engine.dispose()


def store_with_vectors(engine: sa.Engine, vectors: Vectors) -> None:
    """Papers IDS, with ``vectors`` as theirs; on no list, as the schema of revision 0008 has no
    place for the listing entries that today's write path makes."""
    unlisted = [replace(paper(arxiv_id, f"Paper {arxiv_id}", "Text."), listed_on=None) for arxiv_id in IDS]
    with write_session(engine) as session:
        store_papers(session, unlisted, rules=ListingRules())
        store_vectors(session, FixedVectors.name, dict(zip(IDS, vectors, strict=True)))


def labels(engine: sa.Engine) -> dict[str, int]:
    with read_session(engine) as session:
        rows = session.execute(sa.select(PaperEmbedding.paper_id, PaperEmbedding.label))
        return {paper_id: label for paper_id, label in rows}


def test_the_migration_moves_vectors_already_stored_into_the_database(
    pgvector_engine: sa.Engine, tmp_path: Path
) -> None:
    vectors = unit_vectors(len(IDS))
    store_with_vectors(pgvector_engine, vectors)
    upgrade_database(pgvector_engine)
    index = vector_index_for(pgvector_engine, tmp_path, FixedVectors())
    with read_session(pgvector_engine) as session:
        assert index.waiting(session) == 0
    nearest = index.nearest(vectors[1], 1)
    assert [neighbour.label for neighbour in nearest] == [labels(pgvector_engine)["2501.00002"]]
    assert nearest[0].similarity == pytest.approx(1.0, abs=1e-3)
    assert list(tmp_path.iterdir()) == []


def test_vectors_stored_later_are_found_at_once_and_no_file_is_written(
    pgvector_engine: sa.Engine, tmp_path: Path
) -> None:
    upgrade_database(pgvector_engine)
    vectors = unit_vectors(len(IDS))
    index = vector_index_for(pgvector_engine, tmp_path, FixedVectors())
    store_with_vectors(pgvector_engine, vectors)
    with read_session(pgvector_engine) as session:
        assert index.waiting(session) == 0
    assert [n.label for n in index.nearest(vectors[2], 1)] == [labels(pgvector_engine)["2501.00003"]]
    assert update_vectors_file(pgvector_engine, tmp_path, FixedVectors()) == 0
    assert list(tmp_path.iterdir()) == []


def test_vectors_copied_from_sqlite_are_found_after_the_next_index_update(
    pgvector_engine: sa.Engine, sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    vectors = unit_vectors(len(IDS))
    store_with_vectors(sqlite_engine, vectors)
    copy_database(sqlite_engine, pgvector_engine)
    index = vector_index_for(pgvector_engine, tmp_path / "pg", FixedVectors())
    assert index.nearest(vectors[0], 3) == []
    assert update_vectors_file(pgvector_engine, tmp_path / "pg", FixedVectors()) == len(IDS)
    assert [n.label for n in index.nearest(vectors[1], 1)] == [labels(pgvector_engine)["2501.00002"]]
