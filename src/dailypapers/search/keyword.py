"""Keyword search: the one place that knows FTS5 (SQLite) and tsvector (PostgreSQL).

Both rank by weighted relevance (title above authors above abstract). All terms must match; when
that finds nothing, any term may, so a stray word does not empty the page.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.search.query import SearchQuery

#: Database objects the migrations create for search and the ORM metadata does not describe.
SEARCH_OBJECTS = frozenset({"papers_fts", "search_vector", "ix_papers_search_vector"})

_SQLITE_SEARCH = """
    SELECT papers.id FROM papers_fts JOIN papers ON papers.rowid = papers_fts.rowid
    WHERE papers_fts MATCH :match AND NOT papers.deleted
    ORDER BY bm25(papers_fts, 10.0, 1.0, 3.0) LIMIT :limit
"""
_POSTGRES_SEARCH = """
    SELECT id FROM papers, websearch_to_tsquery('english', :match) AS query
    WHERE search_vector @@ query AND NOT deleted
    ORDER BY ts_rank(search_vector, query) DESC, id LIMIT :limit
"""


def keyword_search(session: Session, query: SearchQuery, *, limit: int) -> list[str]:
    """Ids of the papers matching ``query``'s terms, most relevant first."""
    if not query.terms:
        return []
    sqlite = session.get_bind().dialect.name == "sqlite"
    statement = sa.text(_SQLITE_SEARCH if sqlite else _POSTGRES_SEARCH)
    # Terms are words and spaces only (see parse_query), so quoting them needs no escaping.
    quoted = [f'"{term}"' for term in query.terms]
    for joiner in (" ", " OR " if sqlite else " or "):
        ids = list(session.scalars(statement, {"match": joiner.join(quoted), "limit": limit}))
        if ids or len(quoted) == 1:
            return ids
    return []
