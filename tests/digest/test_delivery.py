"""Building and delivering editions through a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable

import sqlalchemy as sa
from fastapi.testclient import TestClient

from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.dismissals import dismissed_paper_ids
from dailypapers.community.models import User
from dailypapers.community.votes import set_vote
from dailypapers.db.write import read_session, write_session
from dailypapers.digest.editions import build_edition
from dailypapers.digest.models import Edition, OutboxMessage, Subscriber
from dailypapers.digest.sender import Sender, SendReport
from dailypapers.search.semantic import SemanticSearch
from smtp_sink import SmtpServer

DAY = dt.date(2025, 1, 3)  # the day search_papers.TOPICS are listed
ROBOT_ARMS, GRASPING = "2501.00001", "2501.00006"


def build(engine: sa.Engine, frequency: str = "daily") -> int:
    with write_session(engine) as session:
        return build_edition(session, frequency, DAY, sender="Papers <papers@example.org>").queued


def send(sender: Sender) -> SendReport:
    return asyncio.run(sender.send_due())


def outbox(engine: sa.Engine) -> dict[int, tuple[str, int]]:
    with read_session(engine) as session:
        rows = session.execute(
            sa.select(OutboxMessage.subscriber_id, OutboxMessage.status, OutboxMessage.attempts)
        )
        return {subscriber: (status, attempts) for subscriber, status, attempts in rows}


def test_an_edition_reaches_every_confirmed_subscriber_exactly_once(
    engine: sa.Engine,
    topical: SemanticSearch,
    subscriber: Callable[..., int],
    make_sender: Callable[..., Sender],
    smtp_server: SmtpServer,
) -> None:
    for name in ("ada", "bob", "cy"):
        subscriber(f"{name}@example.org")
    subscriber("unconfirmed@example.org", confirmed=False)
    subscriber("gone@example.org", left=True)
    subscriber("weekly@example.org", frequency="weekly")
    assert build(engine) == 3
    assert send(make_sender()).sent == 3
    assert build(engine) == 0 and send(make_sender()).sent == 0  # built and sent once
    received = smtp_server.handler.messages
    assert sorted(message["To"] for message in received) == [
        "ada@example.org",
        "bob@example.org",
        "cy@example.org",
    ]
    assert len({message["Message-ID"] for message in received}) == 3
    mail = received[0]
    assert mail["List-Unsubscribe"].strip().startswith("<http://127.0.0.1:8000/digest/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "<style" not in html and 'style="' in html  # CSS inlined for mail clients
    assert "Teaching robot arms to pick up household items" in html and "Teaching robot arms" in text
    assert "Unsubscribe: http://127.0.0.1:8000/digest/unsubscribe/" in text


def test_category_filters_narrow_the_mail_and_an_empty_one_is_not_sent(
    engine: sa.Engine,
    topical: SemanticSearch,
    subscriber: Callable[..., int],
    make_sender: Callable[..., Sender],
    smtp_server: SmtpServer,
) -> None:
    subscriber("robots@example.org", categories=["cs.RO"])
    subscriber("geometry@example.org", categories=["math.AG"])
    build(engine)
    report = send(make_sender())
    assert (report.sent, report.skipped) == (1, 1)
    (mail,) = smtp_server.handler.messages
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "robot arms" in text and "Grasp planning" in text and "proteins" not in text


def subscribed_member(engine: sa.Engine, subscriber: Callable[..., int]) -> User:
    """A member who upvoted the paper on robot arms and subscribed with their account's address, and
    the day's edition queued for them."""
    with write_session(engine) as session:
        member = use_sign_in_link(session, create_sign_in_link(session, "reader@example.org"))
        set_vote(session, member, ROBOT_ARMS, up=True)
    subscriber("reader@example.org")
    build(engine)
    return member


def test_members_get_personal_picks_with_the_reason(
    engine: sa.Engine,
    topical: SemanticSearch,
    subscriber: Callable[..., int],
    make_sender: Callable[..., Sender],
    smtp_server: SmtpServer,
) -> None:
    subscribed_member(engine, subscriber)
    send(make_sender(digest_papers=1, digest_picks=2))
    text = smtp_server.handler.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    top, picks = text.split("Picked for you")
    assert "Teaching robot arms" in top  # the most upvoted paper of the day
    assert "Grasp planning for multi-fingered hands" in picks.split("\n* ")[1]
    assert "because you upvoted “Teaching robot arms to pick up household items”" in picks


def test_a_pick_marked_not_interested_from_the_mail_leaves_the_members_picks(
    engine: sa.Engine,
    topical: SemanticSearch,
    subscriber: Callable[..., int],
    make_sender: Callable[..., Sender],
    smtp_server: SmtpServer,
    digest_site: TestClient,
) -> None:
    member = subscribed_member(engine, subscriber)
    sender = make_sender(digest_papers=1, digest_picks=2)
    send(sender)
    html = smtp_server.handler.messages[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
    first_pick = html.split("Picked for you")[1].split('class="card"')[1]
    assert "Grasp planning for multi-fingered hands" in first_pick
    link = re.search(r'href="http://[^/"]+(/digest/not-interested/[^"]+)"', first_pick)
    assert link is not None
    question = digest_site.get(link[1])  # what a mail scanner opening the link sees: a question
    assert "Not interested in “Grasp planning for multi-fingered hands”?" in question.text
    assert dismissed(engine, member) == []
    assert digest_site.post(link[1][:-2] + "xx").status_code == 400  # a link we did not send
    assert dismissed(engine, member) == []
    assert digest_site.post(link[1]).status_code == 200
    assert dismissed(engine, member) == [GRASPING]
    with read_session(engine) as session:
        content = sender.content(session, session.scalars(sa.select(Edition)).one())
        picks = sender.picks(session, content, [session.get_one(User, member.id)])[member.id]
    assert picks and GRASPING not in [pick.paper_id for pick in picks]


def dismissed(engine: sa.Engine, member: User) -> list[str]:
    with read_session(engine) as session:
        return dismissed_paper_ids(session, [member.id])[member.id]


def test_refusals_for_now_are_retried_and_for_good_bounce_then_suppress(
    engine: sa.Engine,
    topical: SemanticSearch,
    subscriber: Callable[..., int],
    make_sender: Callable[..., Sender],
    smtp_server: SmtpServer,
) -> None:
    busy, gone, fine = (subscriber(f"{name}@example.org") for name in ("busy", "nobody", "fine"))
    build(engine)
    sender = make_sender(digest_max_attempts=3, digest_bounce_limit=1)
    first = send(sender)
    assert (first.sent, first.bounced, first.retrying) == (1, 1, 1)
    assert outbox(engine)[busy] == ("pending", 1)
    send(sender)
    assert send(sender).failed == 1
    assert outbox(engine)[busy] == ("failed", 3)  # retried (at once, in this test) up to the limit
    assert outbox(engine)[gone] == ("bounced", 1) and outbox(engine)[fine] == ("sent", 0)
    with read_session(engine) as session:
        assert session.get_one(Subscriber, gone).suppressed_at is not None
    assert build(engine, "weekly") == 0  # nobody is weekly; and the suppressed address is never queued
    with write_session(engine) as session:
        session.get_one(Subscriber, gone).frequency = "daily"
    assert [message["To"] for message in smtp_server.handler.messages] == ["fine@example.org"]
