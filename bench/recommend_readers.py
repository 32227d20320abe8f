"""Personal feed quality on real readers: authors, their early papers upvoted, their later ones wanted.

Usage: python bench/recommend_readers.py [--tune] [--meaning] [--split tuning|report|both] [--cache /tmp]

Readers (issue 18): from ../shared/data/arxiv-listings.jsonl.gz only, split by time at a cut day. The
candidates are every paper listed in the month from the cut day; a reader is an author with at least k
papers listed before the cut and one or more among the candidates; their earliest k papers are their
upvotes (k = 5 and 20, readers drawn separately for each k), and the candidates they wrote are the papers
they want. Per reader: P@10, R@50 (of their wanted candidates, the share in the top 50) and MRR (of the
first wanted candidate in the whole ranking), averaged over readers, with the paired 95% normal interval
of the feed's difference to the baseline on the same readers.
  tuning split  cut 2025-10-01, candidates October 2025 (4,732 papers), 200 readers at 5 upvotes and 150
                at 20, drawn with seed 1; every choice of the feed was made here;
  report split  cut 2026-02-01, candidates February 2026 (3,969 papers), 400 readers at 5 and 300 at 20,
                drawn with seed 2 among authors who are no tuning reader.

Settings, reported separately:
  content only                 no author names reach either ranker (the feed's candidates and upvotes
                               carry no authors; the baseline's text is title and abstract);
  with the reader's own signals  the authors of the reader's upvotes reach the feed as those papers'
                               authors (its co-author signal: soft follows, weighed by how many upvotes
                               each wrote), and the baseline's text is arxiv-sanity-lite's own (title,
                               abstract, author names). The reader's own name is left out of both: a
                               real reader is rarely the author of what they want, while here every
                               wanted paper carries the reader's name, so keeping it would measure the
                               simulation, not the feed (the feed gets the upvotes without that name;
                               the baseline gets the words of that name zeroed in every paper);
  ... with not interested      the reader looks at each ranker's top 10 and dismisses the papers there
                               they do not want, at most 3, the highest-ranked first; the feed ranks again
                               with them as "not interested", the baseline (which has no such signal)
                               drops them from its ranking. Either way they leave the list.

Baseline: arxiv-sanity-lite as its compute.py and serve.py fit it: bench/arxiv_sanity.py's TfidfVectorizer
(uncapped: without its 20,000-word and 10% caps, which lost on the tuning split: P@10 0.019/0.028 at 5/20
upvotes against 0.023/0.035) over every paper of the split (candidates and all readers' upvotes), then
per reader LinearSVC(class_weight="balanced", max_iter=1_000_000, tol=1e-6, C=0.01) with the reader's
upvotes positive and every other paper negative, candidates ranked by its decision function. Its scores
are kept in --cache per split (the fits take about half an hour on the busy machine).

The feed: dailypapers.recommend.feed.CandidatePool over the month's candidates (built once per split
and setting, as the site builds one per 14-day window), .scores(Interests(upvoted, dismissed), ...).
Choices, each measured on the tuning split (P@10 at 5 / 20 upvotes; --tune prints the grid again):
- words: tf-idf of words and word pairs (lexical.py) over title, abstract and the authors' comments;
  the comments, which often name a group's project page or code, took P@10 at 20 upvotes from 0.037 to
  0.043 (an exploration with sklearn's vectorizer, same weighting).
- no meaning signal (--meaning prints the grid): the meaning model's closeness to the upvotes
  (default_embedder(), all-MiniLM-L6-v2-128t-int8, vectors kept in --cache by model name), standardised
  and added to the words with weight 0.1 to 1 as the mean squared cosine, the closest upvote, the
  closest 3 or a soft maximum, moved P@10 by at most +0.0020 at 5 upvotes and +0.0013 ± 0.0018 at 20
  (the closest upvote at 0.25: 0.0240/0.0427 against the words' 0.0235/0.0413), and R@50 at 5 fell in
  every one (0.2415-0.2558 against 0.2589); at weight 1 P@10 at 20 fell to 0.0373-0.0407. In an
  exploration the meaning alone gave 0.0125-0.0165 / 0.0100-0.0213, reciprocal-rank fusion with the
  words 0.0180-0.0245 / 0.0253-0.0373, and reranking the words' top 30 or 100 by the closest upvote at
  most the words' 0.0413 at 20. The words already hold what MiniLM's 128 tokens see of a paper;
  ../shared/notes/verified-stack.md found the same for LinearSVC on tf-idf + MiniLM. Checked once on the
  report split, the closest upvote at 0.25 gave 0.0220/0.0230 against the words' 0.0222/0.0233 (ΔP@10
  at 20 -0.0003 ± 0.0011).
- the idf raised to the power 1.5 (lexical.IDF_POWER): 1 gave 0.0235/0.0413, 1.5 0.0230/0.0447, 2
  0.0235/0.0420, 3 0.0225/0.0380 (an exploration patching lexical's weighing). On the report split,
  1.5 took P@10/R@50/MRR at 20 upvotes from 0.0233/0.1984/0.1363 to 0.0253/0.2098/0.1469. Tried and
  not kept (tuning split, at 5 / 20 upvotes): subtracting each candidate's typicality (its cosine to
  the window's centroid) or its hubness (mean cosine to its 10 or 50 nearest of 1,000 candidates), at
  most 0.0245/0.0433; a CSLS-like cosine less half the candidate's hubness, 0.0235/0.0447 with R@50 at
  5 down to 0.2431; the SVM's own scores added to the feed's (weights 0.25-2), 0.0230-0.0240 /
  0.0393-0.0407; later upvotes weighed more (exponential by order), at most 0.0250/0.0407.
- taste as the mean of the squared cosines to each upvote (TASTE_POWER 2): 1 gave 0.0265/0.0300, 2
  0.0235/0.0413, 3 0.0215/0.0400. The closeness to the mean of the upvotes, with or without the
  window's mean subtracted (Rocchio), a hard-negative Rocchio (the 20-400 closest candidates as
  negatives), the closest upvote alone or the closest three, and pseudo-relevance feedback (the top 3 or
  10 candidates as upvotes) were all at or below the baseline in the exploration.
- HABIT_WEIGHT 0.5: 0 to 1 all gave 0.0235/0.0413 (an author's later papers keep the categories their
  words already show); kept for members whose few short upvotes share few words with a paper of their
  category.
- DISMISSED_WEIGHT 0.1: 0 gave 0.0255/0.0467, 0.1 0.0260/0.0480, 0.25 0.0250/0.0467, 0.5 0.0235/0.0427,
  1 0.0220/0.0353 (with not interested). Dismissed here are on-topic papers the reader did not write
  but might read, so a strong push away from them costs.
- UPVOTED_AUTHOR_WEIGHT 30, each author weighed by rarity (as a word's idf) among the candidates: 3 gave
  0.1035/0.1853, 10 0.1130/0.2100, 30 0.1110/0.2153, 100 0.1105/0.2133; without the rarity (an earlier
  run), 10 gave 0.082/0.140 and 100 0.113/0.210.
- FOLLOWED_AUTHOR_WEIGHT 20 (explicit follows, an earlier run with the co-authors of the upvotes passed
  as follows): 1 gave 0.027/0.055, 3 0.036/0.085, 5 0.052/0.102, 8 0.079/0.112, 13 0.087/0.115, 20
  0.090/0.115.

Caveats: names are not people (two authors named "Wei Wang" are one reader here); a reader wants only
their own papers, so an on-topic paper by others counts as unwanted, which bounds P@10 low for every
ranker.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import pickle
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.svm import LinearSVC

from arxiv_sanity import tfidf_vectorizer
from dailypapers.recommend.feed import Candidate, CandidatePool, Interests
from dailypapers.search.embedding import default_embedder, paper_text
from recommend_quality import SHARED, Paper, paper_of, patched

UPVOTES = (5, 20)
TOP = 10
DEPTH = 50
#: At most this many papers dismissed on the first look at the top 10.
DISMISSED = 3
TUNING_DAYS = ("2025-10-01", "2025-11-01")
REPORT_DAYS = ("2026-02-01", "2026-03-01")
#: Readers drawn at each upvote count: as many as fit the machine's time, more on the report split.
TUNING_READERS = {5: 200, 20: 150}
REPORT_READERS = {5: 400, 20: 300}
#: P@10, R@50, MRR of one reader.
Metrics = tuple[float, float, float]


@dataclass(frozen=True)
class Reader:
    name: str
    #: Their papers listed before the cut, earliest first: the first k are the upvotes.
    upvoted: list[str]
    #: Their papers among the candidates.
    wanted: frozenset[str]


@dataclass(frozen=True)
class Split:
    label: str
    cut: str
    end: str
    candidates: list[Paper]
    #: Readers for each upvote count.
    readers: dict[int, list[Reader]]
    papers: dict[str, Paper]

    def papers_needed(self) -> set[str]:
        """Its candidates and every reader's upvotes."""
        ids = {p.id for p in self.candidates}
        for k, readers in self.readers.items():
            for reader in readers:
                ids.update(reader.upvoted[:k])
        return ids


