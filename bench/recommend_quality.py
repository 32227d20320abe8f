"""Personal feed quality: precision@10 of "for you" for simulated users with hidden interests.

Usage: python bench/recommend_quality.py [--papers 6000] [--users 300] [--since 2025-05-15] [--seed 6]
       [--cache /tmp/recommend-quality-vectors.npz] [--no-embed]

The secondary table of the feed's quality: readers whose interest is an arXiv category, a proxy the feed
was once tuned to. The main one, on real readers, is bench/recommend_readers.py.

What it measures (issue 6): the papers listed on the contiguous listing days from --since on, whole
days until at least --papers papers, from ../shared/data/arxiv-listings.jsonl.gz. The earlier ~2/3 by
listing day are the history a member upvoted in; the later ~1/3 are the candidates the feed ranks (the
product ranks the last 14 days; here about 10). Each of --users simulated users has a hidden interest:
1 or 2 primary arXiv categories (half each, seeded), drawn uniformly among the primary categories with
at least 20 history papers and 10 candidates. The user upvotes 20 random history papers whose primary
category is in the hidden set; the 5-upvote case is the first 5 of those 20, so the two are paired. A
candidate is relevant when its primary category is in the hidden set. The score is precision@10 of each
method's top 10 candidates, the mean over users, at 5 and at 20 upvotes.

Methods:
  random            a seeded shuffle of the candidates (the share of relevant candidates, in expectation)
  tfidf+svm         arxiv-sanity-lite's method: its TfidfVectorizer settings (word 1-2 grams, sublinear tf,
                    English stop words, its token pattern) fitted on every sampled paper's title and
                    abstract, with min_df 2 and no feature cap; one LinearSVC per user (C=0.01,
                    class_weight="balanced", tol 1e-6, as its serve.py), positives the upvoted papers,
                    negatives every other history paper; candidates ranked by its decision function.
  tfidf+svm, caps   the same with arxiv-sanity-lite's caps (20,000 features, min_df 5, max_df 0.1), which
                    drop the words common enough to tell categories apart ("image", "language"): weaker
                    on the 1,500-paper tuning run, level at 6,000; the verdict uses the uncapped row.
  embed+svm         the same LinearSVC (C=0.01, balanced) over the product's MiniLM vectors: the issue's
                    starting point, a per-user linear classifier over embeddings.
  centroid          cosine of each candidate to the mean vector of the upvoted papers.
  feed.rank         the product's ranking, CandidatePool(candidates).rank(Interests(upvoted=ids), ...),
                    with no follows and no author names (content only): words, comments and habit.
  rank, habit=0     the same with HABIT_WEIGHT=0: the words alone.
--no-embed leaves out the rows that need the model's vectors (embed+svm, centroid).
The SVMs' C were the best of 0.001, 0.01, 0.1 and 1 (0.001 and 0.01 within noise of each other) on a
tuning run with other users (seed 7, --papers 1500), so the baselines get their best shot. The ablations
patch the module's constants for their calls and restore them. Vectors are the product's
(default_embedder().embed(paper_text(title, abstract)) on the text as PaperRecord.build normalises it),
kept in --cache keyed by paper id and model name, so a rerun skips embedding (about 23 papers/s on two
idle cores, 3-6 papers/s when the machine is busy). ms/user is the time of one user's ranking (fit and
score for the SVMs): wall time on a shared, noisy two-core machine, so read it as an order of magnitude.

Why: the feed costs an embedding model and must show a member better papers than arxiv-sanity-lite's
tf-idf+SVM, which needs no model, and better than the per-user SVM over embeddings the issue starts from.

Caveats, said plainly:
- The hidden interest is a category, and the product's habit signal reads categories: it scores a
  candidate by the share of upvotes that carry one of its categories. That leaks the answer, diluted:
  the signal counts cross-lists too and takes a candidate's best category, so for a cs.LG user every
  cs.CV paper cross-listed in cs.LG scores like a cs.LG paper. The SVMs and the centroid see text only.
  Real interests are narrower than a category and cut across them, so read the "meaning=0" row as what
  categories alone are worth here, and "habit=0" as the text-only comparison with the baselines.
- Relevance by category is coarse: a cs.CV user counts every cs.CV paper as relevant. The primary
  categories of this corpus are uneven (cs.CV, cs.CL, cs.LG and cs.AI dominate), so users with a large
  category score high whatever the method; the "rare" columns keep the users whose relevant candidates
  are under 10% of all candidates, where ranking matters most.
- The default days (2025-05-15 on) are those with the most primary categories of useful size: from
  2025-09 on the file has only four to seven primary categories.
- Upvotes of a two-category user are drawn from the union, so mostly from the larger category.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.svm import LinearSVC

from arxiv_sanity import tfidf_vectorizer
from dailypapers.papers.records import PaperRecord
from dailypapers.recommend import feed
from dailypapers.recommend.feed import Candidate, CandidatePool, Interests
from dailypapers.search.embedding import Vectors, default_embedder, paper_text

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-listings.jsonl.gz"
TOP = 10
UPVOTES = (5, 20)
MIN_CANDIDATES = TOP
HISTORY_SHARE = 2 / 3
#: Users whose relevant candidates are under this share of all candidates are "rare".
RARE_SHARE = 0.10
EMBED_CHUNK = 320
SAVE_EVERY = 1_000
TFIDF_SVM_C = 0.01
EMBED_SVM_C = 0.01

Indices = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Paper:
    id: str
    listed: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]

    @property
    def primary(self) -> str:
        return self.categories[0]


@dataclass(frozen=True)
class User:
    interest: frozenset[str]
    #: History indices of the 20 upvotes; the 5-upvote case is the first 5.
    upvotes: list[int]
    #: Whether each candidate is relevant.
    relevant: npt.NDArray[np.bool_]


@dataclass
class Corpus:
    history: list[Paper]
    candidates: list[Paper]
    #: (history, candidates) tf-idf rows, uncapped and with arxiv-sanity-lite's caps.
    tfidf: dict[str, tuple[sparse.csr_matrix, sparse.csr_matrix]]
    embedded_history: Vectors
    embedded_candidates: Vectors
    vectors: dict[str, Vectors]
    candidate_objects: list[Candidate]
    history_objects: list[Candidate]
    position: dict[str, int]


#: A method: the user's upvoted history indices and the user's rng, to the top candidates' indices.
Method = Callable[[list[int], random.Random], Sequence[int]]


def paper_of(raw: dict[str, Any]) -> Paper:
    """A line of the shared file, normalised as the site stores it."""
    record = PaperRecord.build(
        id=raw["id"],
        title=raw["title"],
        authors=raw["authors"],
        abstract=raw["abstract"],
        categories=raw["categories"],
    )
    return Paper(
        record.id, raw["listed"], record.title, record.abstract, list(record.authors), list(record.categories)
    )


def load_days(since: str, count: int) -> list[Paper]:
    """Whole listing days from ``since`` on, until at least ``count`` papers; normalised as stored."""
    if not SHARED.exists():
        sys.exit(f"{SHARED} is absent: this benchmark needs the real papers (65,200 arXiv listings)")
    papers: list[Paper] = []
    seen: set[str] = set()
    with gzip.open(SHARED, "rt") as f:
        for line in f:
            raw = json.loads(line)
            if raw["listed"] < since or raw["id"] in seen:
                continue
            if len(papers) >= count and raw["listed"] != papers[-1].listed:
                break
            seen.add(raw["id"])
            papers.append(paper_of(raw))
    if len(papers) < count:
        sys.exit(f"only {len(papers):,} papers are listed from {since} on; ask for fewer or start earlier")
    return papers


def split(papers: list[Paper]) -> tuple[list[Paper], list[Paper]]:
    """History: the days before the one holding the paper at 2/3 of the sample; candidates: the rest."""
    cut_day = papers[int(len(papers) * HISTORY_SHARE)].listed
    return [p for p in papers if p.listed < cut_day], [p for p in papers if p.listed >= cut_day]


def embed_all(papers: list[Paper], cache: Path) -> dict[str, Vectors]:
    """The product's vector of each paper, from the cache when it has it; the cache grows as it goes."""
    embedder = default_embedder()
    vectors: dict[str, Vectors] = {}
    if cache.exists():
        with np.load(cache) as stored:
            if str(stored["model"]) == embedder.name:
                vectors = dict(zip(stored["ids"].tolist(), stored["vectors"], strict=True))
    missing = [p for p in papers if p.id not in vectors]
    print(f"vectors: {len(papers) - len(missing):,} cached in {cache}, {len(missing):,} to embed", flush=True)

    def save() -> None:
        ids = sorted(vectors)
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial.npz")
        np.savez(
            partial,
            model=np.array(embedder.name),
            ids=np.array(ids),
            vectors=np.vstack([vectors[i] for i in ids]),
        )
        partial.replace(cache)

    start, unsaved = time.perf_counter(), 0
    for first in range(0, len(missing), EMBED_CHUNK):
        chunk = missing[first : first + EMBED_CHUNK]
        rows = embedder.embed([paper_text(p.title, p.abstract) for p in chunk])
        vectors.update(zip((p.id for p in chunk), rows, strict=True))
        unsaved += len(chunk)
        done = first + len(chunk)
        rate = done / (time.perf_counter() - start)
        left = (len(missing) - done) / rate
        print(
            f"  embedded {done:,}/{len(missing):,}, {rate:.1f} papers/s, ~{left / 60:.1f} min left",
            flush=True,
        )
        if unsaved >= SAVE_EVERY or done == len(missing):
            save()
            unsaved = 0
    return {p.id: vectors[p.id] for p in papers}


