"""Keyword search: the one place that knows FTS5 (SQLite) and tsvector (PostgreSQL).

Both rank by weighted relevance (title above authors above abstract). All terms must match; when
that finds nothing, any of its most informative terms may, so a stray word does not empty the page
and a pasted abstract or a description finds its paper. The cost of a query is kept from growing
with the catalog: on SQLite always, on PostgreSQL when some paper has every term (see
KEYWORD_WINDOW). Besides ranking, this module answers the lookups that author names and spelling
need (``papers_by_author_words``, ``unknown_words``, ``titles_with_any``).

PostgreSQL keeps its index current by itself (a generated column). SQLite's FTS5 index follows
changes to indexed papers at once, but takes in new papers in batches (``index_new_papers``):
indexing costs more than storing, and bulk imports should not wait for it under the write lock.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.papers.models import Paper
from dailypapers.search.filters import SearchFilters, conditions
from dailypapers.search.query import SearchQuery

#: Database objects the migrations create for search and the ORM metadata does not describe.
SEARCH_OBJECTS = frozenset({"papers_fts", "keyword_index_state", "search_vector", "ix_papers_search_vector"})

_STOP_WORDS = "a an and are as at be by for from in into is it its of on or our that the this to via we with"
STOP_WORDS = frozenset(_STOP_WORDS.split())

#: Around the matched words in snippets; rare in abstracts, and turned into markup by the site.
MATCH_START, MATCH_END = "\u27e6", "\u27e7"
SNIPPET_LENGTH = 220
_ENDINGS = ("ations", "ation", "ings", "ing", "ies", "ers", "es", "ed", "er", "s")

# FTS5's bm25 costs SQLite two things that grow with the catalog: it weighs each term by reading the
# term's whole list of papers (15 ms for "learning" at a million papers, 100 ms for a title of five
# such words), and it scores every paper it ranks (about 2 µs each: 1.8 s for the 300,000 papers
# with "learning"). So on SQLite:
# - a term in more papers than COMMON_SHARE of the catalog (and COMMON_MIN) is left out of a query
#   that has rarer terms: it weighs little, and a paper is found by its rarer words (the "cutoff
#   frequency" of Elasticsearch's common-terms query, without scoring the common ones);
# - when no paper has every term, the any-term fallback takes the rarest terms, as many as match at
#   most KEYWORD_WINDOW papers together, and ranks all of those;
# - a query of common terms only is not ranked by bm25: the newest papers with them, those with them
#   in the title first when there are many (a broad query on a daily-papers site asks for news);
# - at most the KEYWORD_WINDOW most recently added matches are ranked, whatever the query (on
#   PostgreSQL, those with every term: see _POSTGRES_NEWEST_RANKING).
# bench/search_speed.py measures the cost against exact bm25, bench/search_quality.py the quality.
KEYWORD_WINDOW = 5_000
COMMON_SHARE = 0.05
#: Below this many papers a term costs bm25 under a millisecond: small catalogs keep every term.
COMMON_MIN = 5_000
#: Share of the catalog, the newest papers, from which a term's papers are estimated (see TermCounts).
SAMPLE_SHARE = 0.02
#: How long a web process trusts the counts of papers it found for a term.
TERM_COUNT_SECONDS = 600.0
#: The longest one search reads the SQLite index. Filters that few matches pass make it read every
#: match (at a million papers, "large language models" by an author nobody is: 8 s); when the time
#: is up it answers with what it found so far.
SEARCH_BUDGET_SECONDS = 0.5
#: How often, in SQLite virtual machine steps, the budget is looked at.
BUDGET_CHECK_STEPS = 10_000
#: When no paper has every term, the any-term ranking reads at most this many of the query's most
#: informative terms (the rarest; on PostgreSQL, which keeps no counts here, the longest): a pasted
#: abstract holds a hundred, and bm25 reads each term's list of papers.
ANY_TERM_MAX_TERMS = 24
#: Of a longer query only this many terms, the longest (longer words are rarer), are counted and
#: searched: counting a term the process has not seen costs a read of the index (a pasted abstract
#: at a million papers: 80 new terms, 320 ms).
MAX_QUERY_TERMS = 48
#: Matches are counted up to this many for the result count ("more than 1,000 results").
COUNT_CAP = 1_000
#: The longest a search looks for papers by the author a short query may name. A name is found
#: among the newest papers at once; words that are no name make FTS5 read the position lists of
#: every paper holding them all (and words that are all common are not looked up at all).
AUTHOR_BUDGET_SECONDS = 0.01

_SQLITE_BM25 = sa.text(
    f"""WITH recent AS MATERIALIZED (
        SELECT rowid, bm25(papers_fts, 10.0, 1.0, 3.0) AS score FROM papers_fts
        WHERE papers_fts MATCH :match ORDER BY rowid DESC LIMIT :window
    )
    SELECT papers.id, -recent.score FROM recent JOIN papers ON papers.rowid = recent.rowid
    WHERE {conditions("sqlite")}
    ORDER BY recent.score, recent.rowid DESC LIMIT :limit OFFSET :offset"""
)
_SQLITE_NEWEST = sa.text(
    f"""SELECT papers.id FROM papers_fts JOIN papers ON papers.rowid = papers_fts.rowid
    WHERE papers_fts MATCH :match AND {conditions("sqlite")}
    ORDER BY papers_fts.rowid DESC LIMIT :limit OFFSET :offset"""
)
_SQLITE_MATCHES = sa.text(
    "SELECT count(*) FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH :match LIMIT :cap)"
)
_SQLITE_RECENT_MATCHES = sa.text(
    """SELECT count(*) FROM (
        SELECT 1 FROM papers_fts WHERE papers_fts MATCH :match AND rowid > :since LIMIT :cap
    )"""
)
_SQLITE_INDEXED = sa.text("SELECT last_rowid FROM keyword_index_state")
_SQLITE_COUNT = sa.text(
    f"""SELECT count(*) FROM (
        SELECT 1 FROM papers_fts JOIN papers ON papers.rowid = papers_fts.rowid
        WHERE papers_fts MATCH :match AND {conditions("sqlite")} LIMIT :cap
    )"""
)
_POSTGRES_COUNT = f"""
    SELECT count(*) FROM (
        SELECT 1 FROM papers, websearch_to_tsquery('english', :match) AS query
        WHERE search_vector @@ query AND {conditions("postgresql")} LIMIT :cap
    ) AS matches