def load_all() -> list[Paper]:
    """Every paper of the shared file, normalised as stored, in listing order."""
    if not SHARED.exists():
        sys.exit(f"{SHARED} is absent: this benchmark needs the real papers (65,200 arXiv listings)")
    with gzip.open(SHARED, "rt") as f:
        papers = [paper_of(json.loads(line)) for line in f]
    papers.sort(key=lambda p: (p.listed, p.id))
    return papers


def make_split(
    papers: list[Paper],
    label: str,
    cut: str,
    end: str,
    sizes: dict[int, int],
    *,
    seed: int,
    excluded: frozenset[str] = frozenset(),
) -> Split:
    """Candidates: every paper listed from ``cut`` to before ``end``; readers: authors with at least k
    papers before the cut and one or more among the candidates, ``sizes[k]`` of them drawn at random."""
    before: dict[str, list[str]] = defaultdict(list)
    after: dict[str, set[str]] = defaultdict(set)
    candidates = []
    for paper in papers:
        if paper.listed < cut:
            for author in paper.authors:
                before[author].append(paper.id)
        elif paper.listed < end:
            candidates.append(paper)
            for author in paper.authors:
                after[author].add(paper.id)
    rng = random.Random(seed)
    readers = {}
    for k, size in sizes.items():
        eligible = sorted(a for a in after if len(before[a]) >= k and a not in excluded)
        chosen = rng.sample(eligible, min(size, len(eligible)))
        readers[k] = [Reader(a, before[a], frozenset(after[a])) for a in sorted(chosen)]
    split = Split(label, cut, end, candidates, readers, {})
    needed = split.papers_needed()
    split.papers.update((p.id, p) for p in papers if p.id in needed)
    return split