def make_users(
    history: list[Paper], candidates: list[Paper], count: int, seed: int
) -> tuple[list[User], list[str]]:
    in_history = Counter(p.primary for p in history)
    in_candidates = Counter(p.primary for p in candidates)
    eligible = sorted(
        c for c in in_history if in_history[c] >= max(UPVOTES) and in_candidates[c] >= MIN_CANDIDATES
    )
    if len(eligible) < 2:
        sys.exit(f"only {len(eligible)} primary categories are large enough: ask for more --papers")
    rng = random.Random(seed)
    primaries = np.array([p.primary for p in candidates])
    users = []
    for _ in range(count):
        interest = frozenset(rng.sample(eligible, rng.choice((1, 2))))
        pool = [i for i, p in enumerate(history) if p.primary in interest]
        users.append(User(interest, rng.sample(pool, max(UPVOTES)), np.isin(primaries, list(interest))))
    return users, eligible


def tfidf(papers: list[Paper], *, capped: bool) -> sparse.csr_matrix:
    """arxiv-sanity-lite's tf-idf over title and abstract, with or without its caps."""
    return tfidf_vectorizer(capped=capped).fit_transform([f"{p.title} {p.abstract}" for p in papers]).tocsr()


def top(scores: npt.NDArray[np.floating], limit: int = TOP) -> Indices:
    return np.argsort(-scores, kind="stable")[:limit]


