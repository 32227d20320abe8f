"""Mixed traffic on a large catalog: PostgreSQL with 4 web processes and 2 workers, next to the same
traffic on PostgreSQL with one web process and on SQLite with one web process.

Usage:
  python bench/load.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/dailypapers_load]
                       [--data-dir DIR] [--sqlite-data-dir DIR] [--papers 1000000]
                       [--seconds 60] [--clients 64] [--class-seconds 15] [--redis-url URL]

The catalogs are built once by bench/load_catalog.py (COPY into the app's schema; kept between
runs, so only the first run pays for it). Each setup is a real `dailypapers serve --workers N` (one
port: uvicorn's processes share its socket and the kernel hands each new connection to one of them,
so no proxy and no round-robin in the load generator) and real `dailypapers worker` processes. The
load generator (asyncio + httpx, in this process, on the same two cores: its CPU is reported) keeps
``--clients`` requests in flight for ``--seconds``:
  - 80% reads: the front page, day, week and month lists, paper pages, /api/daily_papers and
    /api/papers/{id}, of random days and papers of the whole catalog;
  - 10% searches (half the /search page, half /api/papers/search): realistic queries made from the
    real listings: short phrases of a title's words, whole titles, an abstract's first sentence,
    an author's name;
  - 10% upvotes through the API (``Authorization: Bearer``) by 1,000 members created in the
    database by the app's own sign-in and token functions, each vote a new (member, paper) pair.
The per-member vote limit (DAILYPAPERS_VOTE_RATE_LIMIT, 600 a minute) is far above what one of
1,000 members casts here, so it does not limit the bench; nothing is changed for it.

Printed: p50/p95/p99 per class and per route, requests/s of each setup, the throughput of 4
processes against 1 (target >= 1.6x), hybrid search p50 one query at a time on PostgreSQL (target
< 30 ms), "no vote lost" (votes the server acknowledged against rows in the database), and the CPU
cost of each class of request alone (web processes, PostgreSQL, Redis), which bench/capacity.py
turns into the README's capacity table. Results go to DATA_DIR/load-results.json.

Targets (issue 20), 2 cores: reads p99 < 100 ms at 64 concurrent clients; 4 processes >= 1.6x one;
hybrid search p50 < 30 ms on PostgreSQL; no vote lost.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

import ingest_snapshot
from dailypapers.community.accounts import create_api_token, create_sign_in_link, use_sign_in_link
from dailypapers.community.models import User
from dailypapers.db.engine import create_db_engine
from dailypapers.db.write import write_session
from http_pages import weekdays
from load_catalog import LISTED_DAYS, build, paper_id, settings_for

MEMBERS = 1_000
MEMBER_DOMAIN = "load.bench"
#: Requests of the warm-up before each measured phase: every web process loads the embedding
#: model at its first search (seconds), which is not what a running site pays.
WARMUP_SECONDS = 15
#: Concurrent clients of the one-class phases that measure CPU per request: enough to keep one web
#: process busy without a long queue.
CLASS_CLIENTS = 8
#: Queries timed one at a time for the hybrid search p50 (after 20 unmeasured ones).
LONE_SEARCHES = 200
TIMEOUT_SECONDS = 30.0
#: The share of a setup's saturated throughput its second phase aims at (each client pauses
#: clients / rate seconds on average between requests, on top of waiting for the answer, so the rate
#: reached is lower): latency when the site is busy but not overrun. A closed loop of 64 clients
#: that never pause is always overrun: each waits behind the other 63, so its latency is
#: 64 / throughput whatever the site does.
PART_LOAD = 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- what the clients ask -------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    route: str
    kind: str  # "read", "search" or "vote"
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    vote: tuple[int, str] | None = None  # (member, paper) of an upvote


@dataclass
class Traffic:
    """Draws requests of the issue's mix over a catalog of ``papers`` papers."""

    papers: int
    queries: list[str]
    tokens: list[str]
    days: list[dt.date] = field(init=False)

    def __post_init__(self) -> None:
        per_day = -(-self.papers // LISTED_DAYS)
        self.days = weekdays(LISTED_DAYS)[: -(-self.papers // per_day)]

    def paper(self, rng: random.Random) -> str:
        return paper_id(rng.randrange(self.papers))

    def day(self, rng: random.Random) -> dt.date:
        return rng.choice(self.days)

    def week(self, rng: random.Random) -> str:
        year, week, _ = self.day(rng).isocalendar()
        return f"{year}-W{week:02d}"

    def routes(self) -> list[tuple[str, str, float, Callable[[random.Random], Request]]]:
        """(route, kind, share of requests, maker)."""
        q = self.queries
        return [
            ("front page", "read", 0.12, lambda r: Request("front page", "read", "GET", "/")),
            ("day list", "read", 0.14, lambda r: self._get("day list", f"/papers/date/{self.day(r)}")),
            ("week list", "read", 0.08, lambda r: self._get("week list", f"/papers/week/{self.week(r)}")),
            (
                "month list",
                "read",
                0.04,
                lambda r: self._get("month list", f"/papers/month/{self.day(r):%Y-%m}"),
            ),
            ("paper page", "read", 0.22, lambda r: self._get("paper page", f"/papers/{self.paper(r)}")),
            (
                "api daily_papers",
                "read",
                0.10,
                lambda r: self._get("api daily_papers", f"/api/daily_papers?date={self.day(r)}"),
            ),
            ("api paper", "read", 0.10, lambda r: self._get("api paper", f"/api/papers/{self.paper(r)}")),
            (
                "search page",
                "search",
                0.05,
                lambda r: self._get("search page", "/search?" + _query(r.choice(q)), "search"),
            ),
            (
                "api search",
                "search",
                0.05,
                lambda r: self._get(
                    "api search", "/api/papers/search?limit=20&" + _query(r.choice(q)), "search"
                ),
            ),
            ("upvote", "vote", 0.10, self._upvote),
        ]

    @staticmethod
    def _get(route: str, path: str, kind: str = "read") -> Request:
        return Request(route, kind, "GET", path)

    def _upvote(self, rng: random.Random) -> Request:
        member, paper = rng.randrange(len(self.tokens)), self.paper(rng)
        headers = {"Authorization": f"Bearer {self.tokens[member]}"}
        return Request("upvote", "vote", "POST", f"/api/papers/{paper}/upvote", headers, (member, paper))


def _query(text: str) -> str:
    return httpx.QueryParams({"q": text}).__str__()


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]+")
_STOP = {"a", "an", "and", "for", "in", "of", "on", "the", "to", "with", "via", "from", "by", "is", "at"}


def make_queries(count: int, seed: int = 20) -> list[str]:
    """What readers type or paste, from real listings: a few words of a title (35%), a whole title
    (25%), an author's name (20%), an abstract's first sentence (20%)."""
    rng, papers = random.Random(seed), ingest_snapshot.source_papers()
    queries = []
    for paper in rng.sample(papers, count):
        title, roll = " ".join(str(paper["title"]).split()), rng.random()
        if roll < 0.35:
            words = [w for w in _WORD.findall(title) if w.lower() not in _STOP]
            start = rng.randrange(max(1, len(words) - 2))
            queries.append(" ".join(words[start : start + rng.choice((2, 3, 4))]) or title)
        elif roll < 0.60:
            queries.append(title)
        elif roll < 0.80:
            queries.append(rng.choice(list(paper["authors"])) or title)  # type: ignore[call-overload]
        else:
            abstract = " ".join(str(paper["abstract"]).split())
            queries.append(abstract.split(". ")[0][:300])
    return queries


# --- members --------------------------------------------------------------------------------------


def fresh_members(engine: sa.Engine, count: int) -> tuple[list[int], list[str]]:
    """``count`` new members with an API token each, made as the site makes them (a used sign-in
    link, then a token); the bench's members of an earlier run, and their votes, are deleted first."""
    with write_session(engine) as session:
        session.execute(sa.delete(User).where(User.email.like(f"%@{MEMBER_DOMAIN}")))
    ids, tokens = [], []
    with write_session(engine) as session:
        for n in range(count):
            user = use_sign_in_link(session, create_sign_in_link(session, f"member{n}@{MEMBER_DOMAIN}"))
            tokens.append(create_api_token(session, user, "load bench"))
            ids.append(user.id)
    return ids, tokens


def stored_votes(engine: sa.Engine, member_ids: list[int]) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                sa.text("select count(*) from votes where user_id in :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": member_ids},
            )
            or 0
        )