#: Papers embedded between two saves of the vector cache: an interrupted run keeps what it embedded.
EMBED_CHUNK = 256


def load_vectors(papers: Sequence[Paper], cache: Path) -> dict[str, npt.NDArray[np.float32]]:
    """The meaning model's vector of each of ``papers`` (title and abstract, as the site embeds them),
    kept in ``cache`` per model name: the shared machine embeds 10-40 papers/s, so each is embedded
    once, in chunks saved as they are done."""
    embedder = default_embedder()
    stored = cache / f"recommend-readers-vectors-{embedder.name}.npz"
    vectors: dict[str, npt.NDArray[np.float32]] = {}
    if stored.exists():
        with np.load(stored) as kept:
            vectors.update(zip(kept["ids"].tolist(), kept["vectors"], strict=True))
    missing = [p for p in papers if p.id not in vectors]
    for start in range(0, len(missing), EMBED_CHUNK):
        chunk = missing[start : start + EMBED_CHUNK]
        vectors.update(
            zip(
                (p.id for p in chunk),
                embedder.embed([paper_text(p.title, p.abstract) for p in chunk]),
                strict=True,
            )
        )
        ids = list(vectors)
        np.savez(stored, ids=np.array(ids), vectors=np.stack([vectors[i] for i in ids]))
        print(f"  {start + len(chunk):,} of {len(missing):,} papers embedded ({embedder.name})", flush=True)
    return {p.id: vectors[p.id] for p in papers}


