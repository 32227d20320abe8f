"""Semantic search: papers found by meaning, through their vectors.

Papers are embedded by ``dailypapers index`` (a background job: the model reads about 27 papers a
CPU-second, bench/embedding_speed.py), never on a request. At query time only the query is
embedded, in a few ms.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.db.write import read_session, write_session
from dailypapers.papers.models import Paper
from dailypapers.progress import ProgressHook
from dailypapers.search.embedding import Embedder, ModelMissing, Vectors, default_embedder, paper_text
from dailypapers.search.filters import SearchFilters, conditions
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.pgvector_index import insert_embeddings
from dailypapers.search.vector_index import VectorIndex, vector_index_for
from dailypapers.search.vectors import Neighbour, decode, encode
from dailypapers.settings import Settings

EMBED_BATCH = 256


def _waiting(model: str) -> sa.Select[Any]:
    """Papers with no vector from ``model`` for their current text."""
    return (
        sa.select(Paper)
        .outerjoin(PaperEmbedding, PaperEmbedding.paper_id == Paper.id)
        .where(
            ~Paper.deleted,
            sa.or_(
                PaperEmbedding.label.is_(None),
                PaperEmbedding.content_hash != Paper.content_hash,
                PaperEmbedding.model != model,
            ),
        )
    )


def papers_waiting_for_embedding(session: Session, model: str) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(_waiting(model).subquery())) or 0


def store_vectors(session: Session, model: str, vectors: Mapping[str, Vectors]) -> None:
    """Store each paper's vector under a new label, replacing any older vector of the paper."""
    if not vectors:
        return
    rows = session.execute(sa.select(Paper.id, Paper.content_hash).where(Paper.id.in_(list(vectors))))
    hashes = {paper_id: content_hash for paper_id, content_hash in rows}
    session.execute(sa.delete(PaperEmbedding).where(PaperEmbedding.paper_id.in_(list(hashes))))
    insert_embeddings(
        session.connection(),
        [
            {
                "paper_id": paper_id,
                "model": model,
                "content_hash": content_hash,
                "vector": encode(vectors[paper_id]),
            }
            for paper_id, content_hash in sorted(hashes.items())
        ],
    )


def embed_new_papers(
    engine: sa.Engine,
    embedder: Embedder,
    *,
    batch_size: int = EMBED_BATCH,
    progress: ProgressHook | None = None,
) -> int:
    """Embed every paper whose text has no vector yet; return how many were embedded.

    Each batch commits on its own: an interrupted run keeps its work and the next run goes on.
    """
    with read_session(engine) as session:
        waiting = papers_waiting_for_embedding(session, embedder.name)
    if progress is not None:
        progress(0, total=waiting)
    embedded = 0
    while True:
        with read_session(engine) as session:
            papers = session.scalars(_waiting(embedder.name).order_by(Paper.id).limit(batch_size)).all()
            texts = {paper.id: paper_text(paper.title, paper.abstract) for paper in papers}
        if not texts:
            return embedded
        vectors = embedder.embed(list(texts.values()))
        with write_session(engine) as session:
            store_vectors(session, embedder.name, dict(zip(texts, vectors, strict=True)))
        embedded += len(texts)
        if progress is not None:
            progress(len(texts))


def stored_vectors(session: Session, paper_ids: list[str]) -> dict[str, Vectors]:
    rows = session.execute(
        sa.select(PaperEmbedding.paper_id, PaperEmbedding.vector).where(
            PaperEmbedding.paper_id.in_(paper_ids)
        )
    )
    return {paper_id: decode(blob) for paper_id, blob in rows}


def _resolve(session: Session, labels: list[int], filters: SearchFilters) -> dict[int, str]:
    """The papers behind index labels that still exist, are shown, and pass ``filters``."""
    if not labels:
        return {}
    statement = sa.text(
        "SELECT e.label, e.paper_id FROM paper_embeddings AS e JOIN papers ON papers.id = e.paper_id "
        f"WHERE e.label IN :labels AND {conditions(session.get_bind().dialect.name)}"
    ).bindparams(sa.bindparam("labels", expanding=True))
    rows = session.execute(statement, {"labels": labels, **filters.params()})
    return {label: paper_id for label, paper_id in rows}


