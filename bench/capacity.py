"""Capacity on paper: what one core serves per day, and how many 2-core machines a field-wide site
needs at 10x and 100x the traffic of today's busiest paper site, from measured CPU costs.

Usage: python bench/capacity.py LOAD_RESULTS.json [--digest-ms 4.0] [--page-views-today 1000000]

Inputs, all CPU time (not wall time, so less sensitive to the noise of a shared machine):
  - per page or API read, per search, per vote: bench/load.py's one-class phases on PostgreSQL with
    one web process (LOAD_RESULTS.json), split into the web process, PostgreSQL and Redis;
  - per embedded paper (the worker's cost for each new paper) and per harvested paper (parsing and
    storing one arXiv record, keyword index included): measured here, with the real model on 128
    real papers and `dailypapers ingest listings` of 20,000 real listings into a fresh SQLite file;
  - per digest mail: the senders' CPU ms per message printed by bench/digest_send.py (--digest-ms).

Traffic of today's busiest paper site (no internet here, so an ESTIMATE, --page-views-today):
Hugging Face's Daily Papers. huggingface.co had on the order of 30 million visits a month in
2024-2025 by public traffic estimates; if a tenth of those open the papers pages, with three pages
a visit, that is about 300,000 page views a day. We round up to 1,000,000 page views a day so that
the estimate errs on the large side (arXiv's own listing pages, a different kind of site, serve
more). Beside each page view: 1/8 of a search and 1/8 of a vote (bench/load.py's mix of 80% reads,
10% searches, 10% votes), 2,000 new papers a day (all of arXiv's new submissions, about 24,000 a
month, plus cross-lists), and one digest mail per ten daily page views. Machines are sized for the
busiest hour at PEAK_FACTOR times the daily average, each core kept at most TARGET_UTILISATION busy.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import ingest_snapshot

SECONDS_PER_DAY = 86_400
#: Busiest hour against the day's average: a daily list is read in the hours after it appears.
PEAK_FACTOR = 3.0
#: Share of a core a machine is planned to use at the peak, leaving room for spikes and deploys.
TARGET_UTILISATION = 0.6
CORES_PER_MACHINE = 2
NEW_PAPERS_PER_DAY = 2_000
DIGESTS_PER_PAGE_VIEW = 0.1
SEARCHES_PER_PAGE_VIEW = 1 / 8
VOTES_PER_PAGE_VIEW = 1 / 8
EMBED_PAPERS = 128
HARVEST_PAPERS = 20_000


def embedding_ms() -> float:
    """CPU ms to embed one real paper (title and abstract) with the site's model."""
    from dailypapers.search.embedding import default_embedder, paper_text

    papers = ingest_snapshot.source_papers()[:EMBED_PAPERS]
    texts = [paper_text(str(p["title"]), str(p["abstract"])) for p in papers]
    embedder = default_embedder()
    embedder.embed(texts[:8])  # loads the model, untimed
    start = time.process_time()
    embedder.embed(texts)
    return 1000 * (time.process_time() - start) / len(texts)


