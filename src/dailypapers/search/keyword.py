"""Keyword search: the one place that knows FTS5 (SQLite) and tsvector (PostgreSQL).

Both rank by weighted relevance (title above authors above abstract). All terms must match; when
that finds nothing, any term may, so a stray word does not empty the page.

PostgreSQL keeps its index current by itself (a generated column). SQLite's FTS5 index follows
changes to indexed papers at once, but takes in new papers in batches (``index_new_papers``):
indexing costs more than storing, and bulk imports should not wait for it under the write lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

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
#: SQLite ranks at most this many matching papers, the most recently added: FTS5's bm25 scores every
#: row it ranks (about 2 µs each), and at a million papers a common word matches 300,000 of them
#: (1.8 s). A query more specific than that is ranked whole; a broad one ranks the newest matches,
#: which is what a daily-papers site is read for, while meaning search still covers every paper.
#: bench/search_speed.py measures what the window costs against the unbounded ranking.
KEYWORD_WINDOW = 5_000

#: A term in more papers than this share of the catalog (and than COMMON_MIN) is left out of a query
#: that has rarer terms. FTS5's bm25 reads the whole list of papers of every term in the query to
#: weigh it (at a million papers, 15 ms for "learning", and 100 ms for a title with five such
#: words), while a term that common weighs little in the ranking: a paper is found by its rarer
#: words (the "cutoff frequency" of Elasticsearch's common-terms query, without scoring them).
COMMON_SHARE = 0.02
#: Below this many papers a term costs bm25 under a millisecond: small catalogs keep every term.
COMMON_MIN = 5_000
#: How long a web process trusts what it found out about a term.
COMMON_TERMS_SECONDS = 600.0

_SQLITE_RANKING = f"""
    WITH recent AS MATERIALIZED (
        SELECT rowid, bm25(papers_fts, 10.0, 1.0, 3.0) AS score FROM papers_fts
        WHERE papers_fts MATCH :match ORDER BY rowid DESC LIMIT :window
    )
    SELECT papers.id, -recent.score FROM recent JOIN papers ON papers.rowid = recent.rowid
    WHERE {conditions("sqlite")}
    ORDER BY recent.score, recent.rowid DESC LIMIT :limit OFFSET :offset
"""
_SQLITE_PAPERS_WITH_TERM = sa.text(
    "SELECT count(*) FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH :match LIMIT :cap)"
)
_SQLITE_INDEXED = sa.text("SELECT last_rowid FROM keyword_index_state")
_SQLITE_NEWEST = sa.text(
    f"""SELECT papers.id FROM papers_fts JOIN papers ON papers.rowid = papers_fts.rowid
    WHERE papers_fts MATCH :match AND {conditions("sqlite")}
    ORDER BY papers_fts.rowid DESC LIMIT :limit OFFSET :offset"""
)
_SQLITE_MATCHES = sa.text(
    "SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH :match LIMIT :window)"
)
_SQLITE_SNIPPETS = sa.text(
    """SELECT papers.id, snippet(papers_fts, 1, :start, :end, '…', 32)
    FROM papers_fts JOIN papers ON papers.rowid = papers_fts.rowid
    WHERE papers_fts MATCH :match
      AND papers_fts.rowid IN (SELECT rowid FROM papers WHERE id IN :ids)"""
).bindparams(sa.bindparam("ids", expanding=True))
_POSTGRES_RANKING = f"""
    SELECT id, ts_rank(search_vector, query) AS relevance
    FROM papers, websearch_to_tsquery('english', :match) AS query
    WHERE search_vector @@ query AND {conditions("postgresql")}
    ORDER BY relevance DESC, id LIMIT :limit OFFSET :offset
