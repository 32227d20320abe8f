"""The vector index file: built from stored vectors, grown incrementally, swapped under readers."""

from pathlib import Path

import numpy as np
import sqlalchemy as sa

from dailypapers.db.write import read_session, write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.search.semantic import store_vectors
from dailypapers.search.vectors import RELOAD_SECONDS, VectorSearcher, index_path, update_vector_index
from search_papers import paper

MODEL, DIMENSIONS = "test-model", 32


def clustered(count: int, seed: int) -> np.ndarray:
    """Unit vectors around 20 topic centres, the shape real text embeddings have."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(0).normal(size=(20, DIMENSIONS))
    vectors = centres[rng.integers(0, 20, count)] + rng.normal(scale=0.4, size=(count, DIMENSIONS))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def store(engine: sa.Engine, vectors: np.ndarray, first: int = 0) -> list[str]:
    ids = [f"2502.{first + n:05d}" for n in range(len(vectors))]
    with write_session(engine) as session:
        store_papers(session, [paper(arxiv_id, arxiv_id, "text") for arxiv_id in ids], rules=ListingRules())
        store_vectors(session, MODEL, dict(zip(ids, vectors, strict=True)))
    return ids


def update(engine: sa.Engine, path: Path, *, rebuild: bool = False) -> int:
    with read_session(engine) as session:
        return update_vector_index(session, path, model=MODEL, dimensions=DIMENSIONS, rebuild=rebuild)


def test_the_index_grows_by_what_is_new_and_rebuilds_from_the_database(
    sqlite_engine: sa.Engine, tmp_path: Path
) -> None:
    path = index_path(tmp_path, MODEL)
    store(sqlite_engine, clustered(300, seed=1))
    assert update(sqlite_engine, path) == 300
    assert update(sqlite_engine, path) == 0
    store(sqlite_engine, clustered(50, seed=2), first=300)
    assert update(sqlite_engine, path) == 50
    path.unlink()
    assert update(sqlite_engine, path) == 350
    assert update(sqlite_engine, path, rebuild=True) == 350


def test_nearest_neighbours_agree_with_exact_search(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    vectors = clustered(2000, seed=3)
    store(sqlite_engine, vectors)
    path = index_path(tmp_path, MODEL)
    update(sqlite_engine, path)
    searcher = VectorSearcher(path)
    with read_session(sqlite_engine) as session:
        rows = session.execute(sa.text("SELECT paper_id, label FROM paper_embeddings"))
        labels = {paper_id: label for paper_id, label in rows}
    label_of = np.array([labels[f"2502.{n:05d}"] for n in range(len(vectors))])
    queries = clustered(50, seed=4)
    recall = []
    for query in queries:
        exact = set(label_of[np.argsort(-(vectors @ query))[:10]])
        found = searcher.nearest(query, 10)
        recall.append(len(exact & {neighbour.label for neighbour in found}) / 10)
        assert found[0].similarity >= found[-1].similarity
    assert np.mean(recall) >= 0.95


def test_readers_pick_up_a_replaced_index_file(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    path = index_path(tmp_path, MODEL)
    searcher = VectorSearcher(path)
    assert not searcher.available
    assert searcher.nearest(clustered(1, seed=5)[0], 5) == []
    store(sqlite_engine, clustered(10, seed=6))
    update(sqlite_engine, path)
    assert len(searcher.nearest(clustered(1, seed=5)[0], 5)) == 5
    store(sqlite_engine, clustered(10, seed=7), first=10)
    update(sqlite_engine, path)
    searcher._checked_at -= RELOAD_SECONDS  # as if the reload interval had passed
    assert len(searcher.nearest(clustered(1, seed=5)[0], 20)) == 20
