"""Search as the site and the API offer it: an arXiv id goes straight to its paper; misspelt words
are corrected; words are ranked by keyword relevance and by meaning, and the two rankings are
combined; a query that names an author puts that author's papers first; papers found by meaning
alone must pass a floor of closeness, so that a query that matches nothing finds nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community.queries import is_shown
from dailypapers.db.write import read_session, write_session
from dailypapers.papers import queries
from dailypapers.papers.models import Paper
from dailypapers.progress import ProgressHook
from dailypapers.search.embedding import Embedder
from dailypapers.search.filters import SearchFilters
from dailypapers.search.keyword import (
    COUNT_CAP,
    index_new_papers,
    keyword_ranking,
    merge_index,
    papers_by_author_words,
    papers_waiting_for_index,
    snippet,
)
from dailypapers.search.names import name_parts, papers_by_author
from dailypapers.search.query import parse_query
from dailypapers.search.semantic import SemanticSearch
from dailypapers.search.spelling import corrected
from dailypapers.search.vector_index import vector_index_for

INDEX_BATCH_SIZE = 20_000
#: How deep each method's ranking goes before the two are combined.
FUSION_DEPTH = 100
#: The keyword side's share in ``combine``: bench/search_quality.py measured 0.6 to 0.8 ahead of
#: bm25 alone, embeddings alone and reciprocal-rank fusion on held-out titles and short queries.
KEYWORD_WEIGHT = 0.7
#: A paper found by meaning alone (none of the query's words) is shown only this close to the query
#: (cosine of the MiniLM vectors). bench/search_intent.py, tuning split: 100 random letter strings
#: found nothing at 0.4 (96 at 0.35, 88 at 0.3), and no kind of known-item query lost MRR@10.
MEANING_FLOOR = 0.4


@dataclass(frozen=True)
class SearchResult:
    paper: Paper
    #: Where the query's words matched, as ``KeywordHit.snippet``; empty where none did.
    snippet: str


@dataclass(frozen=True)
class SearchPage:
    results: list[SearchResult]
    #: The keyword search ran out of time and ranked only what it had found by then.
    cut_short: bool = False
    #: How many papers the search found in all pages; at least this many when ``more_than``.
    total: int = 0
    more_than: bool = False
    #: The query as searched, when misspelt words were corrected ("did you mean").
    correction: str | None = None
    #: The typed query was longer than ``MAX_QUERY_LENGTH`` and only its beginning was searched.
    query_cut: bool = False


def _scaled(scored: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Scores mapped onto [0, 1] within their list (min-max), best 1."""
    if not scored:
        return {}
    values = [score for _, score in scored]
    low, spread = min(values), max(values) - min(values)
    return {paper_id: (score - low) / spread if spread else 1.0 for paper_id, score in scored}


def combine(
    by_words: Sequence[tuple[str, float]],
    by_meaning: Sequence[tuple[str, float]],
    *,
    weight: float = KEYWORD_WEIGHT,
) -> list[str]:
    """Convex combination of the two rankings' scores, each scaled to [0, 1] within its list:
    ``weight`` for keyword relevance, the rest for meaning; a paper missing from a list scores 0 there.

    Unlike reciprocal-rank fusion it keeps how far ahead a ranking's first papers are: a title
    typed in full puts its paper far ahead by keywords, and a close second by meaning cannot pass it.
    """
    words, meaning = _scaled(by_words), _scaled(by_meaning)
    scores = {
        paper_id: weight * words.get(paper_id, 0.0) + (1 - weight) * meaning.get(paper_id, 0.0)
        for paper_id in {**words, **meaning}
    }
    return sorted(scores, key=lambda paper_id: -scores[paper_id])