"""
_POSTGRES_MATCHES = f"""
    FROM papers, websearch_to_tsquery('english', :match) AS query
    WHERE search_vector @@ query AND {conditions("postgresql")}
"""
_POSTGRES_RANKING = f"""
    SELECT id, ts_rank(search_vector, query) AS relevance {_POSTGRES_MATCHES}
    ORDER BY relevance DESC, id LIMIT :limit OFFSET :offset
"""
# PostgreSQL finds every match in its GIN index, but ts_rank reads each match's whole tsvector (out
# of line, in TOAST). So, as on SQLite, papers with every term are ranked among the KEYWORD_WINDOW
# newest of them that pass the filters (the newest by arXiv's first version, as
# papers_by_author_words orders them); finding those reads no tsvector. At a million papers,
# "reinforcement learning" (60,000 matches) went from 510 to 310 ms. Pages of results end within
# the window (COUNT_CAP). The any-term fallback still ranks every match: without SQLite's term
# counts it cannot choose terms that fit the window, and the newest of any term's papers missed
# the paper a pasted title was for (bench/search_quality.py: hybrid MRR@10 on titles 0.924 -> 0.772).
_POSTGRES_NEWEST_RANKING = f"""
    SELECT id, ts_rank(search_vector, query) AS relevance FROM (
        SELECT id, search_vector, query {_POSTGRES_MATCHES}
        ORDER BY submitted_at DESC NULLS LAST, id DESC LIMIT :window
    ) AS recent
    ORDER BY relevance DESC, id LIMIT :limit OFFSET :offset
