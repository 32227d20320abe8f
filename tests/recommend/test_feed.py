"""The "for you" feed, on SQLite and PostgreSQL: learned from upvotes, honouring follows, explained."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dailypapers.community.accounts import (
    create_sign_in_link,
    grant_moderator,
    start_session,
    update_profile,
    use_sign_in_link,
)
from dailypapers.community.dismissals import dismiss
from dailypapers.community.models import User
from dailypapers.community.moderation import hide_paper
from dailypapers.community.votes import set_vote
from dailypapers.db.write import read_session, write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.recommend import feed as feed_module
from dailypapers.recommend.feed import Pick, candidate_pool, for_you, picks_for_members, rank_papers_for
from dailypapers.search.semantic import SemanticSearch
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from dailypapers.web.members import SESSION_COOKIE
from search_papers import TOPICS, paper

ROBOT_ARMS, PROTEINS, TRANSLATION, TUMOURS, ENERGY, GRASPING = (f"2501.0000{n}" for n in range(1, 7))


def member(engine: sa.Engine, email: str, *, upvotes: tuple[str, ...] = (), **follows: list[str]) -> User:
    with write_session(engine) as session:
        link = create_sign_in_link(session, email)
    with write_session(engine) as session:
        user = use_sign_in_link(session, link)
        for paper_id in upvotes:
            set_vote(session, user, paper_id, up=True)
        if follows:
            update_profile(
                session,
                user,
                display_name=email,
                categories=follows.get("categories", []),
                authors=follows.get("authors", []),
            )
    return user


def feed(engine: sa.Engine, user: User | None) -> tuple[list[Pick], bool]:
    with read_session(engine) as session:
        fresh = session.get(User, user.id) if user else None
        return for_you(session, fresh)


def test_papers_like_those_upvoted_come_first_with_the_reason(
    engine: sa.Engine, topical: SemanticSearch
) -> None:
    picks, personal = feed(engine, member(engine, "ada@example.org", upvotes=(ROBOT_ARMS,)))
    assert personal
    assert picks[0].paper_id == GRASPING
    assert picks[0].reason == "because you upvoted “Teaching robot arms to pick up household items”"
    assert ROBOT_ARMS not in [pick.paper_id for pick in picks]  # nothing already upvoted


def test_followed_authors_and_categories_are_honoured(engine: sa.Engine, topical: SemanticSearch) -> None:
    picks, _ = feed(engine, member(engine, "bo@example.org", upvotes=(ROBOT_ARMS,), authors=["marie curie"]))
    assert picks[0].paper_id == TUMOURS and picks[0].reason == "by Marie Curie, whom you follow"
    picks, personal = feed(engine, member(engine, "cy@example.org", categories=["cs.CL"]))
    assert personal and picks[0].paper_id == TRANSLATION
    assert picks[0].reason == "new in cs.CL, which you follow"


def test_newcomers_and_visitors_get_what_is_trending(engine: sa.Engine, topical: SemanticSearch) -> None:
    member(engine, "voter@example.org", upvotes=(ENERGY,))
    for user in (member(engine, "new@example.org"), None):
        picks, personal = feed(engine, user)
        assert not personal
        assert [(pick.paper_id, pick.reason) for pick in picks] == [(ENERGY, "trending this week")]


def test_hidden_papers_are_not_picked(engine: sa.Engine, topical: SemanticSearch) -> None:
    member(engine, "mod@example.org")
    with write_session(engine) as session:
        hide_paper(session, grant_moderator(session, "mod@example.org"), GRASPING)  # type: ignore[arg-type]
    picks, _ = feed(engine, member(engine, "dee@example.org", upvotes=(ROBOT_ARMS,)))
    assert GRASPING not in [pick.paper_id for pick in picks]


def test_the_page_explains_each_pick(
    db_settings: Settings, engine: sa.Engine, topical: SemanticSearch
) -> None:
    reader = member(engine, "eve@example.org", upvotes=(ROBOT_ARMS,))
    member(engine, "voter@example.org", upvotes=(ENERGY,))
    with write_session(engine) as session:
        secret = start_session(session, session.get(User, reader.id))  # type: ignore[arg-type]
    with TestClient(create_app(db_settings)) as browser:
        visitor_page = browser.get("/for-you").text
        assert "Sign in</a>, upvote papers" in visitor_page and "trending this week" in visitor_page
        browser.cookies.set(SESSION_COOKIE, secret)
        page = browser.get("/for-you").text
    first = page.split('<li class="paper">')[1]
    assert f"/papers/{GRASPING}" in first
    assert "because you upvoted “Teaching robot arms to pick up household items”" in first


def test_dismissed_papers_leave_the_feed(engine: sa.Engine, topical: SemanticSearch) -> None:
    reader = member(engine, "fay@example.org", upvotes=(ROBOT_ARMS,))
    before, _ = feed(engine, reader)
    assert before[0].paper_id == GRASPING
    with write_session(engine) as session:
        dismiss(session, session.get(User, reader.id), GRASPING)  # type: ignore[arg-type]
    after, personal = feed(engine, reader)
    assert personal and GRASPING not in [pick.paper_id for pick in after]
    assert len(after) == len(TOPICS) - 2  # all but the upvoted and the dismissed paper


def test_a_list_ranked_for_a_member_gives_each_paper_its_reason(
    engine: sa.Engine, topical: SemanticSearch
) -> None:
    reader = member(engine, "gus@example.org", upvotes=(ROBOT_ARMS,), authors=["nikola tesla"])
    with write_session(engine) as session:
        dismiss(session, session.get(User, reader.id), PROTEINS)  # type: ignore[arg-type]
    with read_session(engine) as session:
        ranked = rank_papers_for(session, session.get(User, reader.id), list(TOPICS))  # type: ignore[arg-type]
        assert rank_papers_for(session, member(engine, "new@example.org"), list(TOPICS)) == []
    assert [pick.paper_id for pick in ranked][:2] == [ENERGY, GRASPING]
    assert ranked[0].reason == "by Nikola Tesla, whom you follow"
    assert ranked[1].reason == "because you upvoted “Teaching robot arms to pick up household items”"
    assert (ranked[-1].paper_id, ranked[-1].reason) == (ROBOT_ARMS, "you upvoted it")
    assert sorted(pick.paper_id for pick in ranked) == sorted(set(TOPICS) - {PROTEINS})


def test_a_digest_picks_as_the_feed_does(engine: sa.Engine, topical: SemanticSearch) -> None:
    readers = [
        member(engine, "hal@example.org", upvotes=(ROBOT_ARMS,)),
        member(engine, "ivy@example.org", upvotes=(TRANSLATION,), categories=["eess.IV"]),
    ]
    with write_session(engine) as session:
        dismiss(session, session.get(User, readers[0].id), TUMOURS)  # type: ignore[arg-type]
    with read_session(engine) as session:
        users = [session.get(User, reader.id) for reader in readers]
        pool = candidate_pool(session, list(TOPICS))
        assert candidate_pool(session, list(reversed(TOPICS))) is pool  # weighed once, then kept
        digest = picks_for_members(session, users, pool, limit=3)  # type: ignore[arg-type]
        for user in users:
            on_the_page, _ = for_you(session, user, limit=3)
            assert digest[user.id] == on_the_page  # type: ignore[union-attr]
    assert TUMOURS not in [pick.paper_id for pick in digest[readers[0].id]]


def test_a_moved_window_is_weighed_on_a_helper_thread_while_the_previous_one_answers(
    engine: sa.Engine, topical: SemanticSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed_module, "BACKGROUND_BUILD_MIN", 0)  # as a full arXiv's window
    reader = member(engine, "fay@example.org", upvotes=(ROBOT_ARMS,))
    assert feed(engine, reader)[0][0].paper_id == GRASPING  # the first window is weighed at once
    newer = paper(
        "2501.00007",
        "Robot arms grasp household items from camera images",
        "A manipulator learns to pick up cups and bottles.",
        listed_on=dt.date(2025, 1, 6),
    )
    with write_session(engine) as session:
        store_papers(session, [newer], rules=ListingRules())
    picks, _ = feed(engine, reader)
    assert "2501.00007" not in [pick.paper_id for pick in picks]  # the previous window answered at once
    deadline = time.monotonic() + 20
    while feed(engine, reader)[0][0].paper_id != "2501.00007":
        assert time.monotonic() < deadline, "the new window was never weighed"
        time.sleep(0.05)
