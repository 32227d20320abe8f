"""A period's two lists (the community's and all new papers), narrowed by category and counted
for their pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

from dailypapers.community import queries
from dailypapers.community.accounts import grant_moderator
from dailypapers.community.models import User
from dailypapers.community.moderation import hide_paper
from dailypapers.community.votes import set_vote
from dailypapers.db.write import read_session, write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import mark_deleted, store_papers
from factories import listed_paper

DAY = dt.date(2025, 8, 11)  # the day of the conftest's catalog


def test_a_day_narrowed_by_category_and_to_the_communitys_list(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    with write_session(catalog) as session:
        vision = [listed_paper("2508.00004", DAY, categories=["cs.CV", "cs.LG"])]
        vision.append(listed_paper("2508.00005", DAY, categories=["eess.IV", "cs.CV"]))  # cross-listed
        store_papers(session, vision, rules=ListingRules())
    ada, bob = member("ada@example.org"), member("bob@example.org")
    with write_session(catalog) as session:
        set_vote(session, ada, "2508.00002", up=True)
        set_vote(session, ada, "2508.00005", up=True)
        set_vote(session, bob, "2508.00005", up=True)

    def ids(**narrowed: str) -> list[str]:
        listed = queries.ranked_entries(session, DAY, DAY, **narrowed)  # type: ignore[arg-type]
        assert queries.count_entries(session, DAY, DAY, **narrowed) == len(listed)  # type: ignore[arg-type]
        return [item.paper.id for item in listed]

    with read_session(catalog) as session:
        assert ids() == ["2508.00005", "2508.00002", "2508.00001", "2508.00003", "2508.00004"]
        assert ids(category="cs.CV") == ["2508.00005", "2508.00004"]
        assert ids(category="cs") == [], "a category is matched whole"
        assert ids(kind="community") == ["2508.00005", "2508.00002"], "upvoted papers, most upvoted first"
        assert ids(kind="community", category="cs.CV") == ["2508.00005"]
        assert queries.categories_listed(session, DAY, DAY) == ["cs.CV", "cs.LG", "eess.IV"]
        assert queries.ranked_entries(session, DAY, DAY, offset=3, limit=10)[0].paper.id == "2508.00003"


def test_hidden_and_withdrawn_papers_leave_a_list_and_its_count(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    ada = member("ada@example.org")
    with write_session(catalog) as session:
        moderator = grant_moderator(session, "ada@example.org")
        assert moderator is not None
        set_vote(session, ada, "2508.00001", up=True)
        set_vote(session, ada, "2508.00002", up=True)
        hide_paper(session, moderator, "2508.00002")
        mark_deleted(session, ["2508.00003"])
    with read_session(catalog) as session:
        for kind in ("all", "community"):
            listed = queries.ranked_entries(session, DAY, DAY, kind=kind)  # type: ignore[arg-type]
            assert [item.paper.id for item in listed] == ["2508.00001"]
            assert queries.count_entries(session, DAY, DAY, kind=kind) == 1  # type: ignore[arg-type]


def test_the_communitys_list_of_a_week_is_ranked_by_upvotes_across_it(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    next_day = DAY + dt.timedelta(days=1)
    with write_session(catalog) as session:
        store_papers(session, [listed_paper("2508.00010", next_day)], rules=ListingRules())
    ada, bob = member("ada@example.org"), member("bob@example.org")
    with write_session(catalog) as session:
        for voter in (ada, bob):
            set_vote(session, voter, "2508.00002", up=True)
        set_vote(session, ada, "2508.00010", up=True)
    with read_session(catalog) as session:
        community = queries.ranked_entries(session, DAY, next_day, kind="community")
        everything = queries.ranked_entries(session, DAY, next_day)
    assert [item.paper.id for item in community] == ["2508.00002", "2508.00010"]
    assert [item.paper.id for item in everything][:2] == ["2508.00010", "2508.00002"], "newest day first"