def load_comments(ids: set[str]) -> dict[str, str]:
    """The authors' comments of ``ids`` (the feed reads them; Paper has none)."""
    comments = {}
    with gzip.open(SHARED, "rt") as f:
        for line in f:
            raw = json.loads(line)
            if raw["id"] in ids:
                comments[raw["id"]] = raw.get("comment") or ""
    return comments


@dataclass(frozen=True)
class Setting:
    """What reaches the rankers: author names or not, and "not interested" clicks or not."""

    label: str
    authors: bool
    negatives: bool


SETTINGS = (
    Setting("content only", authors=False, negatives=False),
    Setting("content only, with not interested", authors=False, negatives=True),
    Setting("with the reader's own signals", authors=True, negatives=False),
    Setting("with the reader's own signals and not interested", authors=True, negatives=True),
)


def own_name_removed(name: str, authors: Sequence[str]) -> list[str]:
    return [author for author in authors if author.casefold() != name.casefold()]


def scores_of_metrics(scores: npt.NDArray[np.floating], wanted: npt.NDArray[np.bool_]) -> Metrics:
    order = np.argsort(-scores, kind="stable")
    hits = wanted[order]
    first = np.flatnonzero(hits)
    return (
        float(hits[:TOP].sum()) / TOP,
        float(hits[:DEPTH].sum()) / float(wanted.sum()),
        1.0 / (first[0] + 1) if len(first) else 0.0,
    )


def dismissals(scores: npt.NDArray[np.floating], wanted: npt.NDArray[np.bool_]) -> list[int]:
    """The rule of the simulated "not interested": on a first look at the top 10, the reader dismisses
    the papers they do not want, at most DISMISSED of them, the highest-ranked first."""
    top = np.argsort(-scores, kind="stable")[:TOP]
    return [int(i) for i in top if not wanted[i]][:DISMISSED]