"""
_POSTGRES_SNIPPETS = sa.text(
    """SELECT id, ts_headline('english', abstract, query,
                              'MaxWords=40, MinWords=20, StartSel=' || :start || ', StopSel=' || :end)
    FROM papers, websearch_to_tsquery('english', :match) AS query
    WHERE search_vector @@ query AND id IN :ids"""
).bindparams(sa.bindparam("ids", expanding=True))


@dataclass(frozen=True)
class KeywordRanking:
    #: Paper ids with their relevance (bm25 or ts_rank; higher is better), best first.
    scored: list[tuple[str, float]]
    #: The full-text expression that found them (every term, or any term), for ``keyword_snippets``.
    match: str

    @property
    def paper_ids(self) -> list[str]:
        return [paper_id for paper_id, _ in self.scored]


@dataclass(frozen=True)
class KeywordHit:
    paper_id: str
    #: Part of the abstract around the matches, each match between ``MATCH_START`` and ``MATCH_END``.
    snippet: str


def keyword_ranking(
    session: Session,
    query: SearchQuery,
    *,
    limit: int,
    offset: int = 0,
    filters: SearchFilters | None = None,
    any_term_fallback: bool = True,
) -> KeywordRanking:
    """The papers matching ``query``'s terms and ``filters``, most relevant first.

    ``any_term_fallback=False`` keeps to papers with every term (bench/search_quality.py measures
    what the fallback is worth: without it hybrid search lost 0.06 MRR@10 on held-out titles).
    """
    if not query.terms:
        return KeywordRanking([], "")
    filters = filters or SearchFilters()
    params = {"limit": limit, "offset": offset, **filters.params()}
    sqlite = session.get_bind().dialect.name == "sqlite"
    joiners = (" ", " OR " if sqlite else " or ") if any_term_fallback else (" ",)
    # Words in nearly every abstract add nothing to the ranking, and at a million papers "in the"
    # alone makes FTS5 score 900,000 rows (3.7 s); PostgreSQL drops them itself.
    terms = [term for term in query.terms if term not in STOP_WORDS] or list(query.terms)
    if not sqlite:
        return _first_found(
            joiners, terms, lambda match: _postgres_ranking(session, {**params, "match": match})
        )
    common = set() if query.wants_exact_words else COMMON_TERMS.among(session, terms)
    rare = [term for term in terms if term not in common]
    if rare:
        found = _first_found(
            joiners, rare, lambda match: _sqlite_ranking(session, {**params, "match": match})
        )
        if found.scored or not common:
            return found
    common_terms = [term for term in terms if term in common]
    return _first_found(
        joiners, common_terms, lambda match: _newest_first(session, {**params, "match": match})
    )


def _first_found(
    joiners: Sequence[str], terms: Sequence[str], rank: Callable[[str], list[tuple[str, float]]]
) -> KeywordRanking:
    """Papers with every term; when none has them all, with any of them (if ``joiners`` allow)."""
    # Terms are words and spaces only (see parse_query), so quoting them needs no escaping.
    quoted = [f'"{term}"' for term in terms]
    match = ""
    for joiner in joiners:
        match = joiner.join(quoted)
        found = rank(match)
        if found or len(quoted) == 1:
            return KeywordRanking(found, match)
    return KeywordRanking([], match)


def _postgres_ranking(session: Session, params: dict[str, Any]) -> list[tuple[str, float]]:
    return _scored(
        session.execute(
            sa.text(_POSTGRES_RANKING), {**params, "match": params["match"].replace(" OR ", " or ")}
        )
    )


class CommonTerms:
    """Which terms are common in a catalog (SQLite), remembered for a while by each process.

    Finding out counts a term's papers only up to the threshold, so it costs under a millisecond.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def among(self, session: Session, terms: Sequence[str]) -> set[str]:
        catalog = session.scalar(_SQLITE_INDEXED) or 0
        threshold = max(COMMON_MIN, int(catalog * COMMON_SHARE))
        database, moment = str(session.get_bind().engine.url), time.monotonic()
        common = set()
        for term in terms:
            known = self._known.get((database, term))
            if known is None or moment - known[1] > COMMON_TERMS_SECONDS:
                papers = session.scalar(
                    _SQLITE_PAPERS_WITH_TERM, {"match": f'"{term}"', "cap": threshold + 1}
                )
                known = (papers > threshold, moment)
                with self._lock:
                    if len(self._known) > 100_000:
                        self._known.clear()
                    self._known[database, term] = known
            if known[0]:
                common.add(term)
        return common


COMMON_TERMS = CommonTerms()


def _scored(rows: Iterable[Any]) -> list[tuple[str, float]]:
    return [(paper_id, float(relevance)) for paper_id, relevance in rows]


def _sqlite_ranking(session: Session, params: dict[str, Any]) -> list[tuple[str, float]]:
    found = _scored(session.execute(sa.text(_SQLITE_RANKING), {**params, "window": KEYWORD_WINDOW}))
    if len(found) == params["limit"] or params["offset"] + len(found) >= KEYWORD_WINDOW:
        return found
    # A short page, and the filters (or deleted papers) passed fewer than the window held: when the
    # window was full, older matches may pass too, so rank every match rather than miss them.
    if (
        session.scalar(_SQLITE_MATCHES, {"match": params["match"], "window": KEYWORD_WINDOW})
        == KEYWORD_WINDOW
    ):
        found = _scored(session.execute(sa.text(_SQLITE_RANKING), {**params, "window": -1}))
    return found


def _newest_first(session: Session, params: dict[str, Any]) -> list[tuple[str, float]]:
    """Papers with only common terms, without bm25 (see COMMON_SHARE): those with the terms in
    their title first, then the others, each newest first; the relevance is by position."""
    wanted = {**params, "limit": params["offset"] + params["limit"], "offset": 0}
    in_title = session.scalars(_SQLITE_NEWEST, {**wanted, "match": f"{{title}} : ({params['match']})"})
    anywhere = session.scalars(_SQLITE_NEWEST, wanted)
    chosen = list(dict.fromkeys([*in_title, *anywhere]))[params["offset"] : wanted["limit"]]
    return [
        (paper_id, 1.0 / (position + 1)) for position, paper_id in enumerate(chosen, start=params["offset"])
    ]


def keyword_snippets(session: Session, match: str, paper_ids: Sequence[str]) -> dict[str, str]:
    """Part of each paper's abstract around the words of ``match``, for the papers it matches."""
    if not match or not paper_ids:
        return {}
    sqlite = session.get_bind().dialect.name == "sqlite"
    statement = _SQLITE_SNIPPETS if sqlite else _POSTGRES_SNIPPETS
    rows = session.execute(
        statement, {"match": match, "ids": list(paper_ids), "start": MATCH_START, "end": MATCH_END}
    )
    return {paper_id: snippet or "" for paper_id, snippet in rows}


def keyword_hits(
    session: Session, query: SearchQuery, *, limit: int, filters: SearchFilters | None = None
) -> list[KeywordHit]:
    """The best ``limit`` papers for ``query``'s words, each with its snippet."""
    ranking = keyword_ranking(session, query, limit=limit, filters=filters)
    snippets = keyword_snippets(session, ranking.match, ranking.paper_ids)
    return [KeywordHit(paper_id, snippets.get(paper_id, "")) for paper_id in ranking.paper_ids]


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
