"""Search as readers use it: known-item search by every kind of query a reader types or pastes.

Usage: python bench/search_intent.py [--month 2025-10] [--queries 200] [--data-dir DIR]
                                      [--vectors CACHE.npz] [--split tune|report|both]

The catalog is every paper listed in one month of ../shared/data/arxiv-listings.jsonl.gz
(--month, default October 2025: 4,732 papers), stored WHOLE (title, abstract,
authors, categories, listing day) through the product's write path, keyword-indexed and embedded as
`dailypapers index` does. Unlike bench/search_quality.py (which holds titles out, so that a title is a
fair query), the query kinds here need the papers as a reader finds them: a title with a typo needs
titles indexed, an author's name needs authors, a pasted abstract needs its paper. Target papers are
split by listing day: those listed up to the month's median listing day TUNE the search (every
weight and floor in dailypapers.search was chosen on them), the later ones REPORT; --queries
targets are drawn from each. Query kinds, one per target paper (authors: one per sampled author):

  title      the full title, LaTeX rendered to text
  short      the title's first four words that are not stop words
  sentence   one sentence of the abstract (the longest of its first three)
  abstract   the whole abstract as pasted (LaTeX kept, line breaks flattened), cut at 2,000 characters
  described  the abstract in other words, by a fixed rule: sentences reversed in order, the first
             sentence dropped, and every word among the abstract's rarest two thirds (by document
             frequency in the catalog) removed, so the distinctive terms that make keyword search
             easy are gone; cut to 600 characters
  typo       the title with one typo in each of up to two of its words of 5+ letters (a deleted,
             doubled, swapped or replaced letter, seeded)
  author     an author with 2+ papers in the catalog, named as written, accents stripped, or
             "Last, First" (one form each, seeded); hit measure P@5 = their papers in the top 5 over
             min(5, their papers)
  arxiv id   the id, as typed
Gibberish: 100 random strings of 8 to 20 lowercase letters; the site must answer no results.

Methods: the site's search (hybrid), the site's keyword half alone (bm25: no semantic search), and
tf-idf cosine with arxiv-sanity-lite's vectorizer (bench/arxiv_sanity.py, uncapped min_df=2, over
title, abstract and authors). MRR@10 (P@5 for authors) per kind, with the paired 95% interval of
hybrid - tf-idf.

Embedding the catalog is the slow part (about 23 papers/s on two cores): --data-dir keeps the built
catalog, and a later run with the same --months skips building. --vectors takes the vectors of the
papers it holds from a cache that bench/recommend_quality.py's embed_all writes (an .npz of ids,
vectors and model name: the same model and text, so the same vectors), and embeds only the rest;
bench/recommend_readers.py's cache (/tmp/recommend-readers-vectors.npz) starts with October 2025.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import importlib
import json
import math
import random
import re
import statistics
import string
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from arxiv_sanity import tfidf_search
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import read_session, write_session
from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.papers.text import plain_text
from dailypapers.search.embedding import default_embedder
from dailypapers.search.keyword import papers_waiting_for_index
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.semantic import SemanticSearch, embed_new_papers, store_vectors
from dailypapers.search.service import search_with_snippets, update_search_index, update_vectors_file
from dailypapers.search.vectors import index_path, waiting_for_vector_index
from dailypapers.settings import Settings
from search_quality import SHARED, Clock, check_manifest, embedding_progress, sample_digest

MANIFEST = "search-intent.json"
STORE_BATCH = 5_000
TOP = 10
AUTHOR_TOP = 5
SHORT_WORDS = 4
ABSTRACT_CHARACTERS = 2_000
DESCRIBED_CHARACTERS = 600
#: Share of an abstract's distinct words, the rarest in the catalog, that a description leaves out.
RARE_SHARE = 2 / 3
TYPO_WORDS = 2
GIBBERISH = 100
KINDS = ("title", "short", "sentence", "abstract", "described", "typo", "author", "arxiv id")
_WORD = re.compile(r"\w[\w'-]*\w|\w")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    #: The papers that count as hits: the target paper, or an author's papers.
    wanted: frozenset[str]


#: Each method's ranking for a query text, best first.
Ranker = Callable[[str], list[str]]


def record(paper: dict[str, object]) -> PaperRecord:
    """The paper whole, as a listing stores it."""
    return PaperRecord.build(
        id=str(paper["id"]),
        title=str(paper["title"]),
        authors=list(paper["authors"]),  # type: ignore[call-overload]
        abstract=str(paper["abstract"]),
        categories=list(paper["categories"]),  # type: ignore[call-overload]
        listed_on=dt.date.fromisoformat(str(paper["listed"])),
    )


def load_month(month: str) -> list[dict[str, object]]:
    if not SHARED.exists():
        sys.exit(f"{SHARED} is absent: this benchmark needs the real papers (65,200 arXiv listings)")
    with gzip.open(SHARED, "rt") as f:
        papers = {paper["id"]: paper for paper in map(json.loads, f) if paper["listed"][:7] == month}
    return sorted(papers.values(), key=lambda paper: (paper["listed"], paper["id"]))


def cached_vectors(path: Path | None, model: str) -> dict[str, np.ndarray]:
    if path is None or not path.exists():
        return {}
    with np.load(path) as stored:
        if str(stored["model"]) != model:
            return {}
        return dict(zip(stored["ids"].tolist(), stored["vectors"], strict=True))


def build_catalog(
    engine: sa.Engine, data_dir: Path, catalog: list[dict[str, object]], cache: Path | None, clock: Clock
) -> None:
    """What `dailypapers ingest` and `dailypapers index` do: store, index words, embed, vector file."""
    embedder = default_embedder()
    with read_session(engine) as session:
        stored = session.scalar(sa.select(sa.func.count()).select_from(Paper)) or 0
    start = time.perf_counter()
    if stored < len(catalog):
        records = [record(paper) for paper in catalog]
        for first in range(0, len(records), STORE_BATCH):
            with write_session(engine) as session:
                store_papers(session, records[first : first + STORE_BATCH], rules=ListingRules())
        clock.done("store papers (whole)", start, f"{len(records):,} papers")
    start = time.perf_counter()
    indexed = update_search_index(engine)
    clock.done("keyword index", start, f"{indexed:,} papers added")
    with read_session(engine) as session:
        embedded = sa.select(PaperEmbedding.paper_id).where(PaperEmbedding.model == embedder.name)
        waiting = {str(p["id"]) for p in catalog} - set(session.scalars(embedded))
    if waiting:
        start = time.perf_counter()
        reused = {
            paper_id: vector
            for paper_id, vector in cached_vectors(cache, embedder.name).items()
            if paper_id in waiting
        }
        for first in range(0, len(reused), STORE_BATCH):
            with write_session(engine) as session:
                store_vectors(session, embedder.name, dict(list(reused.items())[first : first + STORE_BATCH]))
        clock.done("vectors from the cache", start, f"{len(reused):,} of {len(waiting):,} waiting")
        start = time.perf_counter()
        embedded = embed_new_papers(engine, embedder, progress=embedding_progress())
        clock.done("embed papers", start, f"{embedded:,} papers embedded")
    path = index_path(data_dir, embedder.name)
    with read_session(engine) as session:
        behind = not path.exists() or waiting_for_vector_index(session, path, embedder.name) > 0
        assert papers_waiting_for_index(session) == 0
    if behind:
        start = time.perf_counter()
        added = update_vectors_file(engine, data_dir, embedder)
        clock.done("vector index file", start, f"{added:,} vectors added")


def split_by_day(catalog: list[dict[str, object]]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Papers listed up to the median listing day (tuning), and after it (report)."""
    median = sorted(str(paper["listed"]) for paper in catalog)[len(catalog) // 2]
    tune = [paper for paper in catalog if str(paper["listed"]) <= median]
    return tune, [paper for paper in catalog if str(paper["listed"]) > median]


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


def flat(text: str) -> str:
    return " ".join(text.split())


def sentences(abstract: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(flat(abstract)) if len(words_of(part)) >= 8]


def described(abstract: str, frequency: Counter[str]) -> str:
    """The abstract in other words, by the rule in the module docstring."""
    parts = sentences(abstract)
    kept = list(reversed(parts[1:] or parts))
    distinct = sorted({word.lower() for word in words_of(abstract)}, key=lambda word: frequency[word])
    rare = set(distinct[: int(len(distinct) * RARE_SHARE)])
    text = " ".join(word for part in kept for word in part.split() if _bare(word) not in rare)
    return text[:DESCRIBED_CHARACTERS]


def _bare(word: str) -> str:
    return word.strip(string.punctuation).lower()


def typo(word: str, chance: random.Random) -> str:
    """The word with one typo after its first letter: a letter left out, doubled, swapped or replaced."""
    at = chance.randrange(1, len(word) - 1)
    kind = chance.choice(("delete", "double", "swap", "replace"))
    if kind == "delete":
        return word[:at] + word[at + 1 :]
    if kind == "double":
        return word[: at + 1] + word[at:]
    if kind == "swap" and word[at] != word[at + 1]:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    letter = chance.choice([c for c in string.ascii_lowercase if c != word[at].lower()])
    return word[:at] + letter + word[at + 1 :]


def with_typos(title: str, chance: random.Random) -> str:
    words = title.split()
    long = [i for i, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    for i in chance.sample(long, min(TYPO_WORDS, len(long))):
        words[i] = typo(words[i], chance)
    return " ".join(words)


def unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def name_form(name: str, chance: random.Random) -> str:
    """The name as written, without accents, or as "Last, First"."""
    form = chance.choice(("written", "unaccented", "last first"))
    if form == "unaccented":
        return unaccented(name)
    if form == "last first" and " " in name:
        first, last = name.rsplit(" ", 1)
        return f"{last}, {first}"
    return name


def make_queries(
    targets: list[dict[str, object]], catalog: list[dict[str, object]], frequency: Counter[str], seed: int
) -> list[Query]:
    chance = random.Random(seed)
    papers_of: dict[str, set[str]] = {}
    for paper in catalog:
        for name in paper["authors"]:  # type: ignore[attr-defined]
            papers_of.setdefault(unaccented(str(name)).lower(), set()).add(str(paper["id"]))
    queries = []
    for paper in targets:
        target = frozenset({str(paper["id"])})
        title = flat(plain_text(str(paper["title"])))
        short = [word for word in words_of(title) if word.lower() not in ENGLISH_STOP_WORDS][:SHORT_WORDS]
        parts = sentences(str(paper["abstract"])) or [flat(str(paper["abstract"]))]
        queries += [
            Query("title", title, target),
            Query("short", " ".join(short), target),
            Query("sentence", chance.choice(parts), target),
            Query("abstract", flat(str(paper["abstract"]))[:ABSTRACT_CHARACTERS], target),
            Query("described", described(str(paper["abstract"]), frequency), target),
            Query("typo", with_typos(title, chance), target),
            Query("arxiv id", str(paper["id"]), target),
        ]
        prolific = [
            str(name)
            for name in paper["authors"]  # type: ignore[attr-defined]
            if len(papers_of[unaccented(str(name)).lower()]) >= 2
        ]
        if prolific:
            name = chance.choice(prolific)
            queries.append(
                Query("author", name_form(name, chance), frozenset(papers_of[unaccented(name).lower()]))
            )
    return queries


def gibberish(seed: int) -> list[str]:
    chance = random.Random(seed)
    return [
        "".join(chance.choices(string.ascii_lowercase, k=chance.randint(8, 20))) for _ in range(GIBBERISH)
    ]


def document_frequency(catalog: list[dict[str, object]]) -> Counter[str]:
    frequency: Counter[str] = Counter()
    for paper in catalog:
        frequency.update({word.lower() for word in words_of(f"{paper['title']} {paper['abstract']}")})
    return frequency


def tfidf_ranker(catalog: list[dict[str, object]], *, capped: bool) -> Ranker:
    """arxiv-sanity-lite's tf-idf over each paper's title, abstract and authors (its compute.py)."""
    ids = [str(paper["id"]) for paper in catalog]
    texts = [f"{p['title']} {p['abstract']} {' '.join(p['authors'])}" for p in catalog]  # type: ignore[arg-type]
    return tfidf_search(ids, texts, capped=capped, top=TOP)[0]


def score(query: Query, ranking: Sequence[str]) -> float:
    """Reciprocal rank in the top 10 (P@5 over min(5, their papers) for authors)."""
    if query.kind == "author":
        return len(set(ranking[:AUTHOR_TOP]) & query.wanted) / min(AUTHOR_TOP, len(query.wanted))
    for rank, paper_id in enumerate(ranking[:TOP], start=1):
        if paper_id in query.wanted:
            return 1.0 / rank
    return 0.0


def paired(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Mean difference and its 95% half-width (normal approximation)."""
    diff = np.array(a) - np.array(b)
    if len(diff) < 2:
        return float(diff.mean()) if len(diff) else 0.0, float("nan")
    return float(diff.mean()), 1.96 * float(diff.std(ddof=1)) / math.sqrt(len(diff))


def evaluate(
    name: str, queries: list[Query], rankers: dict[str, Ranker], noise: list[str], hybrid: Ranker
) -> bool:
    """Print the kind x method table of one split; return whether every target is met."""
    scores: dict[str, dict[str, list[float]]] = {kind: {method: [] for method in rankers} for kind in KINDS}
    millis: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for query in queries:
        for method, ranker in rankers.items():
            began = time.perf_counter()
            ranking = ranker(query.text)
            if method == "hybrid":
                millis[query.kind].append(1000 * (time.perf_counter() - began))
            scores[query.kind][method].append(score(query, ranking))
    methods = list(rankers)
    print(f"\n{name}: MRR@10 (author: P@5), hybrid - tf-idf with its paired 95% interval")
    print(
        f"{'kind':10s} {'n':>4s} "
        + " ".join(f"{method:>16s}" for method in methods)
        + f" {'hybrid - tf-idf':>18s} {'- capped':>16s} {'hybrid ms p50/max':>18s}"
    )
    met = True
    for kind in KINDS:
        found = scores[kind]
        if not found["hybrid"]:
            continue
        gain, half = paired(found["hybrid"], found["tf-idf"])
        gain_capped, half_capped = paired(found["hybrid"], found["tf-idf capped"])
        means = {method: float(np.mean(found[method])) for method in methods}
        met &= means["hybrid"] >= means["tf-idf"] - 1e-9 and means["hybrid"] >= means["tf-idf capped"] - 1e-9
        if kind == "author":
            met &= means["hybrid"] >= 0.9
        print(
            f"{kind:10s} {len(found['hybrid']):4d} "
            + " ".join(f"{means[method]:16.3f}" for method in methods)
            + f" {gain:+8.3f} ± {half:6.3f} {gain_capped:+8.3f} ± {half_capped:5.3f}"
            + f" {statistics.median(millis[kind]):10.1f} /{max(millis[kind]):6.0f}"
        )
    empty = sum(not hybrid(text) for text in noise)
    empty_tfidf = sum(not rankers["tf-idf"](text) for text in noise)
    print(f"gibberish: no results for {empty}/{len(noise)} (tf-idf: {empty_tfidf}), e.g. {noise[0]!r}")
    return met and empty >= 0.95 * len(noise)


class RememberingEmbedder:
    """The product's model, remembering each query's vector in the data dir: tuning runs the same
    queries many times, and on a busy machine embedding them is most of a run."""

    def __init__(self, path: Path) -> None:
        self._model = default_embedder()
        self.name, self.dimensions = self._model.name, self._model.dimensions
        self._path = path
        self._known = cached_vectors(path, self.name)
        #: Queries embedded in this run (the others' vectors came from the file, free).
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        for text in texts:
            if text not in self._known:
                self._known[text] = self._model.embed([text])[0]
                self.embedded += 1
        return np.vstack([self._known[text] for text in texts])

    def save(self) -> None:
        texts = sorted(self._known)
        np.savez(
            self._path,
            model=np.array(self.name),
            ids=np.array(texts),
            vectors=np.vstack([self._known[t] for t in texts]),
        )


def override(settings: list[str]) -> None:
    """--set module.NAME=VALUE: try another value of a setting of dailypapers.search.<module>."""
    for setting in settings:
        name, value = setting.split("=", 1)
        module_name, attribute = name.split(".", 1)
        module = importlib.import_module(f"dailypapers.search.{module_name}")
        current = getattr(module, attribute)
        setattr(module, attribute, type(current)(value))
        print(f"setting {name} = {value} (default {current})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--month", default="2025-10", help="the catalog: the papers listed this month")
    parser.add_argument("--queries", type=int, default=200, help="target papers per split")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--vectors", type=Path, help="an .npz cache of paper vectors to reuse")
    parser.add_argument("--data-dir", type=Path, help="keep the built catalog here between runs")
    parser.add_argument("--build-only", action="store_true", help="build the catalog and stop")
    parser.add_argument("--split", choices=("tune", "report", "both"), default="both")
    parser.add_argument("--set", action="append", default=[], help="module.NAME=VALUE, for tuning")
    args = parser.parse_args()
    clock = Clock()
    start = time.perf_counter()
    sample = load_month(args.month)
    clock.done("read", start, f"{len(sample):,} papers listed in {args.month}")
    with tempfile.TemporaryDirectory(prefix="bench-search-intent-") as tmp:
        data_dir = (args.data_dir or Path(tmp) / "data").resolve()
        check_manifest(
            data_dir, {"papers": len(sample), "ids": sample_digest(sample), "titles": "kept"}, MANIFEST
        )
        engine = create_db_engine(Settings(data_dir=data_dir, database_url=None))
        upgrade_database(engine)
        build_catalog(engine, data_dir, sample, args.vectors, clock)
        if args.build_only:
            return
        override(args.set)
        start = time.perf_counter()
        tfidf, capped = tfidf_ranker(sample, capped=False), tfidf_ranker(sample, capped=True)
        frequency = document_frequency(sample)
        clock.done("tf-idf fit", start)
        embedder = RememberingEmbedder(data_dir / "query-vectors.npz")
        semantic = SemanticSearch(data_dir, lambda: embedder)
        with read_session(engine) as session:

            def hybrid(text: str) -> list[str]:
                found = search_with_snippets(session, text, limit=TOP, semantic=semantic)
                return [result.paper.id for result in found.results]

            def bm25(text: str) -> list[str]:
                return [result.paper.id for result in search_with_snippets(session, text, limit=TOP).results]

            hybrid("warm up the model and the index")
            rankers = {"hybrid": hybrid, "bm25 only": bm25, "tf-idf": tfidf, "tf-idf capped": capped}
            met = {}
            for name, part in zip(("tune", "report"), split_by_day(sample), strict=True):
                if args.split not in (name, "both"):
                    continue
                targets = random.Random(args.seed + len(name)).sample(part, min(args.queries, len(part)))
                queries = make_queries(targets, sample, frequency, args.seed + len(name))
                start = time.perf_counter()
                met[name] = evaluate(
                    f"{name} split ({len(targets)} target papers, listed "
                    f"{min(str(p['listed']) for p in part)} .. {max(str(p['listed']) for p in part)})",
                    queries,
                    rankers,
                    gibberish(args.seed + len(name)),
                    hybrid,
                )
                clock.done(f"queries: {name}", start, f"{len(queries)} queries, every method")
        embedder.save()
        engine.dispose()
    print(
        f"hybrid ms: {embedder.embedded:,} queries were embedded in this run; the vectors of the others "
        "were remembered from an earlier run (their time leaves out embedding the query)"
    )
    print("\ntf-idf: arxiv-sanity-lite's vectorizer uncapped (min_df=2); tf-idf capped: with its caps")
    for name, ok in met.items():
        print(f"{name} split: every target {'MET' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
