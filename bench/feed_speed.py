"""How fast a member's "for you" feed ranks 14 days of a full arXiv (12,000 real papers).

Usage: python bench/feed_speed.py [--candidates 12000] [--members 60] [--upvotes 20]

The candidates are the newest --candidates papers of ../shared/data/arxiv-listings.jsonl.gz (title,
abstract, authors, categories, comments as stored); each member upvoted --upvotes papers drawn from the
papers listed before them, follows three authors and a category (seeded). Timed, one member at a time:
- feed.rank now: ``CandidatePool.rank(..., limit=30)`` over a pool built once (as /for-you and the digest
  keep it), which weighs the words of the member's upvotes and scores every candidate: a member's first
  feed (their upvotes' words counted) and the next one (found counted); the pool's build time and memory
  are printed too (paid once per window, or once per digest edition);
- feed.rank before (the baseline, git 9181407): the per-member ridge classifier over 384-d vectors that
  the feed used until now, given random unit vectors (its cost does not depend on their values; embedding
  12,000 papers here would take most of an hour).
Wall times on a shared, noisy two-core machine: read them beside each other.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from dailypapers.recommend.feed import Candidate, CandidatePool, Interests
from recommend_quality import SHARED

#: The feed before this change, the baseline timed beside it.
BEFORE = "9181407"
DIMENSIONS = 384
LIMIT = 30


def load(count: int) -> tuple[list[Candidate], list[Candidate]]:
    """The newest ``count`` papers as candidates, and the papers listed before them."""
    if not SHARED.exists():
        sys.exit(f"{SHARED} is absent: this benchmark needs the real papers")
    with gzip.open(SHARED, "rt") as f:
        rows = sorted((json.loads(line) for line in f), key=lambda raw: (raw["listed"], raw["id"]))
    papers = [
        Candidate(
            raw["id"],
            raw["title"],
            raw["abstract"],
            raw["categories"],
            raw["authors"],
            raw.get("comment") or "",
        )
        for raw in rows
    ]
    return papers[-count:], papers[:-count]


def feed_before() -> ModuleType:
    """recommend/feed.py as it was at BEFORE, imported under another name."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:src/dailypapers/recommend/feed.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    spec = importlib.util.spec_from_loader("feed_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    exec(compile(source, "feed_before.py", "exec"), module.__dict__)
    return module


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - began))
    return times


def line(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"  {name:<26} p50 {statistics.median(times):7.1f} ms   p99 {p99:7.1f} ms   ({len(times)} members)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=12_000)
    parser.add_argument("--members", type=int, default=60)
    parser.add_argument("--upvotes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    candidates, earlier = load(args.candidates)
    rng = random.Random(args.seed)
    members = []
    for _ in range(args.members):
        upvoted = rng.sample(earlier, args.upvotes)
        authors = rng.sample([a for paper in upvoted for a in paper.authors], 3)
        members.append((Interests([p.paper_id for p in upvoted], ["cs.CL"], authors), upvoted))
    print(f"{len(candidates):,} candidates listed {candidates[0].paper_id} .. {candidates[-1].paper_id}")

    began = time.perf_counter()
    pool = CandidatePool(candidates)
    built = time.perf_counter() - began
    # Memory from a second build, traced (tracing slows the building it watches).
    tracemalloc.start()
    traced = CandidatePool(candidates)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del traced
    print(
        f"pool built in {built:.1f} s (once per window or edition): it holds {kept / 2**20:.0f} MiB, "
        f"{peak / 2**20:.0f} MiB at the peak of its building"
    )

    old = feed_before()
    rows = np.random.default_rng(args.seed).standard_normal((len(candidates) + len(earlier), DIMENSIONS))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    ids = [c.paper_id for c in candidates + earlier]
    vectors = dict(zip(ids, rows.astype(np.float32), strict=True))
    old_candidates = [old.Candidate(c.paper_id, c.title, c.categories, c.authors) for c in candidates]

    first, again, before = [], [], []
    for interests, upvoted in members:
        # A member's first feed counts the words of their upvotes; later ones find them counted.
        first += timed(lambda: pool.rank(interests, upvoted, limit=LIMIT), 1)  # noqa: B023 (called at once)
        again += timed(lambda: pool.rank(interests, upvoted, limit=LIMIT), 1)  # noqa: B023
        old_interests = old.Interests(interests.upvoted, interests.categories, interests.authors)
        old_upvoted = [old.Candidate(c.paper_id, c.title, c.categories, c.authors) for c in upvoted]
        before += timed(
            lambda: old.rank(old_interests, old_candidates, vectors, old_upvoted, limit=LIMIT),  # noqa: B023
            1,
        )
    print(f"a member's feed over {len(candidates):,} candidates, {args.upvotes} upvotes, top {LIMIT}:")
    print(line("feed.rank, first feed", first))
    print(line("feed.rank, feeds after", again))
    print(line(f"feed.rank before ({BEFORE})", before))


if __name__ == "__main__":
    main()