"""
Scored = list[tuple[str, float]]


@dataclass(frozen=True)
class KeywordRanking:
    #: Paper ids with their relevance (bm25 or ts_rank; higher is better), best first.
    scored: Scored
    #: The terms that found them (all of them, or the ones the search kept), for ``snippet``.
    terms: tuple[str, ...]
    #: The search ran out of time (SEARCH_BUDGET_SECONDS) and ranked what it had found by then.
    cut_short: bool = False
    #: How many papers match (up to COUNT_CAP): more than ``scored`` when the page was full.
    total: int = 0
    #: The engine's query that found them (FTS5 MATCH or websearch_to_tsquery text), for counting.
    match: str = ""

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

    All terms must match; when no paper has them all, any may (``any_term_fallback``:
    bench/search_quality.py measures what it is worth, 0.06 MRR@10 of hybrid search on titles).
    """
    if not query.terms:
        return KeywordRanking([], ())
    params = {"limit": limit, "offset": offset, **(filters or SearchFilters()).params()}
    # Words in nearly every abstract add nothing to the ranking, and at a million papers "in the"
    # alone makes FTS5 score 900,000 rows (3.7 s); PostgreSQL drops them itself.
    terms = [term for term in query.terms if term not in STOP_WORDS] or list(query.terms)
    if len(terms) > MAX_QUERY_TERMS:
        terms = sorted(terms, key=len, reverse=True)[:MAX_QUERY_TERMS]
    if session.get_bind().dialect.name != "sqlite":

        def among_newest(match: str) -> Scored:
            ranking = sa.text(_POSTGRES_NEWEST_RANKING)
            return _scored(session.execute(ranking, {**params, "match": match, "window": KEYWORD_WINDOW}))

        def among_all(match: str) -> Scored:
            return _scored(session.execute(sa.text(_POSTGRES_RANKING), {**params, "match": match}))

        informative = sorted(terms, key=len, reverse=True)[:ANY_TERM_MAX_TERMS]
        found = _every_then_any(
            among_newest, terms, informative, " or ", any_term_fallback, rank_any=among_all
        )
        return _counted(session, found, params, sa.text(_POSTGRES_COUNT))

    def bm25(match: str) -> Scored:
        return _sqlite_ranking(session, {**params, "match": match})

    def newest(match: str) -> Scored:
        return _newest_first(session, {**params, "match": match})

    def ranking() -> KeywordRanking:
        catalog = session.scalar(_SQLITE_INDEXED) or 0
        counts = {} if query.wants_exact_words else TERM_COUNTS.papers_with(session, terms, catalog)
        threshold = _common_threshold(catalog)
        rare = [term for term in terms if counts.get(term, 0) <= threshold]
        common = [term for term in terms if term not in rare]
        if rare:
            # Terms no paper has (typos, new names) cannot find anything.
            informative = _rarest([term for term in rare if counts.get(term, 0)], counts) or rare
            found = _every_then_any(bm25, rare, informative[:ANY_TERM_MAX_TERMS], " OR ", any_term_fallback)
            if found.scored or not common:
                return found
        return _every_then_any(newest, common, common, " OR ", any_term_fallback)

    with _time_budget(session) as budget:
        try:
            found = _counted(session, ranking(), params, _SQLITE_COUNT)
        except sa.exc.OperationalError as error:
            if not _out_of_time(error):
                raise
            found = KeywordRanking([], tuple(terms))
    return replace(found, cut_short=budget.spent)


def _counted(
    session: Session, found: KeywordRanking, params: dict[str, Any], statement: sa.TextClause
) -> KeywordRanking:
    """``found`` with its ``total``: counted (up to COUNT_CAP) only when its page was full."""
    total = params["offset"] + len(found.scored)
    if found.match and len(found.scored) == params["limit"] and total < COUNT_CAP:
        counted = session.scalar(statement, {**params, "match": found.match, "cap": COUNT_CAP})
        total = max(total, int(counted or 0))
    return replace(found, total=total)


@dataclass
class _Budget:
    deadline: float
    #: Whether a statement was interrupted for want of time.
    spent: bool = False

    def over(self) -> bool:
        self.spent = time.monotonic() > self.deadline
        return self.spent


@contextmanager
def _time_budget(session: Session, seconds: float | None = None) -> Iterator[_Budget]:
    """SQLite statements in this context are interrupted once ``seconds`` (by default
    SEARCH_BUDGET_SECONDS) have passed."""
    connection: Any = session.connection().connection.driver_connection
    budget = _Budget(time.monotonic() + (SEARCH_BUDGET_SECONDS if seconds is None else seconds))
    connection.set_progress_handler(budget.over, BUDGET_CHECK_STEPS)
    try:
        yield budget
    finally:
        connection.set_progress_handler(None, BUDGET_CHECK_STEPS)


