"""Two machines: on each, a web server (``dailypapers serve``) and a worker (``dailypapers worker``)
with a data dir of its own (no shared files), sharing one PostgreSQL database with pgvector and one
Redis server (rate limits, changes, the task queue), used over HTTP as browsers use them. What a
member or a moderator does on one is seen on the other at its next request; what a worker does is
seen on both; a worker killed mid-send loses and doubles no mail.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from dailypapers.community.accounts import create_sign_in_link, grant_moderator, use_sign_in_link
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import read_session, write_session
from dailypapers.digest.editions import build_edition
from dailypapers.digest.models import OutboxMessage, Subscriber
from dailypapers.digest.sender import waiting
from dailypapers.mail.transport import MaildirTransport
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings
from factories import form_token, listed_paper
from fake_arxiv import FakeArxiv
from servers import serving_in_processes
from smtp_sink import SmtpServer

DAY = dt.date(2025, 8, 4)
PAPERS = [f"2508.{n:05d}" for n in range(1, 6)]
#: Votes one member may cast per minute, in all: small so the test reaches it.
VOTE_LIMIT = 6
MODERATOR = "mod@field.example.org"
SUBSCRIBERS = [f"reader{n}@field.example.org" for n in range(150)]
#: Mails a sender takes (leases) at once, and for how long: short, so the test need not wait long
#: for what a killed sender held.
SEND_BATCH, SEND_LEASE_SECONDS = 10, 2
#: How long a worker may take to start and do its work (import, load the model, fetch or send).
WORKER_SECONDS = 60
WORKER_STOP_SECONDS = 10
#: A paper the fake arXiv serves, submitted by a member, and a description of it in other words.
SUBMITTED = "2304.14118"
DESCRIPTION = "matching points across photographs, trained on unannotated footage"


@dataclass(frozen=True)
class Machine:
    url: str
    data_dir: Path
    #: Its ``DAILYPAPERS_*`` settings, for the commands run on it.
    environment: dict[str, str]
    #: What its worker adds to them.
    worker_environment: dict[str, str]

    def browser(self, cookies: httpx.Cookies | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, cookies=cookies, follow_redirects=False, timeout=10)

    def start_worker(self) -> subprocess.Popen[bytes]:
        """``dailypapers worker`` on this machine: it takes jobs from the queue in Redis."""
        with (self.data_dir.parent / f"{self.data_dir.name}-worker.log").open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "dailypapers", "worker"],
                env={**os.environ, **self.environment, **self.worker_environment},
                stdout=log,
                stderr=subprocess.STDOUT,
            )


@pytest.fixture
def database_url(pgvector_database_url: str) -> str:
    """A fresh database on a PostgreSQL with pgvector (in CI it must start: see ``skip_outside_ci``)."""
    return pgvector_database_url


@pytest.fixture
def machines(
    database_url: str,
    redis_sharing: dict[str, str],
    fake_arxiv: FakeArxiv,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> Iterator[tuple[Machine, Machine]]:
    """Two web servers of one site, started and stopped here."""
    engine = create_db_engine(Settings(data_dir=tmp_path / "setup", database_url=database_url))
    upgrade_database(engine)
    with write_session(engine) as session:
        store_papers(session, [listed_paper(paper, DAY) for paper in PAPERS], rules=ListingRules())
        use_sign_in_link(session, create_sign_in_link(session, MODERATOR))
        grant_moderator(session, MODERATOR)
    engine.dispose()
    shared = {
        "DAILYPAPERS_DATABASE_URL": database_url,
        "DAILYPAPERS_REDIS_URL": redis_sharing["redis_url"],
        "DAILYPAPERS_REDIS_PREFIX": redis_sharing["redis_prefix"],
        # Set when several servers share a database (README): the forms and links of one are good on
        # the other.
        "DAILYPAPERS_SECRET_KEY": "two machines, one site",
        "DAILYPAPERS_VOTE_RATE_LIMIT": str(VOTE_LIMIT),
        # What the workers talk to.
        "DAILYPAPERS_ARXIV_API_URL": fake_arxiv.api_url,
        "DAILYPAPERS_ARXIV_DELAY_SECONDS": "0",
        "DAILYPAPERS_WORKER_INTERVAL_SECONDS": "1",
    }
    # The workers send the digest through the SMTP server; the web servers' mail (sign-in links)
    # stays in each data dir's maildir, where the test reads it.
    sending = {
        "DAILYPAPERS_SMTP_HOST": smtp_server.host,
        "DAILYPAPERS_SMTP_PORT": str(smtp_server.port),
        "DAILYPAPERS_SMTP_STARTTLS": "false",
        "DAILYPAPERS_DIGEST_BATCH_SIZE": str(SEND_BATCH),
        "DAILYPAPERS_DIGEST_LEASE_SECONDS": str(SEND_LEASE_SECONDS),
        "DAILYPAPERS_DIGEST_PICKS": "0",
    }
    environments = [{**shared, "DAILYPAPERS_DATA_DIR": str(tmp_path / name)} for name in ("a", "b")]
    servers = [(environments[0], tmp_path / "a.log"), (environments[1], tmp_path / "b.log")]
    with serving_in_processes(servers) as (url_a, url_b):
        yield (
            Machine(url_a, tmp_path / "a", environments[0], sending),
            Machine(url_b, tmp_path / "b", environments[1], sending),
        )


def sign_in(machine: Machine, email: str) -> httpx.Cookies:
    """Sign in on ``machine`` as a person does: the form, then the link in the mail it sent."""
    with machine.browser() as browser:
        asked = browser.post("/signin", data={"email": email, "csrf_token": form_token(browser, "/signin")})
        assert asked.status_code == 200, asked.text
        (link,) = sign_in_links(machine, email)
        confirmed = browser.post(link, data={"csrf_token": form_token(browser, link)})
        assert confirmed.status_code == 303, confirmed.text
        return browser.cookies


def sign_in_links(machine: Machine, email: str) -> list[str]:
    links = []
    for mail in MaildirTransport(machine.data_dir / "maildir").messages():
        if mail["To"] == email:
            assert isinstance(mail, EmailMessage)
            body = mail.get_body(("plain",))
            assert body is not None
            links += re.findall(r"https?://[^/\s]+(/signin/\S+)", body.get_content())
    return links


def upvote(browser: httpx.Client, paper: str, up: bool = True) -> httpx.Response:
    token = form_token(browser, f"/papers/{paper}")
    return browser.post(
        f"/papers/{paper}/upvote",
        data={"csrf_token": token, "up": "1" if up else "0"},
        headers={"Accept": "application/json"},
    )


def upvotes_in_api(machine: Machine, paper: str) -> int:
    answer = httpx.get(f"{machine.url}/api/papers/{paper}", timeout=10)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["upvotes"])


@pytest.mark.slow
@pytest.mark.postgres
def test_two_machines_with_their_own_data_dirs_are_one_site(
    machines: tuple[Machine, Machine], database_url: str, smtp_server: SmtpServer
) -> None:
    """One pair of machines for every part: starting them is most of the test's time."""
    a, b = machines
    a_member_signed_in_on_one_machine_votes_on_both_within_one_limit(a, b)
    a_paper_a_moderator_hides_on_one_machine_is_gone_from_the_other_at_once(a, b)
    workers = [a.start_worker(), b.start_worker()]
    try:
        a_paper_submitted_on_one_machine_is_fetched_by_a_worker_and_found_by_meaning_on_both(a, b)
        workers[0] = a_worker_killed_in_the_middle_of_a_digest_send_loses_and_doubles_nothing(
            a, b, workers, database_url, smtp_server
        )
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=WORKER_STOP_SECONDS)


