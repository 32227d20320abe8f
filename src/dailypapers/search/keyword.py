"""Keyword search: the one place that knows FTS5 (SQLite) and tsvector (PostgreSQL).

Both rank by weighted relevance (title above authors above abstract). All terms must match; when
that finds nothing, any term may, so a stray word does not empty the page.

PostgreSQL keeps its index current by itself (a generated column). SQLite's FTS5 index follows
changes to indexed papers at once, but takes in new papers in batches (``index_new_papers``):
indexing costs more than storing, and bulk imports should not wait for it under the write lock.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.search.filters import SearchFilters, conditions
from dailypapers.search.query import SearchQuery

#: Database objects the migrations create for search and the ORM metadata does not describe.
SEARCH_OBJECTS = frozenset({"papers_fts", "keyword_index_state", "search_vector", "ix_papers_search_vector"})

_STOP_WORDS = "a an and are as at be by for from in into is it its of on or our that the this to via we with"
STOP_WORDS = frozenset(_STOP_WORDS.split())

#: Around the matched words in snippets; rare in abstracts, and turned into markup by the site.
MATCH_START, MATCH_END = "\u27e6", "\u27e7"

_SQLITE_SEARCH = f"""
    SELECT papers.id, snippet(papers_fts, 1, :start, :end, '…', 32)
    FROM papers_fts JOIN papers ON papers.rowid = papers_fts.rowid
    WHERE papers_fts MATCH :match AND {conditions("sqlite")}
    ORDER BY bm25(papers_fts, 10.0, 1.0, 3.0) LIMIT :limit OFFSET :offset
"""
_POSTGRES_SEARCH = f"""
    SELECT id, ts_headline('english', abstract, query,
                           'MaxWords=40, MinWords=20, StartSel=' || :start || ', StopSel=' || :end)
    FROM (
        SELECT id, abstract, query, ts_rank(search_vector, query) AS rank
        FROM papers, websearch_to_tsquery('english', :match) AS query
        WHERE search_vector @@ query AND {conditions("postgresql")}
        ORDER BY rank DESC, id LIMIT :limit OFFSET :offset
    ) AS best
    ORDER BY rank DESC, id
"""


@dataclass(frozen=True)
class KeywordHit:
    paper_id: str
    #: Part of the abstract around the matches, each match between ``MATCH_START`` and ``MATCH_END``.
    snippet: str


def keyword_hits(
    session: Session,
    query: SearchQuery,
    *,
    limit: int,
    offset: int = 0,
    filters: SearchFilters | None = None,
    any_term_fallback: bool = True,
) -> list[KeywordHit]:
    """The papers matching ``query``'s terms and ``filters``, most relevant first, with snippets.

    ``any_term_fallback=False`` keeps to papers with every term (bench/search_quality.py measures
    what the fallback is worth: without it hybrid search lost 0.06 MRR@10 on held-out titles).
    """
    if not query.terms:
        return []
    filters = filters or SearchFilters()
    sqlite = session.get_bind().dialect.name == "sqlite"
    statement = sa.text(_SQLITE_SEARCH if sqlite else _POSTGRES_SEARCH)
    params = {"limit": limit, "offset": offset, "start": MATCH_START, "end": MATCH_END, **filters.params()}
    # Words in nearly every abstract add nothing to the ranking, and at a million papers "in the"
    # alone makes FTS5 score 900,000 rows (3.7 s); PostgreSQL drops them itself.
    terms = [term for term in query.terms if term not in STOP_WORDS] or list(query.terms)
    # Terms are words and spaces only (see parse_query), so quoting them needs no escaping.
    quoted = [f'"{term}"' for term in terms]
    joiners = (" ", " OR " if sqlite else " or ") if any_term_fallback else (" ",)
    for joiner in joiners:
        rows = session.execute(statement, {**params, "match": joiner.join(quoted)}).all()
        if rows or len(quoted) == 1:
            return [KeywordHit(paper_id, snippet or "") for paper_id, snippet in rows]
    return []


_PENDING = sa.text("SELECT count(*) FROM papers WHERE rowid > (SELECT last_rowid FROM keyword_index_state)")
_BATCH_END = sa.text(
    """SELECT max(rowid) FROM (
        SELECT rowid FROM papers WHERE rowid > (SELECT last_rowid FROM keyword_index_state)
        ORDER BY rowid LIMIT :size
    )"""
)
_INDEX_BATCH = sa.text(
    """INSERT INTO papers_fts(rowid, title, abstract, authors)
    SELECT rowid, title, abstract, authors FROM papers
    WHERE rowid > (SELECT last_rowid FROM keyword_index_state) AND rowid <= :end"""
)
_ADVANCE = sa.text("UPDATE keyword_index_state SET last_rowid = :end")


def papers_waiting_for_index(session: Session) -> int:
    """How many stored papers ``keyword_hits`` cannot find yet."""
    if session.get_bind().dialect.name != "sqlite":
        return 0
    return session.scalar(_PENDING) or 0


def index_new_papers(session: Session, *, batch_size: int) -> int:
    """Add up to ``batch_size`` waiting papers to the index; return how many were added.

    Run it in a write session: the batch and the mark of how far the index goes commit together.
    """
    if session.get_bind().dialect.name != "sqlite":
        return 0
    end = session.scalar(_BATCH_END, {"size": batch_size})
    if end is None:
        return 0
    added = session.execute(_INDEX_BATCH, {"end": end}).rowcount  # type: ignore[attr-defined]
    session.execute(_ADVANCE, {"end": end})
    return int(added)


def rebuild_index(session: Session) -> None:
    """Rebuild the index from the papers table: the cure for an index that went out of step.

    (After papers were deleted by hand, say; ``VACUUM`` keeps the rowids the index relies on.)
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')"))
        session.execute(
            _ADVANCE, {"end": session.scalar(sa.text("SELECT coalesce(max(rowid), 0) FROM papers"))}
        )
    else:
        session.execute(sa.text("REINDEX INDEX ix_papers_search_vector"))
