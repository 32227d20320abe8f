"""Search as the site and the API offer it: an arXiv id goes straight to its paper, words are ranked."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dailypapers.papers import queries
from dailypapers.papers.models import Paper
from dailypapers.search.keyword import keyword_search
from dailypapers.search.query import parse_query


def search_papers(session: Session, text: str, *, limit: int) -> list[Paper]:
    """The papers best matching ``text``, best first; none for an empty query."""
    query = parse_query(text)
    if query.arxiv_id is not None:
        paper = queries.paper_by_id(session, query.arxiv_id)
        if paper is not None and not paper.deleted:
            return [paper]
    return queries.papers_by_ids(session, keyword_search(session, query, limit=limit))
