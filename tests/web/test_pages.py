"""The pages people read: daily lists by day, week and month, paper pages, and friendly 404s."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dailypapers.db.write import write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from factories import listed_paper


def titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/papers/[^"]+">([^<]+)</a></h2>', html)


def test_home_shows_the_newest_day(site: TestClient) -> None:
    page = site.get("/")
    assert page.status_code == 200
    assert "Tuesday, 12 August 2025" in page.text
    assert titles(page.text) == [
        "Paper 2508.00003 on α-divergences",
        "Paper 2508.00006 on α-divergences",
        "Paper 2508.00007 on α-divergences",
    ]
    assert "Ada Lovelace, Alan Turing, Grace Hopper, Edsger Dijkstra et al." in page.text
    assert "Get trending papers in your email inbox!" in page.text


def test_previous_and_next_skip_empty_days(site: TestClient) -> None:
    page = site.get("/papers/date/2025-08-11")
    assert '<a rel="prev" href="/papers/date/2025-08-04">' in page.text
    assert '<a rel="next" href="/papers/date/2025-08-12">' in page.text
    oldest = site.get("/papers/date/2025-08-04").text
    assert 'rel="prev"' not in oldest


def test_week_and_month_views_gather_their_days(site: TestClient) -> None:
    week = site.get("/papers/week/2025-W33")
    assert "Week 33 of 2025" in week.text and len(titles(week.text)) == 5
    assert '<a rel="prev" href="/papers/week/2025-W32">' in week.text
    month = site.get("/papers/month/2025-08")
    assert "August 2025" in month.text and len(titles(month.text)) == 8


def test_a_day_without_papers_links_to_the_nearest_days(site: TestClient) -> None:
    page = site.get("/papers/date/2025-08-08")
    assert page.status_code == 200
    assert "No papers were listed on this day." in page.text
    assert 'href="/papers/date/2025-08-04"' in page.text and 'href="/papers/date/2025-08-11"' in page.text


def test_the_date_picker_goes_to_the_chosen_day(site: TestClient) -> None:
    answer = site.get("/papers", params={"date": "2025-08-11"}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/papers/date/2025-08-11")


def test_the_paper_page_shows_everything_about_a_paper(site: TestClient) -> None:
    page = site.get("/papers/2508.00001")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Paper 2508.00001 on α-divergences</h1>" in text
    assert "Barbara Liskov" in text
    assert "<p>We study things.</p>" in text and "<p>A second paragraph." in text
    for link in [
        "https://arxiv.org/abs/2508.00001",
        "https://arxiv.org/pdf/2508.00001",
        "https://arxiv.org/html/2508.00001",
        "https://doi.org/10.1000/xyz",
        "https://github.com/org/repo",
    ]:
        assert f'href="{link}"' in text
    assert "v1 (2025-08-01), v2 (2025-08-03)" in text
    assert '<a href="/papers/date/2025-08-04">2025-08-04</a>' in text
    assert "@misc{lovelace2025paper," in text


def test_old_style_ids_have_pages_and_titles_are_escaped(site: TestClient) -> None:
    page = site.get("/papers/hep-th/9901001")
    assert page.status_code == 200
    assert "Old &lt;b&gt;style&lt;/b&gt; id" in page.text


def test_unknown_papers_and_malformed_dates_get_the_404_page(site: TestClient) -> None:
    for path in [
        "/papers/2508.99999",
        "/papers/not-a-paper",
        "/papers/date/2025-02-30",
        "/papers/week/2025-W60",
        "/papers/year/2025",
        "/nowhere",
    ]:
        page = site.get(path)
        assert page.status_code == 404, path
        assert "<h1>Not found</h1>" in page.text, path


def test_an_empty_catalog_says_how_to_fill_it(empty_site: TestClient) -> None:
    assert "dailypapers ingest sample" in empty_site.get("/").text


def test_static_files_are_served(site: TestClient) -> None:
    assert "prefers-color-scheme: dark" in site.get("/static/style.css").text


@pytest.mark.parametrize(("cache_seconds", "sees_the_new_day"), [(60, False), (0, True)])
def test_pages_are_reused_for_the_cache_time_only(
    settings: Settings, sqlite_engine: sa.Engine, cache_seconds: float, sees_the_new_day: bool
) -> None:
    site = TestClient(create_app(settings.model_copy(update={"page_cache_seconds": cache_seconds})))
    with write_session(sqlite_engine) as session:
        store_papers(session, [listed_paper("2508.00001", dt.date(2025, 8, 11))], rules=ListingRules())
    assert "Monday, 11 August 2025" in site.get("/").text
    with write_session(sqlite_engine) as session:
        store_papers(session, [listed_paper("2508.00002", dt.date(2025, 8, 12))], rules=ListingRules())
    assert ("Tuesday, 12 August 2025" in site.get("/").text) is sees_the_new_day


def test_every_answer_forbids_sniffing_and_framing(site: TestClient) -> None:
    for path in ["/", "/papers/2508.00001.md", "/api/daily_papers", "/no-such-page"]:
        headers = site.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
