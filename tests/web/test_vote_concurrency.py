"""Upvotes stay exact under concurrent clicks on the real server (several worker processes).

Sixty members vote and take their votes back on the same five papers, all at once, against
``python -m dailypapers serve --workers 3``: three processes writing one SQLite file in WAL mode.
Afterwards the database must agree with itself (each paper's count equals its vote rows) and with
what the clients were told (each member's last acknowledged click on a paper decides whether a
vote row exists), and no request may have failed (a "database is locked" would be a 500).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from dailypapers.community.accounts import create_sign_in_link, start_session, use_sign_in_link
from dailypapers.community.models import PAPER_ACTIVITY, VOTES
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings, site_secret
from dailypapers.web.members import SESSION_COOKIE
from dailypapers.web.security import CSRF_COOKIE
from factories import listed_paper
from servers import serving_in_process

pytestmark = pytest.mark.slow

DAY = dt.date(2025, 8, 11)
PAPERS = [f"2508.{n:05d}" for n in range(1, 6)]
MEMBERS = 60
REQUESTS_PER_CLIENT = 40


@dataclass
class Client:
    """One signed-in browser: its cookies and form token, and what the server acknowledged."""

    user_id: int
    cookies: dict[str, str]
    csrf_token: str
    statuses: Counter[int] = field(default_factory=Counter)
    #: paper -> the action (True = upvote) of the last request answered with 200
    last_acknowledged: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def build_site(settings: Settings) -> list[Client]:
    """The catalog and the members, written directly: no sign-in emails or HTML scraping needed."""
    engine = create_db_engine(settings)
    upgrade_database(engine)
    signer = URLSafeSerializer(site_secret(settings), salt="csrf")
    clients = []
    with write_session(engine) as session:
        store_papers(session, [listed_paper(paper_id, DAY) for paper_id in PAPERS], rules=ListingRules())
        for n in range(MEMBERS):
            link = create_sign_in_link(session, f"member{n}@example.org")
            session.flush()
            user = use_sign_in_link(session, link)
            csrf_value = secrets.token_urlsafe(24)
            clients.append(
                Client(
                    user_id=user.id,
                    cookies={SESSION_COOKIE: start_session(session, user), CSRF_COOKIE: csrf_value},
                    csrf_token=str(signer.dumps(csrf_value)),
                )
            )
    engine.dispose()
    return clients


async def vote(http: httpx.AsyncClient, client: Client, paper_id: str, up: bool) -> None:
    answer = await http.post(
        f"/papers/{paper_id}/upvote",
        data={"csrf_token": client.csrf_token, "up": "1" if up else "0"},
        headers={"Accept": "application/json"},
    )
    client.statuses[answer.status_code] += 1
    if answer.status_code != 200:
        client.problems.append(f"{answer.status_code}: {answer.text[:200]}")
        return
    body = answer.json()
    if body["paper"] != paper_id or body["upvoted"] is not up or not 0 <= body["upvotes"] <= MEMBERS:
        client.problems.append(f"unexpected answer {body} to up={up} on {paper_id}")
    client.last_acknowledged[paper_id] = up


async def click_around(base: str, client: Client, seed: int, start: asyncio.Event) -> None:
    """Random clicks in sequence; one in five is a double click sent twice at the same time."""
    rng = random.Random(seed)
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them: a request sent
    # on a connection the server is closing at that moment fails with a reset (ReadError), a race of
    # HTTP keep-alive itself that has nothing to do with votes.
    limits = httpx.Limits(keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=base, cookies=client.cookies, timeout=30, limits=limits) as http:
        await start.wait()
        sent = 0
        while sent < REQUESTS_PER_CLIENT:
            paper_id, up = rng.choice(PAPERS), rng.random() < 0.6
            if rng.random() < 0.2:
                # Both carry the same action, so the pair's outcome is that action whatever their order.
                await asyncio.gather(vote(http, client, paper_id, up), vote(http, client, paper_id, up))
                sent += 2
            else:
                await vote(http, client, paper_id, up)
                sent += 1


async def run_clients(base: str, clients: list[Client]) -> None:
    start = asyncio.Event()
    tasks = [asyncio.create_task(click_around(base, c, seed, start)) for seed, c in enumerate(clients)]
    await asyncio.sleep(0.2)  # every client opens its connection pool and waits at the start line
    start.set()
    await asyncio.gather(*tasks)


def test_concurrent_votes_and_unvotes_keep_counts_exact(settings: Settings, tmp_path: Path) -> None:
    clients = build_site(settings)
    log = tmp_path / "server.log"
    environment = {"DAILYPAPERS_DATA_DIR": str(settings.data_dir), "DAILYPAPERS_VOTE_RATE_LIMIT": "1000000"}
    with serving_in_process(environment, log, workers=3) as url:
        asyncio.run(run_clients(url, clients))

    statuses = sum((c.statuses for c in clients), Counter[int]())
    problems = [problem for c in clients for problem in c.problems]
    assert statuses == {200: statuses.total()}, (statuses, problems[:5])
    assert statuses.total() >= MEMBERS * REQUESTS_PER_CLIENT
    assert problems == []
    server_log = log.read_text()
    assert "database is locked" not in server_log
    assert "Traceback" not in server_log

    engine = create_db_engine(settings)
    with engine.connect() as connection:
        votes = connection.execute(sa.select(VOTES.c.user_id, VOTES.c.paper_id)).all()
        counts = dict(
            connection.execute(sa.select(PAPER_ACTIVITY.c.paper_id, PAPER_ACTIVITY.c.upvotes)).all()
        )
    engine.dispose()

    pairs = Counter((user_id, paper_id) for user_id, paper_id in votes)
    assert max(pairs.values(), default=1) == 1, "a member's vote on a paper is stored twice"
    per_paper = Counter(paper_id for _, paper_id in votes)
    assert {paper_id: counts.get(paper_id, 0) for paper_id in PAPERS} == {
        paper_id: per_paper[paper_id] for paper_id in PAPERS
    }
    expected = {(c.user_id, paper_id) for c in clients for paper_id, up in c.last_acknowledged.items() if up}
    assert set(pairs) == expected
    # The scenario really exercised both directions on every paper.
    assert all(0 < per_paper[paper_id] < MEMBERS for paper_id in PAPERS), per_paper
