"""The approximate-nearest-neighbour index over paper vectors: a usearch HNSW file in the data dir
(SQLite, and PostgreSQL without pgvector; ``vector_index.vector_index_for`` chooses).

Chosen by ``bench/ann_choice.py``: with half-precision vectors the index is half the memory of
hnswlib or faiss at the same recall, and web workers memory-map one file (``view``) instead of each
holding a private copy. The database holds every vector, so the file can always be rebuilt.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session
from usearch.index import Index

from dailypapers.db.write import read_session
from dailypapers.progress import ProgressHook
from dailypapers.search.embedding import Vectors
from dailypapers.search.models import PaperEmbedding

#: HNSW links per node and the breadth of the construction and query walks. On a million vectors
#: (bench/search_speed.py's index) a query walk of 64 found 0.92 of the exact top 10, 128 found
#: 0.95, 256 found 0.97 in 6 ms.
CONNECTIVITY = 16
EXPANSION_ADD = 100
EXPANSION_SEARCH = 256
ADD_BATCH = 20_000
#: How often a web worker looks for a newer index file.
RELOAD_SECONDS = 5.0


def index_path(data_dir: Path, model: str) -> Path:
    return data_dir / "vectors" / f"{model}.usearch"


def decode(blob: bytes) -> Vectors:
    return np.frombuffer(blob, dtype="<f2").astype(np.float32)


def encode(vector: Vectors) -> bytes:
    return vector.astype("<f2").tobytes()


def _new_index(dimensions: int) -> Index:
    return Index(
        ndim=dimensions,
        metric="cos",
        dtype="f16",
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def _stored_after(session: Session, model: str, label: int) -> Iterator[tuple[np.ndarray, Vectors]]:
    """Stored vectors with labels above ``label``, in batches of keys and rows."""
    while True:
        rows = session.execute(
            sa.select(PaperEmbedding.label, PaperEmbedding.vector)
            .where(PaperEmbedding.model == model, PaperEmbedding.label > label)
            .order_by(PaperEmbedding.label)
            .limit(ADD_BATCH)
        ).all()
        if not rows:
            return
        label = rows[-1].label
        yield (
            np.array([row.label for row in rows], dtype=np.uint64),
            np.vstack([decode(row.vector) for row in rows]),
        )


def waiting_for_vector_index(session: Session, path: Path, model: str) -> int:
    last = _last_label(Index.restore(str(path), view=True)) if path.exists() else 0
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(PaperEmbedding)
            .where(PaperEmbedding.model == model, PaperEmbedding.label > last)
        )
        or 0
    )


def _last_label(index: Index | None) -> int:
    if index is None or len(index) == 0:
        return 0
    return int(np.max(np.asarray(index.keys, dtype=np.uint64)))


def update_vector_index(
    session: Session,
    path: Path,
    *,
    model: str,
    dimensions: int,
    rebuild: bool = False,
    progress: ProgressHook | None = None,
) -> int:
    """Add stored vectors the index file lacks (or all of them, with ``rebuild``); return how many.

    The new file replaces the old one in a single rename, so readers see the old index or the new
    one, never half of one. A paper whose vector was replaced leaves its old label behind until the
    next rebuild; searches skip labels that no longer resolve.
    """
    index = None if rebuild or not path.exists() else Index.restore(str(path))
    if index is not None and index.ndim != dimensions:
        index = None
    if index is None:
        index = _new_index(dimensions)
    added = 0
    for keys, vectors in _stored_after(session, model, _last_label(index)):
        index.add(keys, vectors, threads=os.cpu_count() or 1)
        added += len(keys)
        if progress is not None:
            progress(len(keys))
    if added or rebuild or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        index.save(str(partial))
        os.replace(partial, path)
    return added


@dataclass(frozen=True)
class Neighbour:
    label: int
    #: Cosine similarity, 1 for the same direction.
    similarity: float


class VectorSearcher:
    """Read side for the web processes: the index file, memory-mapped and reopened when replaced."""

    def __init__(self, path: Path, expansion_search: int = EXPANSION_SEARCH) -> None:
        self.path = path
        self.expansion_search = expansion_search
        self._index: Index | None = None
        self._opened: tuple[int, int] | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def _current(self) -> Index | None:
        now = time.monotonic()
        if self._index is not None and now - self._checked_at < RELOAD_SECONDS:
            return self._index
        with self._lock:
            self._checked_at = now
            try:
                status = self.path.stat()
            except FileNotFoundError:
                self._index, self._opened = None, None
                return None
            identity = (status.st_ino, status.st_mtime_ns)
            if identity != self._opened:
                index = Index.restore(str(self.path), view=True)
                if index is not None:
                    index.expansion_search = self.expansion_search  # type: ignore[misc]
                self._index, self._opened = index, identity
            return self._index

    @property
    def available(self) -> bool:
        return self._current() is not None

    def nearest(self, vector: Vectors, count: int) -> list[Neighbour]:
        index = self._current()
        if index is None or len(index) == 0:
            return []
        matches = index.search(vector, count)
        return [
            Neighbour(int(key), 1.0 - float(distance))
            for key, distance in zip(matches.keys, matches.distances, strict=True)
        ]


class VectorFile:
    """The usearch file of one model's vectors in the data dir, as a ``VectorIndex``."""

    def __init__(self, engine: sa.Engine, data_dir: Path, model: str, dimensions: int) -> None:
        self._engine = engine
        self._path = index_path(data_dir, model)
        self._model = model
        self._dimensions = dimensions
        self._searcher = VectorSearcher(self._path)

    @property
    def available(self) -> bool:
        return self._searcher.available

    def nearest(self, vector: Vectors, count: int) -> list[Neighbour]:
        return self._searcher.nearest(vector, count)

    def waiting(self, session: Session) -> int:
        return waiting_for_vector_index(session, self._path, self._model)

    def update(self, *, rebuild: bool = False, progress: ProgressHook | None = None) -> int:
        with read_session(self._engine) as session:
            return update_vector_index(
                session,
                self._path,
                model=self._model,
                dimensions=self._dimensions,
                rebuild=rebuild,
                progress=progress,
            )
