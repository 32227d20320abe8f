"""One subscriber's digest as it would be sent, for `dailypapers digest preview`."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dailypapers.community.models import User
from dailypapers.db.write import read_session
from dailypapers.digest.editions import edition_period, top_papers
from dailypapers.digest.models import Edition, Subscriber
from dailypapers.digest.sender import Sender
from dailypapers.digest.service import normalize_email, now
from dailypapers.papers.queries import newest_listing_day


def preview(
    engine: sa.Engine, sender: Sender, email: str, day: dt.date | None, weekly: bool
) -> tuple[str, str]:
    """The HTML and text of ``email``'s digest for ``day`` (default: the newest list); sends nothing."""
    address = normalize_email(email)
    frequency = "weekly" if weekly else "daily"
    with read_session(engine) as session:
        day = day or newest_listing_day(session)
        if day is None:
            raise ValueError("no papers have been listed yet")
        start, end = edition_period(frequency, day)
        edition = session.scalar(
            sa.select(Edition).where(Edition.frequency == frequency, Edition.period_start == start)
        ) or Edition(
            frequency=frequency,
            period_start=start,
            period_end=end,
            built_at=now(),
            paper_ids=top_papers(session, start, end),
        )
        subscriber = session.scalar(sa.select(Subscriber).where(Subscriber.email == address)) or Subscriber(
            id=0, email=address, frequency=frequency, categories=[]
        )
        member = session.scalar(sa.select(User).where(User.email == address))
        content = sender.content(session, edition)
        ranked = sender.picks(session, content, [member]).get(member.id, []) if member is not None else []
        mail = sender.compose(content, subscriber, ranked, "<preview@localhost>")
    if mail is None:
        raise ValueError(f"no papers of {day} for {address}'s categories")
    message = mail.parsed()
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    assert html is not None and text is not None
    return html.get_content(), text.get_content()  # type: ignore[attr-defined]