class Bench:
    """One split's candidates and readers, and the rankers measured on them."""

    def __init__(self, split: Split, comments: dict[str, str], cache: Path) -> None:
        self.split = split
        self.comments = comments
        self.cache = cache
        self.position = {p.id: i for i, p in enumerate(split.candidates)}
        self.pools = {
            authors: CandidatePool([self.candidate(p, authors) for p in split.candidates])
            for authors in (False, True)
        }
        self.svm: dict[bool, dict[tuple[str, int], npt.NDArray[np.float32]]] = {}

    def candidate(self, paper: Paper, authors: bool) -> Candidate:
        return Candidate(
            paper.id,
            paper.title,
            paper.abstract,
            paper.categories,
            paper.authors if authors else (),
            self.comments.get(paper.id, ""),
        )

    def wanted(self, reader: Reader) -> npt.NDArray[np.bool_]:
        mask = np.zeros(len(self.split.candidates), dtype=bool)
        mask[[self.position[i] for i in reader.wanted]] = True
        return mask

    def svm_scores(self, authors: bool) -> dict[tuple[str, int], npt.NDArray[np.float32]]:
        """arxiv-sanity-lite's ranking for every reader: its tf-idf over every paper of the split (the
        candidates and all readers' upvotes), then per reader serve.py's LinearSVC, upvotes positive and
        every other paper negative. With authors, its text is compute.py's (title, abstract, author
        names), with the reader's own name's words zeroed: kept, the reader's name finds their papers."""
        if authors in self.svm:
            return self.svm[authors]
        variant = "authors" if authors else "uncapped"
        stored = self.cache / f"recommend-readers-svm-{self.split.label}-{variant}.pkl"
        if stored.exists():
            self.svm[authors] = pickle.loads(stored.read_bytes())
            return self.svm[authors]
        split = self.split
        candidate_ids = set(self.position)
        corpus = split.candidates + [p for p in split.papers.values() if p.id not in candidate_ids]
        row = {p.id: i for i, p in enumerate(corpus)}
        vectorizer = tfidf_vectorizer(capped=False)
        texts = [
            " ".join([p.title, p.abstract, " ".join(p.authors)]) if authors else f"{p.title} {p.abstract}"
            for p in corpus
        ]
        matrix = vectorizer.fit_transform(texts).tocsr().astype(np.float32)
        analyzer, vocabulary = vectorizer.build_analyzer(), vectorizer.vocabulary_
        scores = {}
        for k, readers in split.readers.items():
            for reader in readers:
                labels = np.zeros(matrix.shape[0])
                labels[[row[i] for i in reader.upvoted[:k]]] = 1
                features = matrix
                if authors:
                    own = [vocabulary[term] for term in analyzer(reader.name) if term in vocabulary]
                    features = matrix.tocsc(copy=True)
                    for column in own:
                        features.data[features.indptr[column] : features.indptr[column + 1]] = 0
                    features = features.tocsr()
                svm = LinearSVC(class_weight="balanced", verbose=False, max_iter=1_000_000, tol=1e-6, C=0.01)
                svm.fit(features, labels)
                scores[reader.name, k] = svm.decision_function(features[: len(split.candidates)]).astype(
                    np.float32
                )
            print(f"  svm ({variant}) fitted for the {len(readers)} readers at {k} upvotes", flush=True)
        stored.write_bytes(pickle.dumps(scores))
        self.svm[authors] = scores
        return scores

    def feed_scores(
        self, reader: Reader, k: int, setting: Setting, dismissed: Sequence[int] = ()
    ) -> np.ndarray:
        """With authors, the co-authors of the reader's upvotes reach the feed as those papers' authors
        (its soft follows), the reader's own name left out: the reader is not a member who follows
        themselves, and their name would find their own papers."""
        upvoted = [self.candidate(self.split.papers[i], setting.authors) for i in reader.upvoted[:k]]
        upvoted = [replace(p, authors=own_name_removed(reader.name, p.authors)) for p in upvoted]
        pool = self.pools[setting.authors]
        not_wanted = [pool.candidates[i] for i in dismissed]
        interests = Interests([p.paper_id for p in upvoted], dismissed=[p.paper_id for p in not_wanted])
        scores: np.ndarray = pool.scores(interests, upvoted, not_wanted).total
        return scores

    def measure(self, setting: Setting) -> dict[tuple[str, int], list[Metrics]]:
        """Each reader's metrics for the baseline and the feed, at each upvote count."""
        svm = self.svm_scores(setting.authors)
        found: dict[tuple[str, int], list[Metrics]] = defaultdict(list)
        for k, readers in self.split.readers.items():
            for reader in readers:
                wanted = self.wanted(reader)
                baseline = svm[reader.name, k].astype(np.float64)
                feed_first = self.feed_scores(reader, k, setting)
                if setting.negatives:
                    baseline = baseline.copy()
                    baseline[dismissals(baseline, wanted)] = -np.inf
                    feed_first = self.feed_scores(reader, k, setting, dismissals(feed_first, wanted))
                found["baseline", k].append(scores_of_metrics(baseline, wanted))
                found["feed", k].append(scores_of_metrics(feed_first, wanted))
        return found


def paired(a: npt.ArrayLike, b: npt.ArrayLike) -> tuple[float, float]:
    """Mean of a - b and the half-width of its 95% normal interval."""
    diff = np.array(a) - np.array(b)
    return float(diff.mean()), float(1.96 * diff.std(ddof=1) / math.sqrt(len(diff)))


