"""A lab's members read a busy day in Chromium: page 2 and 3 reached from the front page, a
category, the community's list; an upvote without JavaScript that keeps their place; a header that
fits a laptop in one row and leaves a phone's first screen to the paper; an icon, no 404."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from big_day import BIG_DAY_PATH, LONG_PAPER, UPVOTED
from browser import BROWSER_MARKS, screenshot
from dailypapers.community.accounts import (
    create_sign_in_link,
    grant_moderator,
    start_session,
    update_profile,
    use_sign_in_link,
)
from dailypapers.db.engine import create_db_engine
from dailypapers.db.write import write_session
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from dailypapers.web.members import SESSION_COOKIE
from servers import serving

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

pytestmark = BROWSER_MARKS


@dataclass(frozen=True)
class BigSite:
    url: str
    #: The session cookie of a moderator with a long display name (the widest header there is).
    moderator_session: str


@pytest.fixture(scope="module")
def big_site(big_day_settings: Settings) -> Iterator[BigSite]:
    engine = create_db_engine(big_day_settings)
    with write_session(engine) as session:
        member = use_sign_in_link(session, create_sign_in_link(session, "grace@example.org"))
        update_profile(
            session, member, display_name="Grace Brewster Murray Hopper", categories=[], authors=[]
        )
        grant_moderator(session, "grace@example.org")
        secret = start_session(session, member)
    engine.dispose()
    with serving(create_app(big_day_settings)) as url:
        yield BigSite(url, secret)


NewPage = Callable[..., "playwright.Page"]


@pytest.fixture
def new_page(browser: playwright.Browser, big_site: BigSite) -> Iterator[NewPage]:
    """``new_page(width, height, signed_in=False, javascript=True)``: a page in a context of its own."""
    contexts: list[playwright.BrowserContext] = []

    def make(
        width: int = 1280, height: int = 800, *, signed_in: bool = False, javascript: bool = True
    ) -> playwright.Page:
        context = browser.new_context(
            viewport={"width": width, "height": height}, java_script_enabled=javascript
        )
        context.set_default_timeout(10_000)
        if signed_in:
            context.add_cookies(
                [{"name": SESSION_COOKIE, "value": big_site.moderator_session, "url": big_site.url}]
            )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def test_a_reader_reaches_page_2_and_3_of_a_big_day_from_the_front_page(
    big_site: BigSite, new_page: NewPage
) -> None:
    page = new_page()
    page.goto(big_site.url + "/")
    pages = page.get_by_role("navigation", name="Pages", exact=True)
    expect(pages).to_contain_text("290 papers · page 1 of 3")
    page.get_by_role("navigation", name="More pages").get_by_role("link", name="Next page →").click()
    page.wait_for_url(f"**{BIG_DAY_PATH}?page=1")
    expect(pages).to_contain_text("290 papers · page 2 of 3")
    expect(page.locator("ol.papers > li")).to_have_count(100)
    screenshot(page, "big-day-page-2")
    pages.get_by_role("link", name="Next page →").click()
    page.wait_for_url(f"**{BIG_DAY_PATH}?page=2")
    expect(pages).to_contain_text("290 papers · page 3 of 3")
    expect(page.locator("ol.papers > li")).to_have_count(90)
    expect(pages.get_by_role("link", name="Next page →")).to_have_count(0)
    pages.get_by_role("link", name="← Previous page").click()
    page.wait_for_url(f"**{BIG_DAY_PATH}?page=1")

    page.get_by_label("Category").select_option("cs.CV")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**{BIG_DAY_PATH}?category=cs.CV")
    expect(pages).to_have_text("58 papers")
    assert page.locator("ol.papers .category").all_inner_texts() == ["cs.CV"] * 58

    page.get_by_role("navigation", name="List").get_by_role("link", name="Community").click()
    page.wait_for_url(f"**{BIG_DAY_PATH}?list=community&category=cs.CV")
    expect(page.locator("main")).to_contain_text(
        "No paper listed on this day in cs.CV has been submitted or upvoted yet. See all 58 new papers"
    )
    page.get_by_label("Category").select_option("")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**{BIG_DAY_PATH}?category=&list=community")
    expect(page.locator("main")).to_contain_text("The community's list: papers members submitted or upvoted")
    titles = page.locator("ol.papers h2 a")
    expect(titles).to_have_count(len(UPVOTED))
    assert [href.split("/")[-1] for href in titles.evaluate_all("links => links.map(a => a.href)")] == list(
        UPVOTED
    )


def upvote_button(page: playwright.Page, paper_id: str) -> playwright.Locator:
    return page.locator(f'[id="upvote-{paper_id}"] button')


def test_an_upvote_without_javascript_returns_to_the_same_page_and_paper(
    big_site: BigSite, new_page: NewPage
) -> None:
    page = new_page(signed_in=True, javascript=False)
    page.goto(big_site.url + BIG_DAY_PATH)
    row = page.locator("li.paper").nth(80)
    paper_id = row.locator("form.upvote").get_attribute("id").removeprefix("upvote-")  # type: ignore[union-attr]
    row.locator("form.upvote button").click()
    page.wait_for_url(f"**{BIG_DAY_PATH}#upvote-{paper_id}")
    expect(upvote_button(page, paper_id)).to_have_attribute("aria-pressed", "true")
    expect(upvote_button(page, paper_id)).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0, "the page opens where the button is, not at the top"
    upvote_button(page, paper_id).click()  # taken back: the paper goes back to its place
    page.wait_for_url(f"**{BIG_DAY_PATH}#upvote-{paper_id}")
    expect(upvote_button(page, paper_id)).to_have_attribute("aria-pressed", "false")
    expect(upvote_button(page, paper_id)).to_be_in_viewport()

    page.goto(big_site.url + BIG_DAY_PATH + "?page=2")
    row = page.locator("li.paper").nth(40)
    paper_id = row.locator("form.upvote").get_attribute("id").removeprefix("upvote-")  # type: ignore[union-attr]
    row.locator("form.upvote button").click()
    page.wait_for_url(f"**{BIG_DAY_PATH}?page=2#upvote-{paper_id}")
    expect(page.get_by_role("navigation", name="Pages", exact=True)).to_contain_text("page 3 of 3")
    page.goto(big_site.url + BIG_DAY_PATH)  # upvoted, it ranks on the first page: taken back there
    upvote_button(page, paper_id).click()
    page.wait_for_url(f"**{BIG_DAY_PATH}#upvote-{paper_id}")


def header_links_tops(page: playwright.Page) -> set[int]:
    return set(
        page.locator("header.site nav a, header.site nav button").evaluate_all(
            "items => items.map(item => Math.round(item.getBoundingClientRect().top))"
        )
    )


def test_the_header_is_one_row_on_a_laptop_and_short_on_a_phone(big_site: BigSite, new_page: NewPage) -> None:
    laptop = new_page(1280, 800, signed_in=True)
    laptop.goto(big_site.url + f"/papers/{LONG_PAPER}")
    expect(laptop.get_by_role("link", name="Moderation")).to_be_visible()
    header = laptop.locator("header.site").bounding_box()
    brand = laptop.locator("header.site .brand").bounding_box()
    assert header and brand and header["height"] <= 72, header
    assert brand["height"] <= 32, "“Daily Papers” stays on one line"
    assert len(header_links_tops(laptop)) == 1, "every link of the header on one row"
    upvote = laptop.locator(".title-row form.upvote button").bounding_box()
    assert upvote and upvote["height"] >= 64 and upvote["width"] >= 64, "the upvote button matches the title"
    screenshot(laptop, "paper-page-signed-in-1280")

    tablet = new_page(800, 1000, signed_in=True)
    tablet.goto(big_site.url + "/")
    assert len(header_links_tops(tablet)) == 1, "narrower, the links move under the brand as one row"
    assert tablet.evaluate("document.documentElement.scrollWidth") <= 800, "the page does not scroll sideways"

    phone = new_page(390, 844, signed_in=True)
    phone.goto(big_site.url + f"/papers/{LONG_PAPER}")
    header = phone.locator("header.site").bounding_box()
    assert header and header["height"] <= 100, header
    assert len(header_links_tops(phone)) == 1, "the links are one row that scrolls sideways"
    abstract = phone.locator("#abstract-title").bounding_box()
    assert abstract and abstract["y"] + abstract["height"] < 844, "the abstract starts on the first screen"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the page does not scroll sideways"
    upvote = phone.locator(".title-row form.upvote button").bounding_box()
    assert upvote and upvote["height"] >= 44, "a thumb's target"
    screenshot(phone, "paper-page-signed-in-390")


def test_every_page_has_an_icon_and_asks_for_nothing_missing(big_site: BigSite, new_page: NewPage) -> None:
    page = new_page()
    missing: list[str] = []
    page.on("response", lambda answer: missing.append(answer.url) if answer.status >= 400 else None)
    page.goto(big_site.url + "/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None
    answer = page.request.get(big_site.url + icon)
    assert answer.ok and answer.headers["content-type"].startswith("image/svg+xml")
    assert page.request.get(big_site.url + "/favicon.ico").headers["content-type"].startswith("image/svg+xml")
    page.goto(big_site.url + "/trending")
    assert missing == []
