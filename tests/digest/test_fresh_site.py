"""A digest from a site where few papers were upvoted yet: the upvoted ones first, then the newest
papers on the list, each said for what it is (not "most upvoted" with ▲ 0)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.votes import set_vote
from dailypapers.db.write import write_session
from dailypapers.digest.editions import build_edition
from dailypapers.digest.sender import Sender
from dailypapers.search.semantic import SemanticSearch
from smtp_sink import SmtpServer

DAY = dt.date(2025, 1, 3)  # the day search_papers.TOPICS are listed
ROBOT_ARMS = "2501.00001"


def delivered_text(engine: sa.Engine, sender: Sender, smtp_server: SmtpServer) -> str:
    with write_session(engine) as session:
        build_edition(session, "daily", DAY, sender="Papers <papers@example.org>")
    asyncio.run(sender.send_due())
    (mail,) = smtp_server.handler.messages
    return str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_nothing_upvoted_sends_the_newest_papers_and_says_so(
    engine: sa.Engine,
    topical: SemanticSearch,
    subscriber: Callable[..., int],
    make_sender: Callable[..., Sender],
    smtp_server: SmtpServer,
) -> None:
    subscriber("ada@example.org")
    text = delivered_text(engine, make_sender(), smtp_server)
    assert text.startswith("New papers of Friday, January 3, 2025")
    assert "No paper of this day has been upvoted yet: here are the newest on the list." in text
    assert "upvoted most" not in text and "▲ 0" not in text
    assert "1. Teaching robot arms to pick up household items" in text


def test_the_upvoted_papers_come_first_then_the_newest_under_their_own_heading(
    engine: sa.Engine,
    topical: SemanticSearch,
    subscriber: Callable[..., int],
    make_sender: Callable[..., Sender],
    smtp_server: SmtpServer,
) -> None:
    with write_session(engine) as session:
        member = use_sign_in_link(session, create_sign_in_link(session, "ada@example.org"))
        set_vote(session, member, "2501.00003", up=True)
    subscriber("bob@example.org")
    text = delivered_text(engine, make_sender(), smtp_server)
    assert text.startswith("Trending papers of Friday, January 3, 2025")
    upvoted, newest = text.split("New on the list")
    assert "community upvoted most." in upvoted and "▲ 1" in upvoted and upvoted.count("▲") == 1
    assert "Not upvoted yet: the newest papers on the list." in newest and "▲" not in newest
    assert "2. Teaching robot arms to pick up household items" in newest