def table(bench: Bench, setting: Setting, baseline_name: str) -> list[float]:
    """Print one setting's table; return the feed's P@10 over the baseline's at each upvote count."""
    found = bench.measure(setting)
    print(f"\n  {setting.label}")
    print(
        f"  {'ranker':<34} {'k':>3} {'readers':>7} {'P@10':>7} {'R@50':>7} {'MRR':>7}   feed - baseline (95%)"
    )
    ratios = []
    for k in UPVOTES:
        base, feed_rows = np.array(found["baseline", k]), np.array(found["feed", k])
        for name, rows in ((baseline_name, base), ("feed (recommend.feed)", feed_rows)):
            p, r, m = rows.mean(axis=0)
            line = f"  {name:<34} {k:>3} {len(rows):>7} {p:7.4f} {r:7.4f} {m:7.4f}"
            if rows is feed_rows:
                line += "   " + "  ".join(
                    f"{metric} {mean:+.4f} ± {half:.4f}"
                    for metric, (mean, half) in zip(
                        ("P@10", "R@50", "MRR"),
                        (paired(feed_rows[:, j], base[:, j]) for j in range(3)),
                        strict=True,
                    )
                )
            print(line)
        ratios.append(float(feed_rows[:, 0].mean() / max(base[:, 0].mean(), 1e-9)))
    print(
        "  feed P@10 / baseline P@10: "
        + ", ".join(f"{r:.2f}x at {k}" for r, k in zip(ratios, UPVOTES, strict=True))
    )
    return ratios


#: The choices tried on the tuning split, one constant at a time, each in the setting it acts in.
GRID = (
    ("TASTE_POWER", (1.0, 2.0, 3.0), SETTINGS[0]),
    ("HABIT_WEIGHT", (0.0, 0.25, 0.5, 1.0), SETTINGS[0]),
    ("DISMISSED_WEIGHT", (0.0, 0.1, 0.25, 0.5, 1.0), SETTINGS[1]),
    ("UPVOTED_AUTHOR_WEIGHT", (3.0, 10.0, 30.0, 100.0), SETTINGS[2]),
)


def tune(bench: Bench) -> None:
    """Mean P@10 (over 5 and 20 upvotes) of each choice on the tuning split."""
    print("\ntuning (P@10 of the feed at 5 / 20 upvotes for each value; the others at their settings)")
    for name, values, setting in GRID:
        row = []
        for value in values:
            with patched(**{name: value}):
                found = bench.measure(setting)
            row.append(
                f"{value:g}: {np.mean([m[0] for m in found['feed', 5]]):.4f} / "
                f"{np.mean([m[0] for m in found['feed', 20]]):.4f}"
            )
        print(f"  {name:<24} ({setting.label}): " + "   ".join(row), flush=True)


#: How the meaning model's cosines of a candidate to each upvote (columns) make one closeness.
MEANING_FORMS: dict[str, Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]] = {
    "mean squared cosine": lambda cosines: (np.maximum(cosines, 0) ** 2).mean(axis=1),
    "closest upvote": lambda cosines: cosines.max(axis=1),
    "closest 3 upvotes": lambda cosines: np.sort(cosines, axis=1)[:, -3:].mean(axis=1),
    # A soft maximum: the closest upvotes count most, the others a little (temperature 0.05).
    "soft maximum": lambda cosines: np.log(np.exp((cosines - 1) / 0.05).mean(axis=1)),
}
MEANING_WEIGHTS = (0.1, 0.25, 0.5, 1.0)