def search_with_snippets(
    session: Session,
    text: str,
    *,
    limit: int,
    offset: int = 0,
    filters: SearchFilters | None = None,
    semantic: SemanticSearch | None = None,
) -> SearchPage:
    """A page of the papers best matching ``text`` and ``filters``, each with its snippet.

    Without ``semantic`` (or before the vector index exists) the ranking is keyword relevance alone.
    """
    query = parse_query(text)
    if query.arxiv_id is not None and offset == 0:
        paper = queries.paper_by_id(session, query.arxiv_id)
        if paper is not None and is_shown(session, paper.id):
            return SearchPage([SearchResult(paper, "")], total=1, query_cut=query.cut)
    if not query.terms:
        if filters is not None and filters.author:
            return _papers_of_author(session, filters, limit=limit, offset=offset)
        return SearchPage([], query_cut=query.cut)
    fixed = corrected(session, query)
    searched = fixed or query
    depth = max(FUSION_DEPTH, offset + limit)
    meaning = None
    if semantic is not None and not searched.wants_exact_words:
        meaning = semantic.start(searched.text, limit=depth, filters=filters)
    words = keyword_ranking(session, searched, limit=depth, filters=filters)
    ranked = words.paper_ids
    if meaning is not None:
        by_meaning = meaning.scored(session)
        passing = {paper_id for paper_id, closeness in by_meaning if closeness >= MEANING_FLOOR}
        passing.update(ranked)
        ranked = [paper_id for paper_id in combine(words.scored, by_meaning) if paper_id in passing]
    by_author = papers_by_author(session, searched.text, limit=depth, filters=filters)
    ranked = _first(by_author, ranked)
    chosen = ranked[offset : offset + limit]
    papers = {paper.id: paper for paper in queries.papers_by_ids(session, chosen)}
    results = [
        SearchResult(papers[paper_id], snippet(papers[paper_id].abstract, words.terms))
        for paper_id in chosen
        if paper_id in papers
    ]
    return SearchPage(
        results,
        words.cut_short,
        total=len(ranked) + words.total - len(words.scored),
        more_than=words.total >= COUNT_CAP,
        correction=fixed.text if fixed else None,
        query_cut=query.cut,
    )


def _papers_of_author(session: Session, filters: SearchFilters, *, limit: int, offset: int) -> SearchPage:
    """Without words, an author filter lists that author's papers, newest first (within the other
    filters): the index proposes papers whose authors hold the name's words, the filter keeps those
    whose author names contain the text. A name too common to look up this way finds nothing."""
    words = sorted({part for part in name_parts(filters.author or "") if len(part) > 1})
    found = [
        paper_id
        for paper_id, _ in papers_by_author_words(session, words, limit=offset + limit, filters=filters)
    ]
    chosen = found[offset : offset + limit]
    papers = {paper.id: paper for paper in queries.papers_by_ids(session, chosen)}
    return SearchPage(
        [SearchResult(papers[paper_id], "") for paper_id in chosen if paper_id in papers], total=len(found)
    )


def _first(chosen: Sequence[str], ranked: Sequence[str]) -> list[str]:
    """``ranked`` with ``chosen`` moved to the front, in their order in ``ranked`` (then their own)."""
    wanted = set(chosen)
    ahead = [paper_id for paper_id in ranked if paper_id in wanted]
    seen = set(ahead)
    ahead += [paper_id for paper_id in chosen if paper_id not in seen]
    return ahead + [paper_id for paper_id in ranked if paper_id not in wanted]


def search_papers(
    session: Session, text: str, *, limit: int, semantic: SemanticSearch | None = None
) -> list[Paper]:
    """The papers best matching ``text``, best first; none for an empty query."""
    found = search_with_snippets(session, text, limit=limit, semantic=semantic)
    return [result.paper for result in found.results]


def update_search_index(engine: sa.Engine, *, progress: ProgressHook | None = None) -> int:
    """Make every stored paper findable by its words; return how many papers were added.

    Batches commit one by one: an interrupted run keeps its work and the next one goes on from there.
    A run that added a tenth of the catalog or more (a bulk import) merges the index afterwards;
    smaller ones leave merging to FTS5's own gradual merges.
    """
    with read_session(engine) as session:
        waiting = papers_waiting_for_index(session)
        catalog = session.scalar(sa.select(sa.func.count()).select_from(Paper)) or 0
    if progress is not None:
        progress(0, total=waiting)
    indexed = 0
    while True:
        with write_session(engine) as session:
            added = index_new_papers(session, batch_size=INDEX_BATCH_SIZE)
        if not added:
            break
        indexed += added
        if progress is not None:
            progress(added)
    if indexed > INDEX_BATCH_SIZE and indexed * 10 >= catalog:
        with write_session(engine) as session:
            merge_index(session)
    return indexed


def update_vectors_file(
    engine: sa.Engine,
    data_dir: Path,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    progress: ProgressHook | None = None,
) -> int:
    """Bring the vector index up to the stored vectors; return how many it took in. The index is the
    file in ``data_dir``, or on PostgreSQL with pgvector the database's own (no file is written)."""
    index = vector_index_for(engine, data_dir, embedder)
    if progress is not None:
        with read_session(engine) as session:
            progress(0, total=None if rebuild else index.waiting(session))
    return index.update(rebuild=rebuild, progress=progress)
