"""Embedding throughput and memory: papers/s, peak memory and quality loss of each way to run the model.

Usage: python bench/embedding_speed.py [--speed-papers 256] [--catalog 2000] [--rounds 2] [--cache DIR]

Why (issue 18): backfilling a catalog is bound by the model (about 23 papers/s on two cores when
idle), and `dailypapers index` held 3 GB while embedding. Every option below runs on the same real
papers in the same run, beside today's embedder:

  today        the embedder of commit 9181407 (read with `git show`): attention as separate ONNX
               nodes, onnxruntime's memory arena, batches of 32 texts, 256 tokens
  fused        this checkout's embedder at today's settings: attention as onnxruntime's fused
               operator, no memory arena, batches of at most 4096 padded tokens (2048 or 8192)
  int8         that graph with int8 weights per output column and each layer's input quantised as
               it comes (onnxruntime's dynamic quantisation; the same vectors as its
               quantize_dynamic(per_channel=True, reduce_range=True) to a cosine of 0.9999998)
  192, 128     texts cut at 192 or 128 tokens instead of 256 (128: the length the model was trained
               at; the median paper is 281 tokens); 2048-token batches, float32 unless "+ int8"
  (chosen)     the settings default_embedder uses

Speed and memory: each option runs in a fresh child process (so its peak resident memory is its
own: model load plus embedding) and embeds --speed-papers papers in one call, as `dailypapers index`
does per batch; rounds interleave the options, and the best round counts. papers/s is wall time on a
machine other agents may share; papers per CPU-second is steadier (both cores busy: about twice it).

Quality, against today's vectors: the options that compute the same function are compared on the
speed papers (largest difference of any coordinate). The others embed a catalog of --catalog papers
(a seeded sample of those listed from 2026-03-01 on, the later split; options were first tried on a
random sample of all days) and report the cosine to today's vector of each paper (mean and 5th
percentile), the overlap of each paper's 10 nearest neighbours with today's (what "similar papers"
and the personal feed build on), and known-item MRR@10 by meaning only (exact cosine over the
catalog) of three query kinds: the title, its first four words that are not stop words, and one
sentence drawn from the abstract (a sentence near the end tells how much a shorter input loses).
Beside them, two measures that need no reference: of each paper's 10 nearest neighbours, the share
in its primary category and the share with an author in common. Vectors are cached in --cache by
option, catalog and seed, so a second run only times.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import multiprocessing
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from dailypapers.papers.records import PaperRecord
from dailypapers.search.embedding import BATCH_TOKENS, Embedder, MiniLM, Vectors, model_directory, paper_text

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-listings.jsonl.gz"
TODAY_COMMIT = "9181407"


@dataclass(frozen=True)
class Option:
    label: str
    key: str
    max_tokens: int = 256
    batch_tokens: int = BATCH_TOKENS
    int8: bool = False
    today: bool = False
    #: Computes the same function as today's embedder, so only the speed papers are compared.
    same_function: bool = False


OPTIONS = [
    Option("today (9181407)", "today", today=True, same_function=True),
    Option("fused, no arena, 4096-token", "fused", batch_tokens=4096, same_function=True),
    Option("  same, 2048-token batches", "batch2048", batch_tokens=2048, same_function=True),
    Option("  same, 8192-token batches", "batch8192", batch_tokens=8192, same_function=True),
    Option("int8", "int8", int8=True),
    Option("192 tokens", "t192", max_tokens=192),
    Option("192 tokens + int8", "t192-int8", max_tokens=192, int8=True),
    Option("128 tokens", "t128", max_tokens=128),
    Option("128 tokens + int8 (chosen)", "t128-int8", max_tokens=128, int8=True),
]


def load_papers(count: int, seed: int, since: str = "2026-03-01") -> list[PaperRecord]:
    """A seeded sample of the papers listed from ``since`` on, normalised as stored."""
    if not SHARED.exists():
        sys.exit(f"{SHARED} is absent: this benchmark needs the real papers (65,200 arXiv listings)")
    with gzip.open(SHARED, "rt") as f:
        pool = [raw for raw in map(json.loads, f) if raw["listed"] >= since]
    return [
        PaperRecord.build(
            id=raw["id"],
            title=raw["title"],
            authors=raw["authors"],
            abstract=raw["abstract"],
            categories=raw["categories"],
        )
        for raw in random.Random(seed).sample(pool, count)
    ]


def queries(papers: list[PaperRecord], seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    titles = [paper.title for paper in papers]
    short = []
    for title in titles:
        words = [word for word in re.findall(r"[\w-]+", title) if word.lower() not in ENGLISH_STOP_WORDS]
        short.append(" ".join(words[:4]))
    sentences = []
    for paper in papers:
        abstract = paper.abstract or ""
        whole = [s for s in re.split(r"(?<=[.!?])\s+", abstract) if len(s.split()) >= 6] or [abstract]
        sentences.append(rng.choice(whole))
    return {"title": titles, "short title": short, "abstract sentence": sentences}


def today_module(cache: Path) -> Any:
    """embedding.py as of TODAY_COMMIT, imported under another name."""
    source = cache / f"embedding_{TODAY_COMMIT}.py"
    if not source.exists():
        path = f"{TODAY_COMMIT}:src/dailypapers/search/embedding.py"
        source.write_text(
            subprocess.run(
                ["git", "show", path],
                capture_output=True,
                text=True,
                check=True,
                cwd=Path(__file__).parents[1],
            ).stdout
        )
    spec = importlib.util.spec_from_file_location("embedding_today", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(option: Option, cache: Path) -> Embedder:
    if option.today:
        return today_module(cache).MiniLM(model_directory())  # type: ignore[no-any-return]
    return MiniLM(
        model_directory(), max_tokens=option.max_tokens, int8=option.int8, batch_tokens=option.batch_tokens
    )


def peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def run_option(option: Option, texts: list[str], cache: Path, work: dict[str, list[str]]) -> dict[str, Any]:
    """In a child process: time ``texts`` and note the peak memory, then embed ``work`` (cached)."""
    embedder = build(option, cache)
    embedder.embed(["warm up"])
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.embed(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    measured = {"wall": wall, "cpu": cpu, "peak": peak_rss_mb(), "vectors": vectors}
    for name, items in work.items():
        measured[name] = embedder.embed(items)
    return measured


def neighbours(vectors: Vectors, k: int = 10) -> np.ndarray:
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    return np.argpartition(-similarity, k, axis=1)[:, :k]


def mrr_at_10(query_vectors: Vectors, catalog: Vectors) -> float:
    """Query i is looking for catalog paper i."""
    similarity = query_vectors @ catalog.T
    rank = (similarity > np.diag(similarity)[:, None]).sum(axis=1)
    return float(np.where(rank < 10, 1 / (rank + 1), 0).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speed-papers", type=int, default=256)
    parser.add_argument("--catalog", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/dailypapers-embedding-bench"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    papers = load_papers(args.catalog, args.seed)
    catalog = [paper_text(paper.title, paper.abstract or "") for paper in papers]
    query_sets = queries(papers, args.seed)
    speed_texts = catalog[: args.speed_papers]
    print(f"{len(speed_texts)} papers timed per option, {len(catalog)} in the quality catalog")
    context = multiprocessing.get_context("spawn")
    timings: dict[str, list[dict[str, Any]]] = {option.key: [] for option in OPTIONS}
    stored: dict[str, dict[str, Vectors]] = {}
    for round_number in range(args.rounds):
        for option in OPTIONS:
            cached = args.cache / f"{option.key}-{args.catalog}-{args.seed}.npz"
            compared = option.today or not option.same_function
            work = {"catalog": catalog, **query_sets} if compared and not cached.exists() else {}
            with context.Pool(1) as pool:
                measured = pool.apply(run_option, (option, speed_texts, args.cache, work))
            timings[option.key].append(measured)
            if work:
                np.savez(cached, **{name: measured[name] for name in work})
            if cached.exists() and option.key not in stored:
                with np.load(cached) as saved:
                    stored[option.key] = dict(saved)
            rate = len(speed_texts) / measured["wall"]
            print(f"  round {round_number + 1} {option.label}: {rate:.1f} papers/s", flush=True)
    report(timings, stored, len(speed_texts), papers)


def agreement(vectors: Vectors, papers: list[PaperRecord]) -> tuple[float, float]:
    """Of each paper's 10 nearest neighbours, the share in its primary category and the share with
    an author in common: what the vectors get right without asking today's vectors."""
    found = neighbours(vectors)
    primary = np.array([paper.categories[0] for paper in papers])
    authors = [set(paper.authors) for paper in papers]
    same_category = (primary[found] == primary[:, None]).mean()
    coauthors = np.mean([[bool(authors[i] & authors[j]) for j in row] for i, row in enumerate(found)])
    return float(same_category), float(coauthors)


