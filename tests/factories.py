"""Builders of test data and helpers for forms, importable from any test module (``conftest`` names collide
across folders)."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import sqlalchemy as sa

from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.comments import add_comment
from dailypapers.community.votes import set_vote
from dailypapers.db.write import write_session
from dailypapers.digest.editions import build_edition
from dailypapers.digest.service import confirm, subscribe
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers

#: The day the papers of ``fill_lab_site`` were listed.
LAB_DAY = dt.date(2026, 5, 20)


def listed_paper(arxiv_id: str, day: dt.date, **changes: object) -> PaperRecord:
    fields: dict[str, object] = {
        "id": arxiv_id,
        "title": f"Paper {arxiv_id} on $\\alpha$-divergences",
        "authors": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"],
        "abstract": "We study things.\n\nA second paragraph. Code: https://github.com/org/repo",
        "categories": ["cs.LG", "stat.ML"],
        "versions": {1: dt.datetime(2025, 8, 1, 17, 59, 33), 2: dt.datetime(2025, 8, 3, 9, 0)},
        "doi": "10.1000/xyz",
        "listed_on": day,
    }
    fields.update(changes)
    return PaperRecord.build(**fields)  # type: ignore[arg-type]


def form_token(client: httpx.Client, path: str = "/") -> str:
    """The CSRF token of the forms on ``path``, as a browser would find it (the cookie comes along)."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match is not None, f"no form on {path}"
    return match.group(1)


def fill_lab_site(engine: sa.Engine) -> None:
    """A lab's site: five papers, two members with three votes and a comment with its reply, two
    confirmed subscribers and an edition queued for them in the digest outbox."""
    with write_session(engine) as session:
        store_papers(
            session, [listed_paper(f"2605.0000{n}", LAB_DAY) for n in range(1, 6)], rules=ListingRules()
        )
        ada = use_sign_in_link(session, create_sign_in_link(session, "ada@lab.example.org"))
        bob = use_sign_in_link(session, create_sign_in_link(session, "bob@lab.example.org"))
        for member in (ada, bob):
            set_vote(session, member, "2605.00001", up=True)
        set_vote(session, ada, "2605.00003", up=True)
        question = add_comment(session, ada, "2605.00001", "Does it scale?")
        add_comment(session, bob, "2605.00001", "It does.", reply_to=question.id)
        for email in ("carol@lab.example.org", "dan@lab.example.org"):
            confirm(session, subscribe(session, email).subscriber_id)
        assert build_edition(session, "daily", LAB_DAY, sender="Papers <papers@lab.example.org>").queued == 2