def _wanted(limit: int, filters: SearchFilters) -> int:
    """How many nearest entries to ask the index for: filters are applied to the nearest ones, so
    narrow filters look further; without filters a few more cover labels left by replaced vectors
    and papers taken down."""
    return limit + max(limit // 5, 10) if filters == SearchFilters() else limit * 8


def _closest_papers(
    session: Session, neighbours: list[Neighbour], limit: int, filters: SearchFilters
) -> list[tuple[str, float]]:
    papers = _resolve(session, [neighbour.label for neighbour in neighbours], filters)
    # A paper whose vector was replaced may still have its old label too: the nearest one counts.
    closest: dict[str, float] = {}
    for neighbour in neighbours:
        if neighbour.label in papers:
            closest.setdefault(papers[neighbour.label], neighbour.similarity)
    return list(closest.items())[:limit]


@cache
def _helpers() -> ThreadPoolExecutor:
    """Threads for the part of a query that needs no database: one per core, as more would only
    queue for the cores."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="semantic-query")


_Runner = Callable[[Callable[[], list[Neighbour]]], Future[list[Neighbour]]]


def _at_once(find: Callable[[], list[Neighbour]]) -> Future[list[Neighbour]]:
    """``find`` run in the calling thread, its answer as a finished future."""
    done: Future[list[Neighbour]] = Future()
    done.set_result(find())
    return done


@dataclass(frozen=True)
class PendingMeaning:
    """A query's nearest index entries, being found on a helper thread (see ``SemanticSearch.start``)."""

    neighbours: Future[list[Neighbour]]
    limit: int
    filters: SearchFilters

    def scored(self, session: Session) -> list[tuple[str, float]]:
        """As ``SemanticSearch.scored``, once the helper is done."""
        return _closest_papers(session, self.neighbours.result(), self.limit, self.filters)


class SemanticSearch:
    """Query side of semantic search: the model, loaded on first use, and its vector index."""

    def __init__(
        self,
        open_index: Callable[[Embedder], VectorIndex],
        embedder: Callable[[], Embedder] = default_embedder,
    ) -> None:
        self._embedder = embedder
        self._open_index = open_index
        self._index: VectorIndex | None = None

    def _ready(self) -> tuple[Embedder, VectorIndex] | None:
        try:
            embedder = self._embedder()
        except ModelMissing:
            return None
        if self._index is None:
            self._index = self._open_index(embedder)
        return (embedder, self._index) if self._index.available else None

    @property
    def available(self) -> bool:
        return self._ready() is not None

    def ranked(
        self, session: Session, text: str, *, limit: int, filters: SearchFilters | None = None
    ) -> list[str]:
        """Ids of the papers closest in meaning to ``text``, closest first; none without an index."""
        return [paper_id for paper_id, _ in self.scored(session, text, limit=limit, filters=filters)]

    def scored(
        self, session: Session, text: str, *, limit: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        """As ``ranked``, each id with its cosine similarity to ``text``."""
        pending = self._find(text, limit, filters or SearchFilters(), _at_once)
        return [] if pending is None else pending.scored(session)

    def start(self, text: str, *, limit: int, filters: SearchFilters | None = None) -> PendingMeaning | None:
        """Begin ``scored`` on a helper thread; None where it would find nothing.

        Embedding the query and walking the index take about as long as the keyword search of the
        same query and need no database, so a hybrid search runs them side by side.
        """
        return self._find(text, limit, filters or SearchFilters(), _helpers().submit)

    def _find(self, text: str, limit: int, filters: SearchFilters, run: _Runner) -> PendingMeaning | None:
        """The query's nearest index entries, found by ``run`` (here, or on a helper thread)."""
        ready = self._ready()
        if ready is None or not text.strip():
            return None
        embedder, index = ready
        wanted = _wanted(limit, filters)
        neighbours = run(lambda: index.nearest(embedder.embed([text])[0], wanted))
        return PendingMeaning(neighbours, limit, filters)

    def similar(self, session: Session, paper_id: str, *, limit: int) -> list[str]:
        """Ids of the papers nearest to ``paper_id``, itself left out (its versions share its id)."""
        ready = self._ready()
        vector = stored_vectors(session, [paper_id]).get(paper_id)
        if ready is None or vector is None:
            return []
        neighbours = ready[1].nearest(vector, _wanted(limit + 1, SearchFilters()))
        found = _closest_papers(session, neighbours, limit + 1, SearchFilters())
        return [other for other, _ in found if other != paper_id][:limit]


def semantic_search_for(
    settings: Settings, engine: sa.Engine, embedder: Callable[[], Embedder] = default_embedder
) -> SemanticSearch:
    """The site's semantic search: its vectors walked where ``vector_index_for`` finds them."""
    return SemanticSearch(
        lambda loaded: vector_index_for(
            engine, settings.data_dir, loaded, ef_search=settings.pgvector_ef_search
        ),
        embedder,
    )


def store_shipped_vectors(engine: sa.Engine, path: Path) -> int:
    """Store vectors shipped beside a sample (``ids``, ``vectors``, ``model`` in a .npz file) for its
    papers that have none; return how many were stored."""
    with np.load(path) as shipped:
        model, ids, vectors = str(shipped["model"]), [str(i) for i in shipped["ids"]], shipped["vectors"]
    with write_session(engine) as session:
        have = set(session.scalars(sa.select(PaperEmbedding.paper_id).where(PaperEmbedding.model == model)))
        missing = {
            paper_id: vector for paper_id, vector in zip(ids, vectors, strict=True) if paper_id not in have
        }
        store_vectors(session, model, missing)
    return len(missing)
