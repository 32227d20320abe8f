"""Search in Chromium: from the box in the header to results found by meaning, with the matched
words marked, then narrowed by the filters of the search page; with and without JavaScript."""

from __future__ import annotations

import pytest

from browser import BROWSER_MARKS, screenshot
from servers import TopicalSite

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def site_url(topical_site: TopicalSite) -> str:
    return topical_site.url


def result_titles(page: playwright.Page) -> list[str]:
    return page.locator("ol.search-results h2").all_inner_texts()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_reader_searches_from_the_header_and_narrows_the_results(
    site_url: str, browser: playwright.Browser, javascript: bool
) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(site_url + "/")
    page.get_by_role("searchbox", name="Search papers").fill("cancer screening radiographs")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=cancer+screening+radiographs")
    # No word of the query is in the paper: it is found by meaning.
    assert result_titles(page)[0] == "Finding tumours in chest X-rays"

    page.get_by_label('Words, "a phrase", or an arXiv id').fill("robotic hands")
    page.get_by_label("Category").fill("cs.RO")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search?q=robotic+hands&category=cs.RO**")
    assert sorted(result_titles(page)) == [
        "Grasp planning for multi-fingered hands",
        "Teaching robot arms to pick up household items",
    ]
    marked = page.locator("ol.search-results .abstract mark").all_inner_texts()
    assert [word.lower() for word in marked] == ["robotic", "hands"]
    expect(page.get_by_label("Category")).to_have_value("cs.RO")  # the form keeps the filters
    screenshot(page, f"search-{'js' if javascript else 'no-js'}")

    page.get_by_label("Category").fill("not a category!")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("not an arXiv category")
    context.close()


def test_a_reader_follows_did_you_mean_after_a_typo(site_url: str, browser: playwright.Browser) -> None:
    page = browser.new_page()
    page.goto(site_url + "/search")
    page.get_by_label('Words, "a phrase", or an arXiv id').fill("foldng protiens")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search?q=foldng+protiens**")
    # The typos are read as the words the titles hold, and the page offers them.
    assert result_titles(page)[0] == "Folding proteins with deep networks"
    page.get_by_role("link", name="folding proteins", exact=True).click()
    page.wait_for_url("**/search?q=folding%20proteins**")
    expect(page.get_by_label('Words, "a phrase", or an arXiv id')).to_have_value("folding proteins")
    assert result_titles(page)[0] == "Folding proteins with deep networks"
    expect(page.locator(".correction")).to_have_count(0)
    expect(page.locator(".result-count")).to_have_text("1 result")
    page.close()
