"""Upvotes are one per member per paper, and the counts always equal the votes stored."""

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

from dailypapers.community.accounts import now
from dailypapers.community.models import User, Vote
from dailypapers.community.queries import ranked_entries, trending
from dailypapers.community.votes import set_vote, upvoted_among
from dailypapers.db.write import read_session, write_session

DAY = dt.date(2025, 8, 11)


def vote(engine: sa.Engine, user: User, paper_id: str, up: bool = True) -> int:
    with write_session(engine) as session:
        return set_vote(session, user, paper_id, up=up)


def ranking(engine: sa.Engine) -> list[tuple[str, int]]:
    with read_session(engine) as session:
        return [(listed.paper.id, listed.upvotes) for listed in ranked_entries(session, DAY, DAY)]


def test_votes_count_once_per_member_and_rank_the_day(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    ada, alan = member("ada@example.org"), member("alan@example.org")
    assert ranking(catalog) == [("2508.00001", 0), ("2508.00002", 0), ("2508.00003", 0)]
    assert vote(catalog, ada, "2508.00003") == 1
    assert vote(catalog, ada, "2508.00003") == 1  # a second click changes nothing
    assert vote(catalog, alan, "2508.00003") == 2
    assert vote(catalog, alan, "2508.00002") == 1
    assert ranking(catalog) == [("2508.00003", 2), ("2508.00002", 1), ("2508.00001", 0)]
    with read_session(catalog) as session:
        assert upvoted_among(session, ada, ["2508.00001", "2508.00003"]) == {"2508.00003"}


def test_taking_a_vote_back_is_idempotent_too(catalog: sa.Engine, member: Callable[[str], User]) -> None:
    ada = member("ada@example.org")
    vote(catalog, ada, "2508.00001")
    assert vote(catalog, ada, "2508.00001", up=False) == 0
    assert vote(catalog, ada, "2508.00001", up=False) == 0
    assert vote(catalog, ada, "2508.00002", up=False) == 0  # never voted
    with read_session(catalog) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 0


def test_trending_favours_recent_votes(catalog: sa.Engine, member: Callable[[str], User]) -> None:
    ada, alan, grace = (member(f"{name}@example.org") for name in ("ada", "alan", "grace"))
    for user in (ada, alan):
        vote(catalog, user, "2508.00001")
    vote(catalog, grace, "2508.00002")
    with write_session(catalog) as session:  # the two votes on the first paper were cast 5 days ago
        session.execute(
            sa.update(Vote)
            .where(Vote.paper_id == "2508.00001")
            .values(created_at=now() - dt.timedelta(days=5))
        )
    with read_session(catalog) as session:
        week = [(listed.paper.id, round(listed.trending_score, 1)) for listed in trending(session, "week")]
        day = [listed.paper.id for listed in trending(session, "day")]
        by_trend = ranked_entries(session, DAY, DAY, sort="trending", window="week")
    assert week == [("2508.00002", 1.0), ("2508.00001", 0.6)]  # 2 x (1 - 5/7) = 0.57
    assert day == ["2508.00002"]
    assert [listed.paper.id for listed in by_trend] == ["2508.00002", "2508.00001", "2508.00003"]