def harvest_ms() -> float:
    """CPU ms to parse, store, list and keyword-index one real arXiv record (`ingest listings`)."""
    papers = ingest_snapshot.source_papers()[:HARVEST_PAPERS]
    with tempfile.TemporaryDirectory(prefix="capacity-") as tmp:
        listings = Path(tmp) / "listings.jsonl.gz"
        with gzip.open(listings, "wt") as out:
            for paper in papers:
                out.write(json.dumps(paper) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
        env["DAILYPAPERS_DATA_DIR"] = str(Path(tmp) / "data")
        command = [sys.executable, "-m", "dailypapers", "ingest", "listings", str(listings)]
        subprocess.run(command, env=env, check=True, capture_output=True)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The CLI's start (about a CPU-second) is counted too: a few percent of the whole.
    return 1000 * (usage.ru_utime + usage.ru_stime) / len(papers)


def per_request_ms(costs: dict[str, float]) -> float:
    return float(costs["web"] + costs["postgres"] + costs["redis"])


def table(
    results: dict[str, Any], digest_ms: float, embed_ms: float, ingest_ms: float, page_views: float
) -> str:
    costs = results["results"]["pg1"]["class_costs"]
    rows = [
        ("page or API read", per_request_ms(costs["read"]), costs["read"]["postgres"]),
        ("search (hybrid)", per_request_ms(costs["search"]), costs["search"]["postgres"]),
        ("vote (API)", per_request_ms(costs["vote"]), costs["vote"]["postgres"]),
        ("digest mail", digest_ms, 0.0),
        ("new paper embedded", embed_ms, 0.0),
        ("new paper harvested", ingest_ms, 0.0),
    ]
    lines = [
        f"Measured on {results['papers']:,} papers, PostgreSQL, one web process; "
        "CPU ms per unit (all processes; "
        "of which PostgreSQL) and what one core serves in a day:",
        "",
        "| unit | CPU ms | of which PostgreSQL | per core per day |",
        "|---|---|---|---|",
    ]
    for name, cost, db in rows:
        lines.append(f"| {name} | {cost:.1f} | {db:.1f} | {SECONDS_PER_DAY * 1000 / cost:,.0f} |")
    lines += ["", *sizing(rows, page_views)]
    return "\n".join(lines)


def sizing(rows: list[tuple[str, float, float]], page_views_today: float) -> list[str]:
    cost = {name: (total, db) for name, total, db in rows}
    per_page_view = {
        "page or API read": 1.0,
        "search (hybrid)": SEARCHES_PER_PAGE_VIEW,
        "vote (API)": VOTES_PER_PAGE_VIEW,
        "digest mail": DIGESTS_PER_PAGE_VIEW,
    }
    lines = [
        f"Today's busiest paper site, estimated: {page_views_today:,.0f} page views a day (with "
        f"{SEARCHES_PER_PAGE_VIEW:.3f} searches, {VOTES_PER_PAGE_VIEW:.3f} votes and "
        f"{DIGESTS_PER_PAGE_VIEW} digest mails per page view, {NEW_PAPERS_PER_DAY:,} new papers a day); "
        f"machines of {CORES_PER_MACHINE} cores "
        f"at most {TARGET_UTILISATION:.0%} busy in the busiest hour ({PEAK_FACTOR:g}x the day's average):",
        "",
        "| traffic | page views/day | searches/day | votes/day | CPU core-hours/day | peak cores "
        "| of which PostgreSQL | 2-core machines |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for factor in (1, 10, 100):
        views = page_views_today * factor
        cpu_ms = db_ms = 0.0
        for name, share in per_page_view.items():
            cpu_ms += views * share * cost[name][0]
            db_ms += views * share * cost[name][1]
        cpu_ms += NEW_PAPERS_PER_DAY * (cost["new paper embedded"][0] + cost["new paper harvested"][0])
        peak_cores = cpu_ms / 1000 / SECONDS_PER_DAY * PEAK_FACTOR / TARGET_UTILISATION
        db_cores = db_ms / 1000 / SECONDS_PER_DAY * PEAK_FACTOR / TARGET_UTILISATION
        machines = math.ceil(peak_cores / CORES_PER_MACHINE)
        lines.append(
            f"| {factor}x | {views:,.0f} | {views * SEARCHES_PER_PAGE_VIEW:,.0f} "
            f"| {views * VOTES_PER_PAGE_VIEW:,.0f} "
            f"| {cpu_ms / 3_600_000:,.1f} | {peak_cores:,.1f} | {db_cores:,.1f} | {machines:,} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", type=Path, help="load-results.json written by bench/load.py")
    parser.add_argument(
        "--digest-ms",
        type=float,
        required=True,
        help="senders' CPU ms per digest mail (bench/digest_send.py)",
    )
    parser.add_argument("--page-views-today", type=float, default=1_000_000)
    parser.add_argument("--listings", type=Path, default=ingest_snapshot.SHARED)
    args = parser.parse_args()
    ingest_snapshot.SHARED = args.listings
    embed = embedding_ms()
    ingest = harvest_ms()
    print(table(json.loads(args.results.read_text()), args.digest_ms, embed, ingest, args.page_views_today))


if __name__ == "__main__":
    main()