def report(
    timings: dict[str, list[dict[str, Any]]],
    stored: dict[str, dict[str, Vectors]],
    count: int,
    papers: list[PaperRecord],
) -> None:
    today_vectors = timings["today"][0]["vectors"]
    best = {key: min(runs, key=lambda run: run["wall"]) for key, runs in timings.items()}
    today_wall, today_cpu = count / best["today"]["wall"], count / best["today"]["cpu"]
    reference = stored["today"]
    reference_neighbours = neighbours(reference["catalog"])
    kinds = [name for name in reference if name != "catalog"]
    print()
    header = (
        f"{'option':28} {'papers/s':>8} {'x':>5} {'/CPU-s':>7} {'x':>5} {'peak MB':>8}  loss against today"
    )
    print(header)
    for option in OPTIONS:
        run = best[option.key]
        wall, cpu = count / run["wall"], count / run["cpu"]
        speed = f"{wall:8.1f} {wall / today_wall:5.2f} {cpu:7.1f} {cpu / today_cpu:5.2f} {run['peak']:8.0f}"
        if option.same_function:
            difference = np.abs(timings[option.key][0]["vectors"] - today_vectors).max()
            print(f"{option.label:28} {speed}  same function: largest difference {difference:.1e}")
            continue
        vectors = stored[option.key]
        cosine = (vectors["catalog"] * reference["catalog"]).sum(axis=1)
        found = neighbours(vectors["catalog"])
        overlap = np.mean(
            [len(set(a) & set(b)) / 10 for a, b in zip(found, reference_neighbours, strict=True)]
        )
        print(
            f"{option.label:28} {speed}  cosine mean {cosine.mean():.4f}, "
            f"5th pct {np.percentile(cosine, 5):.4f}; top-10 overlap {overlap:.3f}"
        )
    print("\nknown-item MRR@10 by meaning only, each query kind against the catalog; of the 10 nearest")
    print("neighbours, the share in the paper's primary category and the share with an author in common:")
    print(f"{'option':28} " + " ".join(f"{kind:>18}" for kind in [*kinds, "same category", "co-author"]))
    for option in OPTIONS:
        if option.key in stored:
            vectors = stored[option.key]
            scores = [mrr_at_10(vectors[kind], vectors["catalog"]) for kind in kinds]
            scores += agreement(vectors["catalog"], papers)
            print(f"{option.label:28} " + " ".join(f"{score:18.3f}" for score in scores))


if __name__ == "__main__":
    main()