def meaning_grid(
    bench: Bench,
    vectors: dict[str, npt.NDArray[np.float32]],
    forms: Sequence[str] = tuple(MEANING_FORMS),
    weights: Sequence[float] = MEANING_WEIGHTS,
) -> None:
    """The feed's scores (content only) plus ``weight`` times a meaning closeness to the upvotes,
    standardised over the candidates as the feed's taste is: P@10 / R@50 / MRR at 5 and 20 upvotes, and
    the paired difference in P@10 at 20 to the words alone."""
    candidates = np.stack([vectors[p.id] for p in bench.split.candidates]).astype(np.float64)
    found: dict[tuple[str, float, int], list[Metrics]] = defaultdict(list)
    for k, readers in bench.split.readers.items():
        for reader in readers:
            wanted = bench.wanted(reader)
            words = bench.feed_scores(reader, k, SETTINGS[0])
            cosines = candidates @ np.stack([vectors[i] for i in reader.upvoted[:k]]).T.astype(np.float64)
            found["words alone (the feed)", 0.0, k].append(scores_of_metrics(words, wanted))
            for form in forms:
                closeness = MEANING_FORMS[form](cosines)
                standardised = (closeness - closeness.mean()) / (closeness.std() + 1e-6)
                for weight in weights:
                    found[form, weight, k].append(scores_of_metrics(words + weight * standardised, wanted))
    words_alone = np.array(found["words alone (the feed)", 0.0, 20])[:, 0]
    print(f"\n  meaning added to the words ({bench.split.label} split, content only)")
    print(
        f"  {'meaning closeness':<24} {'weight':>6}   P@10 / R@50 / MRR at 5   at 20    ΔP@10 at 20 vs words"
    )
    for (form, weight, k), rows in found.items():
        if k == 20:
            at = [np.array(found[form, weight, upvotes]).mean(axis=0) for upvotes in UPVOTES]
            mean, half = paired(np.array(rows)[:, 0], words_alone)
            print(
                f"  {form:<24} {weight:>6g}   "
                + "   ".join(f"{p:.4f} {r:.4f} {m:.4f}" for p, r, m in at)
                + f"   {mean:+.4f} ± {half:.4f}",
                flush=True,
            )


def splits() -> tuple[Split, Split]:
    papers = load_all()
    tuning = make_split(papers, "tuning", *TUNING_DAYS, TUNING_READERS, seed=1)
    taken = frozenset(r.name for readers in tuning.readers.values() for r in readers)
    report = make_split(papers, "report", *REPORT_DAYS, REPORT_READERS, seed=2, excluded=taken)
    return tuning, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp"), help="where the SVM scores are kept")
    parser.add_argument("--tune", action="store_true", help="also try the feed's choices on the tuning split")
    parser.add_argument(
        "--meaning", action="store_true", help="also add the meaning model's closeness (embeds the papers)"
    )
    parser.add_argument("--split", choices=("tuning", "report", "both"), default="both")
    args = parser.parse_args()
    start = time.perf_counter()
    chosen = [s for s in splits() if args.split in (s.label, "both")]
    comments = load_comments({i for s in chosen for i in s.papers_needed()})
    print(f"[{time.perf_counter() - start:5.0f} s] papers read")
    for split in chosen:
        readers = ", ".join(f"{len(r)} at {k} upvotes" for k, r in split.readers.items())
        print(
            f"\n== {split.label} split: candidates every paper listed {split.cut} to before {split.end} "
            f"({len(split.candidates):,}); readers {readers}"
        )
        bench = Bench(split, comments, args.cache)
        print(f"[{time.perf_counter() - start:5.0f} s] candidate pools built")
        if args.tune and split.label == "tuning":
            tune(bench)
        if args.meaning:
            vectors = load_vectors(sorted(split.papers.values(), key=lambda p: p.id), args.cache)
            if split.label == "tuning":
                meaning_grid(bench, vectors)
            else:  # the tuning split's best P@10 at 20 upvotes, checked once here
                meaning_grid(bench, vectors, ["closest upvote"], [0.25])
        for setting in SETTINGS:
            baseline = "tf-idf+LinearSVC" + (" (+author names)" if setting.authors else "")
            table(bench, setting, baseline)
        print(f"[{time.perf_counter() - start:5.0f} s] {split.label} split measured", flush=True)


if __name__ == "__main__":
    main()