def a_member_signed_in_on_one_machine_votes_on_both_within_one_limit(a: Machine, b: Machine) -> None:
    """Pages for a signed-in member are made for them at each request; what visitors share is kept
    for DAILYPAPERS_PAGE_CACHE_SECONDS on each machine, as on one."""
    cookies = sign_in(a, "ada@field.example.org")
    with a.browser(cookies) as on_a, b.browser(cookies) as on_b:
        # Signed in on B with the cookie A gave.
        assert "Sign out" in on_b.get("/").text

        assert upvote(on_a, PAPERS[0]).json()["upvotes"] == 1
        assert upvotes_in_api(b, PAPERS[0]) == 1
        page = on_b.get(f"/papers/{PAPERS[0]}").text
        assert 'aria-pressed="true"' in page
        token = form_token(on_a, f"/papers/{PAPERS[0]}")
        on_a.post(f"/papers/{PAPERS[0]}/comments", data={"csrf_token": token, "body": "Seen from B?"})
        assert "Seen from B?" in on_b.get(f"/papers/{PAPERS[0]}").text

        # The limit is the member's, whichever machine counts: VOTE_LIMIT votes in all, then no more.
        answers = [upvote(on_a if n % 2 else on_b, PAPERS[1], up=n % 2 == 0) for n in range(VOTE_LIMIT)]
        assert [answer.status_code for answer in answers] == [200] * (VOTE_LIMIT - 1) + [429]
        assert upvote(on_a, PAPERS[2]).status_code == 429
        assert upvote(on_b, PAPERS[2]).status_code == 429
    assert upvotes_in_api(a, PAPERS[2]) == upvotes_in_api(b, PAPERS[2]) == 0


