"""Every list in pages a reader can walk ("290 papers · page 2 of 3"), narrowed by category, as the
community's list or all new papers, and what a list says when it is empty."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from big_day import BIG_DAY_PAPERS, UPVOTED, VISION_PAPERS
from big_day import BIG_DAY_PATH as DAY_PATH
from dailypapers.settings import Settings
from dailypapers.web import community as community_pages
from dailypapers.web.app import create_app


@pytest.fixture(scope="module")
def big_site(big_day_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(big_day_settings)) as client:
        yield client


@pytest.fixture(scope="module")
def community_first_site(big_day_settings: Settings) -> Iterator[TestClient]:
    """The same site whose operator set ``DAILYPAPERS_FRONT_LIST=community``."""
    with TestClient(create_app(big_day_settings.model_copy(update={"front_list": "community"}))) as client:
        yield client


def shown(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/papers/([^"]+)">', html)


def link(html: str, rel: str) -> str | None:
    """The address of the list's own previous or next page (not of the previous or next day)."""
    pages = html.split('<nav class="pages"', 1)[1].split("</nav>", 1)[0]
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', pages)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_front_page_leads_through_every_page_of_a_big_day(big_site: TestClient) -> None:
    first = big_site.get("/").text
    assert "290 papers · page 1 of 3" in first
    assert link(first, "prev") is None
    second_address = link(first, "next")
    assert second_address == f"{DAY_PATH}?page=1"
    second = big_site.get(second_address).text
    assert "290 papers · page 2 of 3" in second
    assert link(second, "prev") == DAY_PATH
    third = big_site.get(link(second, "next") or "").text
    assert "290 papers · page 3 of 3" in third and link(third, "next") is None
    seen = shown(first) + shown(second) + shown(third)
    assert len(seen) == 290 and set(seen) == set(BIG_DAY_PAPERS), "every paper once, none twice"
    assert shown(big_site.get("/papers").text) == shown(first)


def test_a_day_narrowed_to_a_category_keeps_it_across_pages_and_days(big_site: TestClient) -> None:
    vision = big_site.get(DAY_PATH, params={"category": "cs.CV"}).text
    assert "58 papers" in vision and "page 1 of" not in vision
    assert sorted(shown(vision)) == VISION_PAPERS
    assert '<option value="cs.CV" selected>cs.CV</option>' in vision
    assert '<a rel="prev" href="/papers/date/2026-05-08?category=cs.CV">' in vision, "the previous day too"

    learning = big_site.get(DAY_PATH, params={"category": "cs.LG"}).text
    assert "232 papers · page 1 of 3" in learning
    assert link(learning, "next") == f"{DAY_PATH}?category=cs.LG&page=1"
    second = big_site.get(link(learning, "next") or "").text
    assert "232 papers · page 2 of 3" in second and not set(shown(second)) & set(VISION_PAPERS)


def test_a_wrong_category_or_page_is_an_error_page_that_says_why(big_site: TestClient) -> None:
    refused = big_site.get(DAY_PATH, params={"category": "cs.CV<script>"})
    assert refused.status_code == 400 and "<h1>Not understood</h1>" in refused.text
    assert "is not an arXiv category like cs.CV." in refused.text and "<script>" not in refused.text
    beyond = big_site.get(DAY_PATH, params={"page": 3})
    assert beyond.status_code == 404 and "This list ends at page 3; there is no page 4." in beyond.text


def test_the_communitys_list_beside_all_new_papers(big_site: TestClient) -> None:
    everything = big_site.get(DAY_PATH).text
    assert "All new papers: every paper announced in this site's categories" in everything
    assert f'<a href="{DAY_PATH}?list=community">Community</a>' in everything
    community = big_site.get(DAY_PATH, params={"list": "community"}).text
    assert "The community's list: papers members submitted or upvoted, most upvoted first" in community
    assert shown(community) == list(UPVOTED) and "3 papers" in community
    assert f'<a href="{DAY_PATH}">All new papers</a>' in community
    api = big_site.get("/api/daily_papers").json()
    assert len(api) == 50, "the API shows all new papers too, by default"
    assert [item["paper"]["id"] for item in big_site.get("/api/daily_papers?list=community").json()] == list(
        UPVOTED
    )


def test_the_operator_puts_the_communitys_list_first(community_first_site: TestClient) -> None:
    front = community_first_site.get("/").text
    assert shown(front) == list(UPVOTED)
    assert "The community's list" in front
    assert f'<a href="{DAY_PATH}?list=all">All new papers</a>' in front
    everything = community_first_site.get(DAY_PATH, params={"list": "all"}).text
    assert "290 papers · page 1 of 3" in everything
    assert link(everything, "next") == f"{DAY_PATH}?list=all&page=1"
    api = community_first_site.get("/api/daily_papers").json()
    assert [item["paper"]["id"] for item in api] == list(UPVOTED)
    assert len(community_first_site.get("/api/daily_papers?list=all").json()) == 50


def test_a_community_list_nobody_voted_on_points_to_all_new_papers(community_first_site: TestClient) -> None:
    quiet = community_first_site.get("/papers/date/2026-05-08").text
    assert "No paper listed on this day has been submitted or upvoted yet." in quiet
    assert '<a href="/papers/date/2026-05-08?list=all">all 2 new papers</a>' in quiet


def test_an_empty_period_says_where_papers_are_in_full_sentences(
    big_site: TestClient, empty_site: TestClient
) -> None:
    between = big_site.get("/papers/date/2026-05-10").text
    assert "No papers were listed on this day. Try" in between
    assert re.search(r"Try <a [^>]+>2026-05-08</a> or <a [^>]+>2026-05-11</a>\.", between)
    before = big_site.get("/papers/month/2026-04").text
    assert re.search(r"No papers were listed in this month\. Try <a [^>]+>2026-05</a>\.", before)
    alone = empty_site.get("/papers/month/2025-07").text
    assert "No papers were listed in this month.\n" in alone and ". ." not in alone


def test_a_page_asked_for_a_wrong_value_answers_a_page_and_the_api_json(big_site: TestClient) -> None:
    page = big_site.get("/trending", params={"window": "year"})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Not understood</h1>" in page.text
    assert "window should be &#39;day&#39;, &#39;week&#39; or &#39;month&#39;" in page.text
    api = big_site.get("/api/daily_papers", params={"sort": "year"})
    assert api.status_code == 400 and "error" in api.json()


def test_trending_is_counted_and_paged(big_site: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(community_pages, "TRENDING_PAGE_SIZE", 2)
    first = big_site.get("/trending").text
    assert "3 papers · page 1 of 2" in first and shown(first)[0] == "2605.10200"  # two votes
    assert link(first, "next") == "/trending?window=week&page=1"
    second = big_site.get("/trending?window=week&page=1").text
    assert "3 papers · page 2 of 2" in second
    assert sorted(shown(first) + shown(second)) == sorted(UPVOTED), "each once"
    assert big_site.get("/trending?page=2").status_code == 404


def test_a_fresh_site_shows_its_newest_papers_where_nothing_was_upvoted_yet(site: TestClient) -> None:
    newest = ["2508.00003", "2508.00006", "2508.00007"]
    trending = site.get("/trending").text
    assert "No upvotes in the past week yet. Until there are: the newest papers on the list" in trending
    assert '<a href="/papers/date/2025-08-12">Tuesday, 12 August 2025</a>' in trending
    assert shown(trending) == newest
    for_you = site.get("/for-you").text
    assert "Nothing was upvoted this week yet" in for_you and "Nothing to show yet" not in for_you
    assert shown(for_you) == newest