# --- processes and their CPU ----------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str, float] | None:
    """(parent pid, command name, CPU seconds) of a process, or None when it is gone. The seconds
    include those of its children that ended (PostgreSQL ends a backend with each closed connection)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), name, sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLOCK_TICKS


def _processes() -> dict[int, tuple[int, str, float]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            found[int(entry.name)] = stat
    return found


def cpu_seconds(roots: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by the process trees of each of ``roots`` ("web": the web server and
    its processes; "workers"; "postgres": the server's postmaster, whose other databases' users
    count too; "redis"), and by this process (the load generator)."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    used = {}
    for name, pids in roots.items():
        total, todo = 0.0, list(pids)
        while todo:
            pid = todo.pop()
            total += processes[pid][2] if pid in processes else 0.0
            todo.extend(children.get(pid, []))
        used[name] = total
    usage = os.times()
    return used | {"load generator": usage.user + usage.system}


def postmaster(engine: sa.Engine) -> list[int]:
    """The PostgreSQL server's main process (the parent of every backend), or none on SQLite."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        backend = int(connection.scalar(sa.text("select pg_backend_pid()")) or 0)
    stat = _stat(backend)
    return [stat[0]] if stat else []


def redis_server() -> list[int]:
    return [pid for pid, (_, name, _) in _processes().items() if name == "redis-server"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Setup:
    name: str
    database_url: str
    data_dir: Path
    web_processes: int
    workers: int
    redis_url: str | None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
        env |= {"DAILYPAPERS_DATABASE_URL": self.database_url, "DAILYPAPERS_DATA_DIR": str(self.data_dir)}
        if self.redis_url:
            env |= {"DAILYPAPERS_REDIS_URL": self.redis_url, "DAILYPAPERS_REDIS_PREFIX": "loadbench:"}
        return env


@contextmanager
def running(setup: Setup, engine: sa.Engine) -> Iterator[tuple[str, dict[str, list[int]]]]:
    """The setup's web server and workers, once /healthz answers; stopped afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    python = [sys.executable, "-m", "dailypapers"]
    quiet: dict[str, Any] = {"env": setup.env(), "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    serve = [*python, "serve", "--no-access-log", "--port", str(port), "--workers", str(setup.web_processes)]
    started = [subprocess.Popen(serve, **quiet)]
    started += [subprocess.Popen([*python, "worker"], **quiet) for _ in range(setup.workers)]
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{setup.name}: the server did not answer /healthz in 60 s")
        web, workers = [started[0].pid], [process.pid for process in started[1:]]
        redis = redis_server() if setup.redis_url else []
        yield base, {"web": web, "workers": workers, "postgres": postmaster(engine), "redis": redis}
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    route: str
    kind: str
    seconds: float
    ok: bool


@dataclass
class PhaseResult:
    outcomes: list[Outcome]
    seconds: float
    acknowledged_votes: set[tuple[int, str]]
    cpu: dict[str, float]


async def _drive(
    base: str, traffic: Traffic, clients: int, seconds: float, only: str | None, rate: float | None
) -> tuple[list[Outcome], set[tuple[int, str]]]:
    """Each client sends its next request as soon as the last is answered or, with ``rate``, after a
    random pause that brings all clients together to about ``rate`` requests/s (readers who read)."""
    routes = [route for route in traffic.routes() if only is None or route[1] == only]
    makers, shares = [route[3] for route in routes], [route[2] for route in routes]
    outcomes: list[Outcome] = []
    acknowledged: set[tuple[int, str]] = set()
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=TIMEOUT_SECONDS) as http:

        async def client(number: int) -> None:
            rng = random.Random(number * 7919 + int(deadline))
            while time.perf_counter() < deadline:
                if rate:
                    await asyncio.sleep(rng.expovariate(rate / clients))
                request = rng.choices(makers, shares)[0](rng)
                start = time.perf_counter()
                try:
                    response = await http.request(request.method, request.path, headers=request.headers)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                outcomes.append(Outcome(request.route, request.kind, time.perf_counter() - start, ok))
                if ok and request.vote is not None:
                    acknowledged.add(request.vote)

        await asyncio.gather(*(client(n) for n in range(clients)))
    return outcomes, acknowledged


def run_phase(
    base: str,
    roots: dict[str, list[int]],
    traffic: Traffic,
    clients: int,
    seconds: float,
    only: str | None = None,
    rate: float | None = None,
) -> PhaseResult:
    before = cpu_seconds(roots)
    start = time.perf_counter()
    outcomes, acknowledged = asyncio.run(_drive(base, traffic, clients, seconds, only, rate))
    elapsed = time.perf_counter() - start
    after = cpu_seconds(roots)
    return PhaseResult(outcomes, elapsed, acknowledged, {k: after[k] - before[k] for k in after})


def lone_searches(base: str, queries: list[str]) -> list[float]:
    """Hybrid searches through /api/papers/search one at a time: latency without queueing."""
    times = []
    with httpx.Client(base_url=base, timeout=TIMEOUT_SECONDS) as http:
        for n, text in enumerate(queries[: LONE_SEARCHES + 20]):
            start = time.perf_counter()
            http.get("/api/papers/search", params={"q": text, "limit": 20}).raise_for_status()
            if n >= 20:
                times.append(time.perf_counter() - start)
    return times


def ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q)) if values else float("nan")


def summary(result: PhaseResult, group: str = "kind") -> dict[str, dict[str, float]]:
    groups: dict[str, list[Outcome]] = {}
    for outcome in result.outcomes:
        groups.setdefault(getattr(outcome, group), []).append(outcome)
    groups["all"] = result.outcomes
    table = {}
    for name, outcomes in groups.items():
        times = [o.seconds for o in outcomes if o.ok]
        table[name] = {
            "requests": len(outcomes),
            "errors": sum(not o.ok for o in outcomes),
            "per_s": len(outcomes) / result.seconds,
            "p50": ms(times, 50),
            "p95": ms(times, 95),
            "p99": ms(times, 99),
        }
    return table


def print_table(title: str, table: dict[str, dict[str, float]]) -> None:
    print(
        f"  {title:18s} {'requests':>9s} {'errors':>6s} {'req/s':>7s} "
        f"{'p50 ms':>7s} {'p95 ms':>7s} {'p99 ms':>7s}"
    )
    for name, row in table.items():
        print(
            f"  {name:18s} {row['requests']:9,.0f} {row['errors']:6,.0f} {row['per_s']:7.1f} "
            f"{row['p50']:7.1f} {row['p95']:7.1f} {row['p99']:7.1f}"
        )


def print_cpu(result: PhaseResult) -> None:
    cores = {name: seconds / result.seconds for name, seconds in result.cpu.items()}
    print("  CPU (cores busy): " + ", ".join(f"{name} {value:.2f}" for name, value in cores.items()))


# --- the bench ------------------------------------------------------------------------------------


def mixed_phase(setup: Setup, papers: int, queries: list[str], args: argparse.Namespace) -> dict[str, Any]:
    engine = create_db_engine(settings_for(setup.database_url, setup.data_dir))
    traffic = Traffic(papers, queries, fresh_members(engine, MEMBERS)[1])
    print(
        f"\n{setup.name}: {setup.web_processes} web process(es), {setup.workers} worker(s), "
        f"{args.clients} clients, {args.seconds:g} s (after a {WARMUP_SECONDS} s warm-up)"
    )
    with running(setup, engine) as (base, roots):
        run_phase(base, roots, traffic, args.clients, WARMUP_SECONDS)
        result = run_phase(base, roots, traffic, args.clients, args.seconds)
        by_kind, by_route = summary(result), summary(result, "route")
        print_table("class", by_kind)
        print_table("route", {k: v for k, v in by_route.items() if k != "all"})
        print_cpu(result)
        rate = PART_LOAD * by_kind["all"]["per_s"]
        print(
            f"  the same clients pausing between requests (random pauses of {args.clients / rate:.1f} s "
            f"on average, aiming at {PART_LOAD:.0%} of the above; the rate reached is below)"
        )
        part = summary(run_phase(base, roots, traffic, args.clients, args.seconds / 2, rate=rate))
        print_table("class", part)
        lone = lone_searches(base, queries) if setup.web_processes == 1 else []
        if lone:
            print(
                f"  hybrid search one query at a time (/api/papers/search, {len(lone)} queries): "
                f"p50 {ms(lone, 50):.1f} ms, p99 {ms(lone, 99):.1f} ms"
            )
        costs = class_costs(base, roots, traffic, args.class_seconds) if setup.web_processes == 1 else {}
    engine.dispose()
    return {
        "setup": setup.name,
        "web_processes": setup.web_processes,
        "by_kind": by_kind,
        "by_route": by_route,
        "part_load": part,
        "cpu_cores": {name: seconds / result.seconds for name, seconds in result.cpu.items()},
        "lone_search_ms": {"p50": ms(lone, 50), "p99": ms(lone, 99)} if lone else None,
        "class_costs": costs,
    }


def class_costs(
    base: str, roots: dict[str, list[int]], traffic: Traffic, seconds: float
) -> dict[str, dict[str, float]]:
    """CPU milliseconds per request of each class alone (the site's processes, PostgreSQL, Redis)."""
    costs: dict[str, dict[str, float]] = {}
    if not seconds:
        return costs
    for kind in ("read", "search", "vote"):
        run_phase(base, roots, traffic, CLASS_CLIENTS, 3, only=kind)
        result = run_phase(base, roots, traffic, CLASS_CLIENTS, seconds, only=kind)
        done = sum(o.ok for o in result.outcomes)
        costs[kind] = {name: 1000 * cpu / max(done, 1) for name, cpu in result.cpu.items()}
        costs[kind]["requests_per_s"] = done / result.seconds
        print(
            f"  {kind:6s} alone ({CLASS_CLIENTS} clients): {done / result.seconds:6.1f} req/s, "
            "CPU ms per request: "
            + ", ".join(
                f"{name} {value:.2f}" for name, value in costs[kind].items() if name != "requests_per_s"
            )
        )
    return costs


def vote_check(setup: Setup, papers: int, queries: list[str], clients: int, seconds: float) -> dict[str, int]:
    """Votes acknowledged against rows stored, with no warm-up in between: they must be equal."""
    engine = create_db_engine(settings_for(setup.database_url, setup.data_dir))
    member_ids, tokens = fresh_members(engine, MEMBERS)
    with running(setup, engine) as (base, roots):
        result = run_phase(base, roots, Traffic(papers, queries, tokens), clients, seconds, only="vote")
    stored = stored_votes(engine, member_ids)
    engine.dispose()
    acknowledged = len(result.acknowledged_votes)
    verdict = "no vote lost" if stored == acknowledged else "VOTES LOST OR DOUBLED"
    errors = sum(not o.ok for o in result.outcomes)
    print(
        f"  {setup.name}: {acknowledged:,} votes acknowledged, {stored:,} rows stored, "
        f"{errors} errors: {verdict}"
    )
    return {"acknowledged": acknowledged, "stored": stored, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/dailypapers_load"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("/tmp/dailypapers-load/pg"),
        help="vector index file of the PostgreSQL site",
    )
    parser.add_argument(
        "--sqlite-data-dir",
        default="/tmp/dailypapers-load/sqlite",
        help="'' to leave SQLite out",
    )
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--sqlite-papers", type=int, help="papers of the SQLite catalog (default: --papers)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument(
        "--class-seconds", type=float, default=15, help="each class alone, for its CPU cost (0: skip)"
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/0",
        help="shared limits and caches of the PostgreSQL site ('' for none)",
    )
    parser.add_argument(
        "--listings", type=Path, default=ingest_snapshot.SHARED, help="the real arXiv listings"
    )
    parser.add_argument(
        "--only", choices=["pg4", "pg1", "sqlite"], action="append", help="run only these setups"
    )
    args = parser.parse_args()
    ingest_snapshot.SHARED = args.listings
    build(args.database_url, args.data_dir, args.papers)
    sqlite_papers = args.sqlite_papers or args.papers
    setups = [
        Setup("pg4", args.database_url, args.data_dir, 4, 2, args.redis_url or None),
        Setup("pg1", args.database_url, args.data_dir, 1, 2, args.redis_url or None),
    ]
    if args.sqlite_data_dir and (not args.only or "sqlite" in args.only):
        sqlite_dir = Path(args.sqlite_data_dir)
        sqlite_url = f"sqlite:///{(sqlite_dir / 'dailypapers.db').resolve()}"
        build(sqlite_url, sqlite_dir, sqlite_papers, vectors_from=args.data_dir)
        setups.append(Setup("sqlite", sqlite_url, sqlite_dir, 1, 1, None))
    setups = [s for s in setups if not args.only or s.name in args.only]
    queries = make_queries(2_000)
    results = {}
    for setup in setups:
        papers = sqlite_papers if setup.name == "sqlite" else args.papers
        results[setup.name] = mixed_phase(setup, papers, queries, args)
    print("\nno vote lost: votes only, no warm-up, acknowledged against stored")
    for setup in setups:
        papers = sqlite_papers if setup.name == "sqlite" else args.papers
        results[setup.name]["vote_check"] = vote_check(
            setup, papers, queries, args.clients, min(args.seconds, 20)
        )
    print("\nsummary (targets on 2 cores):")
    for name, result in results.items():
        read = result["by_kind"]["read"]
        print(
            f"  {name}: {result['by_kind']['all']['per_s']:.0f} req/s; "
            f"reads p99 {read['p99']:.0f} ms (target < 100)"
        )
    if "pg4" in results and "pg1" in results:
        ratio = results["pg4"]["by_kind"]["all"]["per_s"] / results["pg1"]["by_kind"]["all"]["per_s"]
        print(f"  PostgreSQL, 4 web processes / 1: {ratio:.2f}x requests/s (target >= 1.6x)")
    if "pg1" in results and results["pg1"]["lone_search_ms"]:
        print(
            "  hybrid search p50 on PostgreSQL, one at a time: "
            f"{results['pg1']['lone_search_ms']['p50']:.1f} ms (target < 30)"
        )
    out = args.data_dir / "load-results.json"
    out.write_text(
        json.dumps(
            {
                "papers": args.papers,
                "sqlite_papers": sqlite_papers,
                "clients": args.clients,
                "seconds": args.seconds,
                "results": results,
            },
            indent=1,
        )
    )
    print(f"results written to {out}; python bench/capacity.py {out} prints the capacity table")


if __name__ == "__main__":
    main()
