"""A member's own order in Chromium: two members from one address, one who has upvoted and one
who has not, sort the day's list "for you"; the first says "not interested" to a pick and undoes it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from browser import BROWSER_MARKS, screenshot
from dailypapers.community.accounts import create_sign_in_link, start_session, use_sign_in_link
from dailypapers.community.models import Dismissal
from dailypapers.community.votes import set_vote
from dailypapers.db.write import read_session, write_session
from dailypapers.web.members import SESSION_COOKIE
from servers import TopicalSite

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = BROWSER_MARKS

ROBOT_ARMS, GRASPING = "2501.00001", "2501.00006"
DAY_PATH = "/papers/date/2025-01-03"


@dataclass(frozen=True)
class Site:
    url: str
    engine: sa.Engine

    def member(self, email: str, *upvoted: str) -> str:
        """A signed-in member who upvoted ``upvoted``; returns their session cookie."""
        with write_session(self.engine) as session:
            user = use_sign_in_link(session, create_sign_in_link(session, email))
            for paper_id in upvoted:
                set_vote(session, user, paper_id, up=True)
            return start_session(session, user)

    def dismissed(self) -> list[str]:
        """Every paper anyone marked "not interested"."""
        with read_session(self.engine) as session:
            return list(session.scalars(sa.select(Dismissal.paper_id)))


@pytest.fixture(scope="module")
def site(topical_site: TopicalSite) -> Site:
    return Site(topical_site.url, topical_site.engine)


def signed_in(browser: playwright.Browser, site: Site, cookie: str) -> playwright.Page:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": site.url}])
    return context.new_page()


def titles(page: playwright.Page) -> list[str]:
    return page.locator("ol.papers li.paper h2").all_inner_texts()


def test_two_members_sort_a_day_for_you_and_one_is_not_interested(
    site: Site, browser: playwright.Browser
) -> None:
    ada = signed_in(browser, site, site.member("ada@example.org", ROBOT_ARMS))
    bob = signed_in(browser, site, site.member("bob@example.org"))

    ada.goto(site.url + DAY_PATH)
    community_order = titles(ada)
    ada.get_by_role("navigation", name="Order").get_by_role("link", name="For you").click()
    ada.wait_for_url(f"**{DAY_PATH}?sort=for-you")
    expect(ada.locator("main")).to_contain_text("Ranked for you")
    first = ada.locator("ol.papers li.paper").first
    expect(first.locator("h2")).to_have_text("Grasp planning for multi-fingered hands")
    expect(first.locator(".reason")).to_have_text(
        "because you upvoted “Teaching robot arms to pick up household items”"
    )
    # What Ada upvoted comes last (she knows it), with nothing to dismiss.
    upvoted = ada.locator("ol.papers li.paper").last
    expect(upvoted.locator(".reason")).to_have_text("you upvoted it")
    expect(upvoted.get_by_role("button", name="Not interested")).to_have_count(0)
    screenshot(ada, "for-you-sorted-day")

    # Bob, behind the same address, has upvoted nothing: the page says so and keeps the community's order.
    bob.goto(site.url + DAY_PATH + "?sort=for-you")
    expect(bob.locator("main")).to_contain_text("this order learns what you like")
    assert titles(bob) == community_order

    first.get_by_role("button", name="Not interested").click()
    ada.wait_for_url(f"**{DAY_PATH}?sort=for-you&dismissed={GRASPING}")
    expect(ada.get_by_role("status")).to_contain_text(
        "“Grasp planning for multi-fingered hands” is out of your feed"
    )
    assert "Grasp planning for multi-fingered hands" not in titles(ada)
    assert site.dismissed() == [GRASPING]
    ada.goto(site.url + "/for-you")
    assert "Grasp planning for multi-fingered hands" not in titles(ada)
    screenshot(ada, "for-you-after-not-interested")

    ada.goto(site.url + DAY_PATH + f"?sort=for-you&dismissed={GRASPING}")
    ada.get_by_role("status").get_by_role("button", name="Undo").click()
    ada.wait_for_url(f"**{DAY_PATH}?sort=for-you")
    expect(ada.locator("ol.papers li.paper").first.locator("h2")).to_have_text(
        "Grasp planning for multi-fingered hands"
    )
    assert site.dismissed() == []
