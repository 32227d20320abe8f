"""Snapshot import speed: records/s of a first import and of a re-import, and peak memory.

Usage: python bench/ingest_snapshot.py [--records 200000] [--snapshot FILE]

Without --snapshot it writes a snapshot in arXiv's bulk format (the Kaggle "arXiv Dataset" JSON
lines) built from the real papers of ../shared/data/arxiv-listings.jsonl.gz, repeated under fresh
ids until it holds --records records; if that file is absent it falls back to synthetic text of
realistic lengths and says so. The import runs as the real CLI (`dailypapers ingest snapshot`) in a
child process, so the numbers include everything an operator waits for.

Baselines measured in the same run: reading and JSON-parsing the same file without storing anything
(the floor any importer pays), and a bare sqlite3 executemany of the same rows (the floor of the
database). Targets (issue 3): first import >= 20,000 records/s, re-import >= 50,000 records/s,
peak memory < 500 MB.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-listings.jsonl.gz"
WORDS = [
    "model",
    "learning",
    "data",
    "neural",
    "network",
    "training",
    "method",
    "results",
    "image",
    "language",
    "task",
    "performance",
    "large",
    "approach",
    "propose",
    "show",
    "based",
    "graph",
    "attention",
    "transformer",
    "diffusion",
    "benchmark",
    "robust",
]


def source_papers() -> list[dict[str, object]]:
    if SHARED.exists():
        with gzip.open(SHARED, "rt") as f:
            return [json.loads(line) for line in f]
    print(f"note: {SHARED} is absent; using synthetic text of realistic lengths", file=sys.stderr)
    rng = random.Random(7)
    return [
        {
            "title": " ".join(rng.choices(WORDS, k=12)),
            "authors": [f"Author{rng.randrange(10**6)} Name{i}" for i in range(rng.randint(1, 9))],
            "categories": ["cs.CV", "cs.LG"],
            "comment": "12 pages, 5 figures",
            "abstract": " ".join(rng.choices(WORDS, k=180)),
        }
        for _ in range(5000)
    ]


def write_snapshot(path: Path, count: int) -> None:
    papers = source_papers()
    rng = random.Random(42)
    with path.open("wb") as out:
        for n in range(count):
            paper = papers[n % len(papers)]
            yymm = 1501 + (n // 90000) % 12 + 100 * ((n // 1080000) % 9)
            arxiv_id = f"{yymm}.{n % 90000 + 10000:05d}"
            nversions = rng.choice((1, 1, 1, 2, 2, 3))
            authors = list(paper["authors"])  # type: ignore[call-overload]
            record = {
                "id": arxiv_id,
                "submitter": authors[0],
                "authors": ", ".join(authors),
                "authors_parsed": [[*reversed(a.rsplit(" ", 1)), ""] for a in authors],
                "title": paper["title"],
                "comments": paper.get("comment"),  # type: ignore[attr-defined]
                "journal-ref": None,
                "doi": None,
                "report-no": None,
                "categories": " ".join(paper["categories"]),  # type: ignore[arg-type]
                "license": "http://creativecommons.org/licenses/by/4.0/",
                "abstract": paper["abstract"],
                "versions": [
                    {"version": f"v{v}", "created": f"Mon, {v + 1} Apr 2019 19:18:42 GMT"}
                    for v in range(1, nversions + 1)
                ],
                "update_date": "2019-04-09",
            }
            out.write(orjson.dumps(record) + b"\n")


def parse_only(path: Path) -> float:
    start = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            orjson.loads(line)
    return time.perf_counter() - start


def bare_sqlite(path: Path, db: Path) -> float:
    start = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE p (id TEXT PRIMARY KEY, title TEXT, authors TEXT, abstract TEXT, cats TEXT)")
    batch = []
    with path.open("rb") as f:
        for line in f:
            r = orjson.loads(line)
            batch.append((r["id"], r["title"], r["authors"], r["abstract"], r["categories"]))
            if len(batch) == 2000:
                con.executemany("INSERT INTO p VALUES (?,?,?,?,?)", batch)
                con.commit()
                batch = []
    con.executemany("INSERT INTO p VALUES (?,?,?,?,?)", batch)
    con.commit()
    con.close()
    return time.perf_counter() - start


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (the importer and its workers).

    Reads only the tree's own /proc entries, so that sampling costs the measured run nothing.
    """
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total / 2**20


def run_cli(arguments: list[str], data_dir: Path) -> tuple[float, str, float]:
    """Run a command; return seconds, its last line of output, and the peak memory of its process tree."""
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(data_dir)}
    env.pop("DAILYPAPERS_DATABASE_URL", None)
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = 0.0
    while child.poll() is None:
        peak = max(peak, tree_rss_mb(child.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    assert child.stdout is not None and child.returncode == 0, child.returncode
    return seconds, child.stdout.read().strip().splitlines()[-1], peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--snapshot", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        snapshot = args.snapshot
        if snapshot is None:
            snapshot = work / "snapshot.jsonl"
            write_snapshot(snapshot, args.records)
        count = sum(1 for _ in snapshot.open("rb"))
        size_mb = snapshot.stat().st_size / 1e6
        print(f"snapshot: {count:,} records, {size_mb:,.0f} MB")
        floor = parse_only(snapshot)
        print(f"baseline read+parse only:     {count / floor:>10,.0f} records/s")
        bare = bare_sqlite(snapshot, work / "bare.db")
        print(f"baseline bare sqlite3 insert: {count / bare:>10,.0f} records/s")
        # Keyword indexing is a separate phase (the import's --index does the same work after it):
        # timed on its own so that both numbers show. Without --no-embed `dailypapers index` would
        # also embed every paper when the model is installed (bench/embedding_speed.py times that).
        importing = ["ingest", "snapshot", "--no-index", str(snapshot)]
        first, line1, peak1 = run_cli(importing, work / "data")
        indexing, line_index, peak_index = run_cli(["index", "--no-embed"], work / "data")
        second, line2, peak2 = run_cli(importing, work / "data")
        peak_mb = max(peak1, peak2, peak_index)
        print(f"first import:  {count / first:>10,.0f} records/s  ({first:.1f} s; {line1})")
        print(f"search index:  {count / indexing:>10,.0f} records/s  ({indexing:.1f} s; {line_index})")
        both = first + indexing
        print(f"import+index:  {count / both:>10,.0f} records/s  ({both:.1f} s)")
        print(f"re-import:     {count / second:>10,.0f} records/s  ({second:.1f} s; {line2})")
        print(
            f"first import at {first and bare / first:.2f}x the bare sqlite3 rate; "
            f"re-import at {floor / second:.2f}x the parse-only rate"
        )
        print(
            f"peak memory of the importer, all its processes together: {peak1:,.0f} MB first, "
            f"{peak2:,.0f} MB re-import, {peak_index:,.0f} MB indexing"
        )
        ok = count / first >= 20_000 and count / second >= 50_000 and peak_mb < 500
        print("targets (20k/s first, 50k/s re-import, < 500 MB):", "MET" if ok else "NOT MET")


if __name__ == "__main__":
    main()
