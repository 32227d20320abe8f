"""Search as the site and the API offer it: an arXiv id goes straight to its paper, words are ranked."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.db.write import read_session, write_session
from dailypapers.papers import queries
from dailypapers.papers.models import Paper
from dailypapers.progress import ProgressHook
from dailypapers.search.keyword import (
    SearchFilters,
    index_new_papers,
    keyword_hits,
    papers_waiting_for_index,
)
from dailypapers.search.query import parse_query

INDEX_BATCH_SIZE = 20_000


@dataclass(frozen=True)
class SearchResult:
    paper: Paper
    #: Where the query matched, as ``KeywordHit.snippet``; empty for a paper found by its id.
    snippet: str


def search_with_snippets(
    session: Session, text: str, *, limit: int, offset: int = 0, filters: SearchFilters | None = None
) -> list[SearchResult]:
    """A page of the papers best matching ``text`` and ``filters``, each with its snippet."""
    query = parse_query(text)
    if query.arxiv_id is not None and offset == 0:
        paper = queries.paper_by_id(session, query.arxiv_id)
        if paper is not None and not paper.deleted:
            return [SearchResult(paper, "")]
    hits = keyword_hits(session, query, limit=limit, offset=offset, filters=filters)
    papers = {paper.id: paper for paper in queries.papers_by_ids(session, [hit.paper_id for hit in hits])}
    return [SearchResult(papers[hit.paper_id], hit.snippet) for hit in hits if hit.paper_id in papers]


def search_papers(session: Session, text: str, *, limit: int) -> list[Paper]:
    """The papers best matching ``text``, best first; none for an empty query."""
    return [result.paper for result in search_with_snippets(session, text, limit=limit)]


def update_search_index(engine: sa.Engine, *, progress: ProgressHook | None = None) -> int:
    """Make every stored paper findable; return how many papers were added to the index.

    Batches commit one by one: an interrupted run keeps its work and the next one goes on from there.
    """
    with read_session(engine) as session:
        waiting = papers_waiting_for_index(session)
    if progress is not None:
        progress(0, total=waiting)
    indexed = 0
    while True:
        with write_session(engine) as session:
            added = index_new_papers(session, batch_size=INDEX_BATCH_SIZE)
        if not added:
            return indexed
        indexed += added
        if progress is not None:
            progress(added)
