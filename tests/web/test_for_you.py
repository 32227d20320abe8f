"""A member's own order on the site: "not interested" on every pick, and any day's list sorted
"for you", each paper with its reason; visitors are told how to get it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dailypapers.community.accounts import create_sign_in_link, start_session, use_sign_in_link
from dailypapers.community.dismissals import dismissed_paper_ids
from dailypapers.community.models import User
from dailypapers.community.votes import set_vote
from dailypapers.db.write import read_session, write_session
from dailypapers.search.semantic import SemanticSearch
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from dailypapers.web.members import SESSION_COOKIE
from factories import form_token
from search_papers import TOPICS

ROBOT_ARMS, PROTEINS, TRANSLATION, TUMOURS, ENERGY, GRASPING = TOPICS
DAY_PATH = "/papers/date/2025-01-03"


@pytest.fixture
def reader(engine: sa.Engine, topical: SemanticSearch) -> User:
    """A member who upvoted the paper on robot arms."""
    with write_session(engine) as session:
        user = use_sign_in_link(session, create_sign_in_link(session, "reader@example.org"))
        set_vote(session, user, ROBOT_ARMS, up=True)
    return user


@pytest.fixture
def site(db_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(db_settings), follow_redirects=False) as client:
        yield client


def signed_in(site: TestClient, engine: sa.Engine, user: User) -> TestClient:
    with write_session(engine) as session:
        site.cookies.set(SESSION_COOKIE, start_session(session, session.get_one(User, user.id)))
    return site


def paper_order(html: str) -> list[str]:
    return [
        item.split('href="/papers/', 1)[1].split('"', 1)[0] for item in html.split('<li class="paper">')[1:]
    ]


def not_interested(site: TestClient, paper_id: str, page: str, **fields: str) -> object:
    token = form_token(site, page)
    return site.post(f"/papers/{paper_id}/not-interested", data={"csrf_token": token, "next": page, **fields})


def test_not_interested_takes_a_pick_out_of_the_feed_until_undone(
    site: TestClient, engine: sa.Engine, reader: User
) -> None:
    signed_in(site, engine, reader)
    assert paper_order(site.get("/for-you").text)[0] == GRASPING
    answer = not_interested(site, GRASPING, "/for-you")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"] == f"/for-you?dismissed={GRASPING}"  # type: ignore[attr-defined]
    page = site.get(answer.headers["location"]).text  # type: ignore[attr-defined]
    assert "“Grasp planning for multi-fingered hands” is out of your feed" in page
    assert GRASPING not in paper_order(page)
    undone = not_interested(site, GRASPING, "/for-you", undo="true")
    assert undone.headers["location"] == "/for-you"  # type: ignore[attr-defined]
    assert paper_order(site.get("/for-you").text)[0] == GRASPING


def test_not_interested_needs_a_member_and_the_form_token(
    site: TestClient, engine: sa.Engine, reader: User
) -> None:
    visitor = not_interested(site, GRASPING, "/for-you")
    assert visitor.status_code == 303 and "/signin" in visitor.headers["location"]  # type: ignore[attr-defined]
    signed_in(site, engine, reader)
    forged = site.post(f"/papers/{GRASPING}/not-interested", data={"next": "/for-you"})
    assert forged.status_code == 403
    unknown = not_interested(site, "2599.99999", "/for-you")
    assert unknown.status_code == 404  # type: ignore[attr-defined]
    with read_session(engine) as session:
        assert dismissed_paper_ids(session, [reader.id]) == {reader.id: []}


def test_a_day_sorted_for_you_explains_each_paper(site: TestClient, engine: sa.Engine, reader: User) -> None:
    visitor_page = site.get(f"{DAY_PATH}?sort=for-you").text
    assert "to rank this list by what you upvote and follow" in visitor_page
    assert paper_order(visitor_page) == paper_order(site.get(DAY_PATH).text)  # the community's order
    signed_in(site, engine, reader)
    page = site.get(f"{DAY_PATH}?sort=for-you").text
    assert "Ranked for you" in page
    order = paper_order(page)
    assert order[0] == GRASPING and sorted(order) == sorted(TOPICS)
    first = page.split('<li class="paper">')[1]
    assert "because you upvoted “Teaching robot arms to pick up household items”" in first
    dismissed = not_interested(site, GRASPING, f"{DAY_PATH}?sort=for-you")
    assert dismissed.headers["location"] == f"{DAY_PATH}?sort=for-you&dismissed={GRASPING}"  # type: ignore[attr-defined]
    assert GRASPING not in paper_order(site.get(dismissed.headers["location"]).text)  # type: ignore[attr-defined]


def test_a_new_member_sorting_for_you_is_told_how_it_learns(
    site: TestClient, engine: sa.Engine, topical: SemanticSearch
) -> None:
    with write_session(engine) as session:
        newcomer = use_sign_in_link(session, create_sign_in_link(session, "new@example.org"))
    page = signed_in(site, engine, newcomer).get(f"{DAY_PATH}?sort=for-you").text
    assert "this order learns what you like. Until then: the community's order" in page
    assert len(paper_order(page)) == len(TOPICS)