def _out_of_time(error: sa.exc.OperationalError) -> bool:
    return "interrupted" in str(error.orig)


def _until_out_of_time(run: Callable[[], Iterable[Any]]) -> list[Any]:
    """The rows of a statement, or those it gave before ``_time_budget`` interrupted it."""
    rows: list[Any] = []
    try:
        rows.extend(run())
    except sa.exc.OperationalError as error:
        if not _out_of_time(error):
            raise
    return rows


def _common_threshold(catalog: int) -> int:
    """Terms in more papers than this are common (see COMMON_SHARE)."""
    return max(COMMON_MIN, int(catalog * COMMON_SHARE))


def _every_then_any(
    rank: Callable[[str], Scored],
    every: Sequence[str],
    any_of: Sequence[str],
    joiner: str,
    fallback: bool,
    *,
    rank_any: Callable[[str], Scored] | None = None,
) -> KeywordRanking:
    """Papers with ``every`` term; when none has them all, with any of ``any_of`` (with ``fallback``),
    ranked by ``rank_any`` if given."""
    match = _every(every)
    found = rank(match)
    if found or not fallback or len(every) < 2:
        return KeywordRanking(found, tuple(every), match=match)
    match = joiner.join(_quoted(any_of))
    return KeywordRanking((rank_any or rank)(match), tuple(any_of), match=match)


def _quoted(terms: Sequence[str]) -> list[str]:
    # Terms are words and spaces only (see parse_query), so quoting them needs no escaping.
    return [f'"{term}"' for term in terms]


def _every(terms: Sequence[str]) -> str:
    return " ".join(_quoted(terms))


def _rarest(terms: Sequence[str], counts: dict[str, int]) -> list[str]:
    """The rarest of ``terms``, as many as are in at most KEYWORD_WINDOW papers together (one at least)."""
    chosen: list[str] = []
    papers = 0
    for term in sorted(terms, key=lambda term: counts.get(term, 0)):
        papers += counts.get(term, 0)
        if chosen and papers > KEYWORD_WINDOW:
            break
        chosen.append(term)
    return chosen


class TermCounts:
    """How many papers have each term (SQLite), remembered for a while by each process.

    Counting reads the term's list of papers, so it stops early: whether a term is common is told
    from the newest SAMPLE_SHARE of a large catalog, and other terms are counted up to KEYWORD_WINDOW
    (at a million papers, counting "learning" whole took 15 ms; this, 0.15 ms).
    """

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def papers_with(self, session: Session, terms: Sequence[str], catalog: int) -> dict[str, int]:
        """Papers with each of ``terms`` in a catalog of ``catalog`` indexed papers."""
        database, moment = str(session.get_bind().engine.url), time.monotonic()
        counts = {}
        for term in terms:
            known = self._known.get((database, term))
            if known is None or moment - known[1] > TERM_COUNT_SECONDS:
                known = (_papers_with(session, f'"{term}"', catalog), moment)
                with self._lock:
                    if len(self._known) > 100_000:
                        self._known.clear()
                    self._known[database, term] = known
            counts[term] = known[0]
        return counts


def _papers_with(session: Session, match: str, catalog: int) -> int:
    sample = max(int(catalog * SAMPLE_SHARE), 1)
    if catalog * COMMON_SHARE > COMMON_MIN:
        # Enough of the newest papers to tell a common term (COMMON_SHARE of them) from the rest.
        cap = int(sample * COMMON_SHARE) + 1
        recent = session.scalar(
            _SQLITE_RECENT_MATCHES, {"match": match, "since": catalog - sample, "cap": cap}
        )
        if (recent or 0) >= cap:
            return int(recent or 0) * catalog // sample
    return int(session.scalar(_SQLITE_MATCHES, {"match": match, "cap": KEYWORD_WINDOW + 1}) or 0)


TERM_COUNTS = TermCounts()


def _scored(rows: Iterable[Any]) -> Scored:
    return [(paper_id, float(relevance)) for paper_id, relevance in rows]