def a_paper_a_moderator_hides_on_one_machine_is_gone_from_the_other_at_once(a: Machine, b: Machine) -> None:
    hidden = PAPERS[3]
    day_page, day_api = f"/papers/date/{DAY}", f"/api/daily_papers?date={DAY}"
    with b.browser() as reader:
        # B has the day's page and API answer in its caches.
        assert hidden in reader.get(day_page).text
        assert hidden in reader.get(day_api).text
        with a.browser(sign_in(a, MODERATOR)) as moderator:
            done = moderator.post(
                "/moderation/hide",
                data={
                    "csrf_token": form_token(moderator, f"/papers/{hidden}"),
                    "kind": "paper",
                    "target": hidden,
                    "reason": "spam",
                    "confirmed": "1",
                },
            )
            assert done.status_code == 303, done.text
        assert hidden not in reader.get(day_page).text
        assert hidden not in reader.get(day_api).text
        assert reader.get(f"/papers/{hidden}").status_code == 404
        assert reader.get(f"/api/papers/{hidden}").status_code == 404
        assert PAPERS[4] in reader.get(day_page).text


def a_paper_submitted_on_one_machine_is_fetched_by_a_worker_and_found_by_meaning_on_both(
    a: Machine, b: Machine
) -> None:
    """The web server queues the fetch; a worker on either machine fetches it from arXiv, indexes and
    embeds it into PostgreSQL; both web servers then find it by a description that shares none of
    its words, with no vector file in any data dir."""
    with a.browser(sign_in(a, "grace@field.example.org")) as member:
        token = form_token(member, "/submit")
        submitted = member.post("/submit", data={"csrf_token": token, "paper": SUBMITTED})
        assert submitted.status_code == 303, submitted.text
    deadline = time.monotonic() + WORKER_SECONDS
    found: dict[str, list[str]] = {}
    while time.monotonic() < deadline:
        for machine in (a, b):
            answer = httpx.get(f"{machine.url}/api/papers/search", params={"q": DESCRIPTION}, timeout=10)
            assert answer.status_code == 200, answer.text
            found[machine.url] = [paper["paper"]["id"] for paper in answer.json()]
        if all(SUBMITTED in ids for ids in found.values()):
            break
        time.sleep(0.5)
    assert all(SUBMITTED in ids for ids in found.values()), (found, worker_logs(a, b))
    assert not list(a.data_dir.glob("vectors*")) and not list(b.data_dir.glob("vectors*"))


def a_worker_killed_in_the_middle_of_a_digest_send_loses_and_doubles_nothing(
    a: Machine,
    b: Machine,
    workers: list[subprocess.Popen[bytes]],
    database_url: str,
    smtp_server: SmtpServer,
) -> subprocess.Popen[bytes]:
    """B's worker is stopped, so that A's is the one sending; A's worker dies with SIGKILL after its
    first mails. B's worker, started again, sends the rest, and A's leased batch once its lease runs
    out: every mail of the outbox arrives once, resent at most for the batch that was on the wire
    (under the same Message-ID, which shows it is one mail). Returns A's worker, now dead."""
    workers[1].terminate()
    workers[1].wait(timeout=WORKER_STOP_SECONDS)
    smtp_server.handler.messages.clear()
    engine = create_db_engine(Settings(database_url=database_url))
    with write_session(engine) as session:
        moment = dt.datetime(2025, 8, 4, 8)
        rows = [{"email": email, "created_at": moment, "confirmed_at": moment} for email in SUBSCRIBERS]
        session.execute(sa.insert(Subscriber), rows)
        built = build_edition(session, "daily", DAY, sender="Papers <papers@field.example.org>")
    assert built.queued == len(SUBSCRIBERS)

    deadline = time.monotonic() + WORKER_SECONDS
    while len(smtp_server.handler.messages) < SEND_BATCH and time.monotonic() < deadline:
        time.sleep(0.005)
    workers[0].send_signal(signal.SIGKILL)
    assert workers[0].wait(timeout=WORKER_STOP_SECONDS) == -signal.SIGKILL
    assert len(smtp_server.handler.messages) < len(SUBSCRIBERS), "A's worker sent all before it was killed"
    workers[1] = b.start_worker()
    with read_session(engine) as session:
        while waiting(session) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert waiting(session) == 0, worker_logs(a, b)
        queued = set(session.scalars(sa.select(OutboxMessage.message_id)))
    engine.dispose()

    received = [message["Message-ID"] for message in smtp_server.handler.messages]
    assert set(received) == queued, "a mail lost, or one sent that was not queued"
    assert {message["To"] for message in smtp_server.handler.messages} >= set(SUBSCRIBERS)
    assert len(received) - len(queued) <= SEND_BATCH  # SMTP's window, under the same Message-ID
    return workers[0]


def worker_logs(a: Machine, b: Machine) -> str:
    return "\n".join(
        (machine.data_dir.parent / f"{machine.data_dir.name}-worker.log").read_text(errors="replace")
        for machine in (a, b)
    )