@contextmanager
def patched(**weights: float) -> Iterator[None]:
    """Set feed's module constants (e.g. HABIT_WEIGHT=0) for the duration, then restore them."""
    saved = {name: getattr(feed, name) for name in weights}
    for name, value in weights.items():
        setattr(feed, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(feed, name, value)


def methods(corpus: Corpus) -> dict[str, Method]:
    n_history = len(corpus.history)

    def labels(upvoted: list[int]) -> npt.NDArray[np.int_]:
        y = np.zeros(n_history, dtype=int)
        y[upvoted] = 1
        return y

    def random_order(upvoted: list[int], rng: random.Random) -> Sequence[int]:
        return rng.sample(range(len(corpus.candidates)), TOP)

    def tfidf_svm(variant: str) -> Method:
        history, candidates = corpus.tfidf[variant]

        def ranked(upvoted: list[int], rng: random.Random) -> Sequence[int]:
            svm = LinearSVC(C=TFIDF_SVM_C, class_weight="balanced", max_iter=10_000, tol=1e-6)
            svm.fit(history, labels(upvoted))
            return top(svm.decision_function(candidates))

        return ranked

    def embed_svm(upvoted: list[int], rng: random.Random) -> Sequence[int]:
        svm = LinearSVC(C=EMBED_SVM_C, class_weight="balanced", max_iter=10_000, tol=1e-6)
        svm.fit(corpus.embedded_history, labels(upvoted))
        return top(svm.decision_function(corpus.embedded_candidates))

    def centroid(upvoted: list[int], rng: random.Random) -> Sequence[int]:
        return top(corpus.embedded_candidates @ corpus.embedded_history[upvoted].mean(axis=0))

    pool = CandidatePool(corpus.candidate_objects)

    def product(**weights: float) -> Method:
        def ranked(upvoted: list[int], rng: random.Random) -> Sequence[int]:
            liked = [corpus.history_objects[i] for i in upvoted]
            interests = Interests(upvoted=[c.paper_id for c in liked])
            with patched(**weights):
                picks = pool.rank(interests, liked, limit=TOP)
            return [corpus.position[pick.paper_id] for pick in picks]

        return ranked

    by_meaning = {"embed+svm": embed_svm, "centroid": centroid} if corpus.vectors else {}
    return {
        "random": random_order,
        "tfidf+svm": tfidf_svm("uncapped"),
        "tfidf+svm, caps": tfidf_svm("capped"),
        **by_meaning,
        "feed.rank": product(),
        "rank, habit=0": product(HABIT_WEIGHT=0.0),
    }


def paired(a: list[float], b: list[float]) -> tuple[float, float]:
    """Mean of a - b and the half-width of its 95% normal interval."""
    diff = np.array(a) - np.array(b)
    return float(diff.mean()), float(1.96 * diff.std(ddof=1) / math.sqrt(len(diff)))


def verdict(name: str, product: list[float], baseline: list[float]) -> str:
    mean, half = paired(product, baseline)
    word = "beats" if mean - half > 0 else "loses to" if mean + half < 0 else "ties"
    return f"{word} {name} ({mean:+.3f} ± {half:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=6_000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--since", default="2025-05-15", help="first listing day of the sample")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/recommend-quality-vectors.npz"))
    parser.add_argument("--no-embed", action="store_true", help="skip the rows that need vectors")
    args = parser.parse_args()

    start = time.perf_counter()
    papers = load_days(args.since, args.papers)
    history, candidates = split(papers)
    # The feed sees candidates in no particular order: shuffle once so ties do not follow listing order.
    random.Random(args.seed).shuffle(candidates)
    print(
        f"papers: {len(papers):,} listed {papers[0].listed} to {papers[-1].listed}; "
        f"history {len(history):,} (to {history[-1].listed}), "
        f"candidates {len(candidates):,} (from {min(p.listed for p in candidates)})"
    )
    users, eligible = make_users(history, candidates, args.users, args.seed)
    print(f"users: {len(users)}, interests among {len(eligible)} primary categories: {', '.join(eligible)}")
    vectors = {} if args.no_embed else embed_all(papers, args.cache)
    print(f"[{time.perf_counter() - start:6.1f} s] papers read and embedded", flush=True)
    dimensions = len(next(iter(vectors.values()))) if vectors else 0

    matrices = {}
    for variant in ("uncapped", "capped"):
        matrix = tfidf(history + candidates, capped=variant == "capped")
        matrices[variant] = (matrix[: len(history)], matrix[len(history) :])
        print(f"[{time.perf_counter() - start:6.1f} s] tf-idf {variant}: {matrix.shape[1]:,} features")
    corpus = Corpus(
        history=history,
        candidates=candidates,
        tfidf=matrices,
        embedded_history=np.vstack([vectors[p.id] for p in history])
        if vectors
        else np.zeros((0, dimensions), np.float32),
        embedded_candidates=(
            np.vstack([vectors[p.id] for p in candidates])
            if vectors
            else np.zeros((0, dimensions), np.float32)
        ),
        vectors=vectors,
        # No author names: readers here are categories, and the feed's co-author signal would only add
        # the chance that two random papers share an author.
        candidate_objects=[Candidate(p.id, p.title, p.abstract, p.categories, ()) for p in candidates],
        history_objects=[Candidate(p.id, p.title, p.abstract, p.categories, ()) for p in history],
        position={p.id: i for i, p in enumerate(candidates)},
    )

    ranking = methods(corpus)
    precision: dict[tuple[str, int], list[float]] = {(name, k): [] for name in ranking for k in UPVOTES}
    seconds = {(name, k): 0.0 for name in ranking for k in UPVOTES}
    for u, user in enumerate(users):
        for k in UPVOTES:
            upvoted = user.upvotes[:k]
            for name, method in ranking.items():
                rng = random.Random(args.seed * 1_000_003 + u)
                began = time.perf_counter()
                picked = method(upvoted, rng)
                seconds[name, k] += time.perf_counter() - began
                precision[name, k].append(float(user.relevant[list(picked)].sum()) / TOP)
        if (u + 1) % 50 == 0 or u + 1 == len(users):
            print(f"[{time.perf_counter() - start:6.1f} s] {u + 1}/{len(users)} users ranked", flush=True)

    rare = [u for u, user in enumerate(users) if user.relevant.mean() < RARE_SHARE]
    base = float(np.mean([user.relevant.mean() for user in users]))
    print(
        f"\nprecision@{TOP}, mean over {len(users)} users (relevant share of candidates {base:.3f}); "
        f"rare = the {len(rare)} users whose relevant share is under {RARE_SHARE:.0%}"
    )
    header = ("5 up", "20 up", "5 rare", "20 rare", "ms/user 5", "ms/user 20")
    print(
        f"{'method':<18} " + " ".join(f"{h:>{w}}" for h, w in zip(header, (6, 6, 7, 8, 10, 11), strict=True))
    )
    for name in ranking:
        p5, p20 = precision[name, 5], precision[name, 20]
        r5 = np.mean([p5[u] for u in rare]) if rare else math.nan
        r20 = np.mean([p20[u] for u in rare]) if rare else math.nan
        ms5, ms20 = (1000 * seconds[name, k] / len(users) for k in UPVOTES)
        print(
            f"{name:<18} {np.mean(p5):6.3f} {np.mean(p20):6.3f} {r5:7.3f} {r20:8.3f} {ms5:10.1f} {ms20:11.1f}"
        )
    print("(ms/user: wall time on a shared, noisy 2-core machine; for the SVMs it includes the fit)")
    for k in UPVOTES:
        product = precision["feed.rank", k]
        against = [verdict("tf-idf+SVM", product, precision["tfidf+svm", k])]
        if ("embed+svm", k) in precision:
            against.append(verdict("embeddings+SVM", product, precision["embed+svm", k]))
        print(
            f"at {k:>2} upvotes the product's feed {' and '.join(against)} "
            "(paired mean difference in precision@10, 95% interval)"
        )


if __name__ == "__main__":
    main()