def _sqlite_ranking(session: Session, params: dict[str, Any]) -> Scored:
    found = _scored(session.execute(_SQLITE_BM25, {**params, "window": KEYWORD_WINDOW}))
    if len(found) == params["limit"] or params["offset"] + len(found) >= KEYWORD_WINDOW:
        return found
    # A short page, and the filters (or deleted papers) passed fewer than the window held: when the
    # window was full, older matches may pass too, so rank every match rather than miss them.
    full = session.scalar(_SQLITE_MATCHES, {"match": params["match"], "cap": KEYWORD_WINDOW})
    if full == KEYWORD_WINDOW:
        # Out of time, the window's papers are the answer.
        every = _until_out_of_time(lambda: session.execute(_SQLITE_BM25, {**params, "window": -1}))
        found = _scored(every) or found
    return found


def _newest_first(session: Session, params: dict[str, Any]) -> Scored:
    """Papers for common terms only, without bm25: when they are many, those with the terms in their
    title first; newest first; the relevance is by position."""
    wanted = {**params, "limit": params["offset"] + params["limit"], "offset": 0}
    # Newest first, the papers come one by one: out of time, those found so far are kept.
    found = _until_out_of_time(lambda: session.scalars(_SQLITE_NEWEST, wanted))
    if len(found) == wanted["limit"]:
        # Many papers have the terms (so finding the newest ones in the title is quick too).
        titled = _until_out_of_time(
            lambda: session.scalars(_SQLITE_NEWEST, {**wanted, "match": f"{{title}} : ({params['match']})"})
        )
        found = list(dict.fromkeys([*titled, *found]))[: wanted["limit"]]
    chosen = found[params["offset"] :]
    return [
        (paper_id, 1.0 / (position + 1)) for position, paper_id in enumerate(chosen, start=params["offset"])
    ]


