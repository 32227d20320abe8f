"""In Chromium on a network that reaches only the site, as in a lab without the Internet: the API docs,
the feeds of a paper's categories, and an author's papers from the search form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from browser import BROWSER_MARKS, screenshot

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = BROWSER_MARKS


@pytest.fixture
def offline_page(browser: playwright.Browser, live_server: str) -> Iterator[playwright.Page]:
    """A page whose requests to any other site fail, as on a lab's network without the Internet."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(live_server) else route.abort(),
    )
    page = context.new_page()
    yield page
    context.close()


def test_the_api_docs_show_offline(live_server: str, offline_page: playwright.Page) -> None:
    offline_page.goto(f"{live_server}/docs")
    operation = offline_page.locator(".opblock-summary-path", has_text="/api/daily_papers").first
    playwright.expect(operation).to_be_visible()
    playwright.expect(
        offline_page.locator(".opblock-summary-path", has_text="/api/digest/subscribe")
    ).to_be_visible()
    screenshot(offline_page, "api-docs-offline")
    offline_page.goto(f"{live_server}/redoc")
    playwright.expect(offline_page.get_by_text("/api/daily_papers").first).to_be_attached()


def test_a_paper_page_links_each_categorys_feed(live_server: str, offline_page: playwright.Page) -> None:
    offline_page.goto(f"{live_server}/papers/2508.00001")
    feeds = offline_page.get_by_role("link", name="feed")
    playwright.expect(feeds).to_have_count(2)
    feeds.first.click()
    assert offline_page.url == f"{live_server}/papers/feed.rss?category=cs.LG"


def test_a_reader_lists_an_authors_papers_from_the_search_form(
    live_server: str, offline_page: playwright.Page
) -> None:
    offline_page.goto(f"{live_server}/search")
    playwright.expect(offline_page.locator("#search-dates-hint")).to_contain_text("first arXiv version")
    offline_page.get_by_label("Author").fill("Lovelace")
    offline_page.get_by_role("button", name="Search").click()
    heading = offline_page.get_by_text("Papers by authors named “Lovelace”, newest first.")
    playwright.expect(heading).to_be_visible()
    playwright.expect(offline_page.locator("li.paper")).to_have_count(8)
