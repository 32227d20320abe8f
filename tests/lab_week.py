"""A lab's week: two listed days of one week, votes and a comment, as the API tests read it."""

from __future__ import annotations

import datetime as dt

from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.comments import add_comment
from dailypapers.community.votes import set_vote
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings
from factories import listed_paper

MONDAY, WEDNESDAY = dt.date(2026, 5, 18), dt.date(2026, 5, 20)
#: Listed on Monday and upvoted by three members: the week's most talked-about paper.
POPULAR = "2605.00001"
#: Listed on Wednesday before arXiv's metadata gave its dates; its comments name a project page.
UNDATED = "2605.00004"


def build_lab_week(settings: Settings) -> None:
    """Store the week's papers, three members' votes and a comment in the database of ``settings``."""
    engine = create_db_engine(settings)
    upgrade_database(engine)
    records = [
        listed_paper(POPULAR, MONDAY, title="Attention for labs"),
        listed_paper("2605.00002", MONDAY),
        listed_paper("2605.00003", WEDNESDAY),
        listed_paper(
            UNDATED,
            WEDNESDAY,
            versions={},
            comments="12 pages. Project page: https://lab.example.org/undated.",
        ),
    ]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
        members = [use_sign_in_link(session, create_sign_in_link(session, f"m{n}@lab.org")) for n in range(3)]
        for member in members:
            set_vote(session, member, POPULAR, up=True)
        set_vote(session, members[0], "2605.00003", up=True)
        add_comment(session, members[0], UNDATED, "Does the code run on CPUs?")
    engine.dispose()
