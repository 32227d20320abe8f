"""HTTP speed of the pages people read, over a large catalog, next to an empty route of the same app.

Usage: python bench/http_pages.py [--papers 1000000] [--seconds 10] [--connections 32] [--data-dir DIR]

Fills a catalog with --papers papers listed over three years of weekdays (real titles and abstracts
from ../shared/data/arxiv-listings.jsonl.gz under fresh ids, or synthetic text of realistic length
when that file is absent), through the real `dailypapers ingest listings` command. Then it starts
`dailypapers serve` (one process) and measures, with wrk, requests/s and p50/p99 latency of the
empty route /favicon.ico (an icon held in memory: no database, no template), the daily page /, a
paper page, the pages of 5,000 random papers (beyond any cache) and /api/daily_papers, and prints
the query plans of the queries behind them. (/healthz was the empty route until it began to ask the
database.) Targets (issue 4): daily page >= 40% of the empty route's requests/s; p99 < 50 ms at
32 connections; no query whose work grows with the catalog.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from ingest_snapshot import source_papers

START_DAY = dt.date(2023, 6, 1)


def weekdays(count: int) -> list[dt.date]:
    days, day = [], START_DAY
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def write_listings(path: Path, count: int, days: int = 3 * 261) -> None:
    """``count`` papers spread evenly over ``days`` weekdays, with arXiv-like ids that never collide."""
    papers, listed = source_papers(), weekdays(days)
    per_day = -(-count // days)
    with path.open("wb") as out:
        for n in range(count):
            paper = papers[n % len(papers)]
            record = {
                "id": f"{2301 + n // 90000:04d}.{n % 90000 + 10000:05d}",
                "listed": listed[n // per_day].isoformat(),
                "title": paper["title"],
                "authors": paper["authors"],
                "categories": paper["categories"],
                "comment": paper.get("comment"),  # type: ignore[attr-defined]
                "abstract": paper["abstract"],
            }
            out.write(orjson.dumps(record) + b"\n")


def fill_catalog(env: dict[str, str], data_dir: Path, work: Path, papers: int, days: int = 3 * 261) -> None:
    """Import ``papers`` listed papers through `dailypapers ingest listings`, unless ``data_dir``
    already holds that many (``--data-dir`` keeps a catalog between runs)."""
    if catalog_size(data_dir) >= papers:
        return
    listings = work / "listings.jsonl"
    write_listings(listings, papers, days)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dailypapers", "ingest", "listings", str(listings)],
        env=env,
        check=True,
        capture_output=True,
    )
    listings.unlink()
    print(f"catalog: {papers:,} papers imported in {time.perf_counter() - start:.0f} s")


def catalog_size(data_dir: Path) -> int:
    database = data_dir / "dailypapers.db"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        return int(connection.execute("select count(*) from listing_entries").fetchone()[0])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> tuple[float, float, float]:
    """Requests/s, p50 ms, p99 ms."""
    extra = ["-s", str(script)] if script else []
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done).group(1))  # type: ignore[union-attr]

    def percentile(name: str) -> float:
        value, unit = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)", done).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return rate, percentile("50"), percentile("99")


def random_paths_script(path: Path, data_dir: Path, count: int = 5000) -> Path:
    """A wrk script asking for the pages of ``count`` random papers: no page cache helps there."""
    with sqlite3.connect(data_dir / "dailypapers.db") as connection:
        ids = [row[0] for row in connection.execute(f"select id from papers order by random() limit {count}")]
    paths = ",".join(f'"/papers/{paper_id}"' for paper_id in ids)
    path.write_text(
        f"local paths = {{{paths}}}\n"
        "request = function() return wrk.format('GET', paths[math.random(#paths)]) end\n"
    )
    return path


def query_plans(data_dir: Path, paper_id: str, day: str) -> None:
    queries = {
        "newest day": "select max(day) from listing_entries",
        "a day's entries": "select * from listing_entries join papers on papers.id = paper_id "
        f"where listing_entries.day between '{day}' and '{day}' and papers.deleted = 0 "
        "order by listing_entries.day desc, listing_entries.id limit 101",
        "previous day": f"select max(day) from listing_entries where day < '{day}'",
        "a paper": f"select * from papers where id = '{paper_id}'",
        "its days": f"select day from listing_entries where paper_id = '{paper_id}' order by day",
    }
    with sqlite3.connect(data_dir / "dailypapers.db") as connection:
        for name, sql in queries.items():
            plan = "; ".join(row[3] for row in connection.execute("explain query plan " + sql))
            print(f"  {name:16s} {plan}")


@contextmanager
def serving(env: dict[str, str], workers: int) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`dailypapers serve` on a free port, once /healthz answers; stopped afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "dailypapers", "serve", "--no-access-log", "--port", str(port)]
    command += ["--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield server, base
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--data-dir", type=Path, help="keep the catalog here between runs")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("this benchmark drives the server with wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(data_dir)}
        env.pop("DAILYPAPERS_DATABASE_URL", None)
        fill_catalog(env, data_dir, Path(tmp), args.papers)
        print(f"catalog: {catalog_size(data_dir):,} listed papers over {len(weekdays(3 * 261))} weekdays")
        with serving(env, workers=1) as (_server, base):
            newest = orjson.loads(urllib.request.urlopen(base + "/api/daily_papers?limit=1").read())[0]
            paper_id, day = newest["paper"]["id"], newest["listedOn"]
            random_papers = random_paths_script(Path(tmp) / "random_papers.lua", data_dir)
            routes = {
                "empty route /favicon.ico": ("/favicon.ico", None),
                "daily page /": ("/", None),
                "paper page": (f"/papers/{paper_id}", None),
                "random paper pages": ("/", random_papers),
                "/api/daily_papers": ("/api/daily_papers", None),
            }
            print(f"wrk: {args.connections} connections, {args.seconds} s each, one server process")
            results = {}
            for name, (path, script) in routes.items():
                wrk(base + path, 2, args.connections, script)  # warm up
                results[name] = wrk(base + path, args.seconds, args.connections, script)
                rate, p50, p99 = results[name]
                print(f"  {name:22s} {rate:9,.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
        empty = results["empty route /favicon.ico"][0]
        daily_rate = results["daily page /"][0]
        print(f"daily page at {daily_rate / empty:.0%} of the empty route (target >= 40%)")
        targeted = ["daily page /", "paper page", "/api/daily_papers"]
        worst_p99 = max(results[name][2] for name in targeted)
        print(f"worst p99 of the daily page, a paper page and the API: {worst_p99:.1f} ms (target < 50 ms)")
        print(
            f"(beyond the targets: pages of random papers, rendered per request, "
            f"p99 {results['random paper pages'][2]:.1f} ms)"
        )
        print("query plans:")
        query_plans(data_dir, paper_id, day)


if __name__ == "__main__":
    main()