def snippet(text: str, terms: Sequence[str], *, length: int = SNIPPET_LENGTH) -> str:
    """The stretch of ``text`` of about ``length`` characters with the most of ``terms``, each match
    between ``MATCH_START`` and ``MATCH_END``; empty when no term is in ``text``.

    Made in Python from the abstract already loaded, for both databases: asking FTS5 for snippets
    of given papers costs a seek per paper and term (20 ms for a page of a long query).
    """
    stems = sorted({_stem(word) for term in terms for word in term.split()}, key=len, reverse=True)
    if not stems:
        return ""
    text = " ".join(text.split())
    hits = [found.span() for found in re.finditer(rf"\b(?:{'|'.join(stems)})\w*", text, re.IGNORECASE)]
    if not hits:
        return ""
    starts = [start for start, _ in hits]
    densest = max(range(len(hits)), key=lambda j: bisect.bisect_left(starts, starts[j] + length) - j)
    first = text.rfind(" ", 0, max(0, starts[densest] - length // 8)) + 1
    last = (
        len(text)
        if first + length >= len(text)
        else max(text.rfind(" ", first, first + length), hits[densest][1])
    )
    marked, position = [], first
    for start, end in hits:
        if first <= start and end <= last:
            marked += [text[position:start], MATCH_START, text[start:end], MATCH_END]
            position = end
    marked.append(text[position:last])
    return ("…" if first else "") + "".join(marked) + ("…" if last < len(text) else "")


def _stem(word: str) -> str:
    """A word's form without the commonest English endings, so that "images" marks "image".
    (Query terms are letters, digits and spaces only, see parse_query: safe in a pattern.)"""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


_SQLITE_BY_AUTHORS = sa.text(
    f"""SELECT papers.id, papers.authors FROM papers_fts JOIN papers ON papers.rowid = papers_fts.rowid
    WHERE papers_fts MATCH :match AND {conditions("sqlite")}
    ORDER BY papers_fts.rowid DESC LIMIT :limit"""
)
_POSTGRES_BY_AUTHORS = sa.text(
    f"""SELECT id, authors FROM papers WHERE search_vector @@ to_tsquery('english', :match)
    AND {conditions("postgresql")} ORDER BY submitted_at DESC NULLS LAST, id DESC LIMIT :limit"""
)
_SQLITE_ANY = sa.text("SELECT 1 FROM papers_fts WHERE papers_fts MATCH :match LIMIT 1")
# A stop word of PostgreSQL's ("having", "does") is in no tsvector, yet no typo.
_POSTGRES_ANY = sa.text(
    """SELECT 1 WHERE numnode(plainto_tsquery('english', :match)) = 0
    OR EXISTS (SELECT 1 FROM papers WHERE search_vector @@ plainto_tsquery('english', :match))"""
)
_SQLITE_TITLES = sa.text(
    """SELECT papers.title FROM papers_fts JOIN papers ON papers.rowid = papers_fts.rowid
    WHERE papers_fts MATCH :match AND NOT papers.deleted ORDER BY papers_fts.rowid DESC LIMIT :limit"""
)
_POSTGRES_TITLES = sa.text(
    """SELECT title FROM papers WHERE search_vector @@ to_tsquery('english', :match) AND NOT deleted
    LIMIT :limit"""
)


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def papers_by_author_words(
    session: Session, words: Sequence[str], *, limit: int, filters: SearchFilters | None = None
) -> list[tuple[str, list[str]]]:
    """Up to ``limit`` papers, newest first, whose authors hold every one of ``words`` (lowercase
    letters only), each with its author list: the candidates a name query checks name by name."""
    if not words:
        return []
    params: dict[str, Any] = {"limit": limit, **(filters or SearchFilters()).params()}
    if not _is_sqlite(session):
        match = " & ".join(f"{word}:C" for word in words)
        return _with_authors(session.execute(_POSTGRES_BY_AUTHORS, {**params, "match": match}))
    catalog = session.scalar(_SQLITE_INDEXED) or 0
    if min(TERM_COUNTS.papers_with(session, words, catalog).values()) > _common_threshold(catalog):
        return []
    params["match"] = "{authors} : (" + _every(words) + ")"
    return _with_authors(
        _rows_in_time(session, lambda: session.execute(_SQLITE_BY_AUTHORS, params), AUTHOR_BUDGET_SECONDS)
    )


def _with_authors(rows: Iterable[Any]) -> list[tuple[str, list[str]]]:
    # A JSON column read through text() arrives as text on SQLite, parsed on PostgreSQL.
    return [
        (paper_id, [str(name) for name in (json.loads(authors) if isinstance(authors, str) else authors)])
        for paper_id, authors in rows
    ]


def _rows_in_time(
    session: Session, run: Callable[[], Iterable[Any]], seconds: float | None = None
) -> list[Any]:
    """The rows of a statement; on SQLite, those found within ``seconds`` (see ``_time_budget``)."""
    if not _is_sqlite(session):
        return list(run())
    with _time_budget(session, seconds):
        return _until_out_of_time(run)


def unknown_words(session: Session, words: Sequence[str]) -> list[str]:
    """Those of ``words`` (lowercase letters only) that no indexed paper holds."""
    statement = _SQLITE_ANY if _is_sqlite(session) else _POSTGRES_ANY
    return [
        word
        for word in words
        if session.scalar(statement, {"match": f'"{word}"' if _is_sqlite(session) else word}) is None
    ]


def titles_with_any(session: Session, words: Sequence[str], *, limit: int) -> list[str]:
    """Titles of up to ``limit`` papers (the newest, on SQLite) with any of ``words`` (lowercase
    letters only) in the title."""
    if not words:
        return []
    if _is_sqlite(session):
        statement, match = _SQLITE_TITLES, "{title} : (" + " OR ".join(_quoted(words)) + ")"
    else:
        statement, match = _POSTGRES_TITLES, " | ".join(f"{word}:A" for word in words)
    rows = _rows_in_time(session, lambda: session.scalars(statement, {"match": match, "limit": limit}))
    return [str(title) for title in rows]


def keyword_hits(
    session: Session, query: SearchQuery, *, limit: int, filters: SearchFilters | None = None
) -> list[KeywordHit]:
    """The best ``limit`` papers for ``query``'s words, each with its snippet."""
    ranking = keyword_ranking(session, query, limit=limit, filters=filters)
    rows = session.execute(sa.select(Paper.id, Paper.abstract).where(Paper.id.in_(ranking.paper_ids)))
    abstracts = {paper_id: abstract for paper_id, abstract in rows}
    return [
        KeywordHit(paper_id, snippet(abstracts.get(paper_id, ""), ranking.terms))
        for paper_id in ranking.paper_ids
    ]


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


def merge_index(session: Session) -> None:
    """Merge the index's segments into one: every batch added makes a segment, and a query reads
    each segment's list of papers for each term (at a million papers bulk-imported in batches,
    merging took 22 s and made a query of eight common words twice as fast)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')"))


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
