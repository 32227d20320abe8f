"""A real browser (Debian's Chromium, driven by Playwright) reads the site like a visitor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from browser import BROWSER_MARKS, screenshot

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = BROWSER_MARKS


@pytest.fixture
def page(browser: playwright.Browser) -> Iterator[playwright.Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_a_reader_goes_from_today_to_the_previous_day_and_to_a_paper(
    live_server: str, page: playwright.Page
) -> None:
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "Tuesday, 12 August 2025"
    screenshot(page, "daily-page")

    page.get_by_role("link", name="← 2025-08-11").click()
    page.wait_for_url("**/papers/date/2025-08-11")
    assert page.locator("ol.papers > li").count() == 2
    screenshot(page, "previous-day")

    page.get_by_role("link", name="Paper 2508.00002 on α-divergences").click()
    page.wait_for_url("**/papers/2508.00002")
    assert page.locator("h1").inner_text() == "Paper 2508.00002 on α-divergences"
    assert page.locator("#bibtex").inner_text().startswith("@misc{lovelace2025paper,")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy BibTeX").click()
    assert page.evaluate("navigator.clipboard.readText()").startswith("@misc{lovelace2025paper,")
    assert page.get_by_role("button", name="Copied").is_visible()
    screenshot(page, "paper-page")


def test_the_date_picker_works_without_javascript(live_server: str, browser: playwright.Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.fill("#date-picker", "2025-08-04")
    page.get_by_role("button", name="Go").click()
    page.wait_for_url("**/papers/date/2025-08-04")
    assert "Monday, 4 August 2025" in page.locator("h1").inner_text()
    context.close()


def test_the_layout_fits_a_phone_in_dark_mode(live_server: str, browser: playwright.Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    page.goto(live_server + "/papers/week/2025-W33")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing scrolls sideways on a phone"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 20, 23)"
    screenshot(page, "week-phone-dark")
    context.close()
