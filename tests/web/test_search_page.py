"""The search page: results with the matched words marked, filters, paging, and bad input answered."""

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.search import keyword
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from search_papers import TOPICS, make_searchable, paper


def test_results_show_snippets_with_marked_words(site: TestClient) -> None:
    page = site.get("/search", params={"q": "second paragraph"})
    assert page.status_code == 200
    assert page.text.count('<li class="paper">') == 8  # every paper of the site has that abstract
    assert "<mark>second</mark> <mark>paragraph</mark>" in page.text


def test_a_title_with_markup_is_shown_as_text(site: TestClient) -> None:
    page = site.get("/search", params={"q": "old style"}).text
    assert "Old &lt;b&gt;style&lt;/b&gt; id" in page and "<b>style</b>" not in page


def test_filters_and_an_arxiv_id(site: TestClient) -> None:
    assert (
        site.get("/search", params={"q": "paragraph", "category": "cs.CV"}).text.count('class="paper"') == 0
    )
    assert (
        site.get("/search", params={"q": "paragraph", "category": "stat.ML"}).text.count('class="paper"') == 8
    )
    assert (
        site.get("/search", params={"q": "paragraph", "since": "2030-01-01"}).text.count('class="paper"') == 0
    )
    by_id = site.get("/search", params={"q": "https://arxiv.org/abs/2508.00003v2"}).text
    assert by_id.count('class="paper"') == 1 and "/papers/2508.00003" in by_id


def test_every_page_has_a_search_box(site: TestClient) -> None:
    assert 'role="search"' in site.get("/").text and 'action="/search"' in site.get("/papers/2508.00001").text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x", "since": "yesterday"}, "From must be a day"),
        ({"q": "x", "category": "cs.CV; DROP"}, "not an arXiv category"),
        ({"q": "x", "page": "99"}, "up to page"),
    ],
)
def test_bad_filters_are_400_with_a_reason(site: TestClient, params: dict[str, str], message: str) -> None:
    page = site.get("/search", params=params)
    assert page.status_code == 400 and message in page.text


def test_the_next_page_keeps_every_filter(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    engine = create_db_engine(settings)
    upgrade_database(engine)
    by_author = {f"2502.{n:05d}": "Ada Lovelace" for n in range(1, 22)}
    others = {f"2502.{n:05d}": "Grace Hopper" for n in range(22, 27)}
    with write_session(engine) as session:
        store_papers(
            session,
            [
                paper(arxiv_id, f"Sparse coding {arxiv_id}", "Sparse codes of images.", author, "cs.LG")
                for arxiv_id, author in {**by_author, **others}.items()
            ],
            rules=ListingRules(),
        )
    make_searchable(engine, settings.data_dir)
    engine.dispose()
    filters = {"q": "sparse", "category": "cs.LG", "since": "2025-01-01", "until": "2025-12-31"}
    with TestClient(create_app(settings)) as client:
        first = client.get("/search", params={**filters, "author": "Lovelace"}).text
        assert len(result_ids(first)) == 20
        next_link = html.unescape(re.findall(r'<a rel="next" href="([^"]+)"', first)[0])
        second = client.get("/search" + next_link).text
    assert len(result_ids(second)) == 1  # the 21st paper by Lovelace, not Hopper's five
    assert set(result_ids(first) + result_ids(second)) == set(by_author)


def test_a_search_out_of_time_says_so(site: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword, "SEARCH_BUDGET_SECONDS", 0.0)
    monkeypatch.setattr(keyword, "BUDGET_CHECK_STEPS", 1)
    page = site.get("/search", params={"q": "paragraph"})
    assert page.status_code == 200
    assert "No paper matching paragraph was found in time" in page.text


def test_no_results_says_so(site: TestClient) -> None:
    assert "No paper matches" in site.get("/search", params={"q": "zzzyzzy"}).text


def test_results_are_counted_and_show_upvotes_and_comments_as_lists_do(site: TestClient) -> None:
    page = site.get("/search", params={"q": "second paragraph"}).text
    assert '<p class="result-count">8 results</p>' in page
    assert page.count('<form class="upvote"') == 8 and '<span class="count">0</span>' in page
    assert page.count('<a class="comments" href="/papers/2508.00001#comments">0 comments</a>') == 1


def test_a_long_query_is_cut_with_a_notice(site: TestClient) -> None:
    page = site.get("/search", params={"q": "second paragraph " * 200})
    assert page.status_code == 200
    assert "only its first 2,000 were searched" in page.text
    assert page.text.count('<li class="paper">') == 8


def test_a_misspelt_query_offers_the_corrected_one(site: TestClient) -> None:
    page = site.get("/search", params={"q": "alpha-divergencs"}).text
    assert 'Did you mean <a href="/search?q=alpha-divergences&amp;category=' in page
    assert page.count('<li class="paper">') == 7  # every paper with the word in its title


@pytest.fixture(scope="module")
def topical_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A site whose papers are embedded and in the vector index, as after `dailypapers index`."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("topical") / "data")
    engine = create_db_engine(settings)
    upgrade_database(engine)
    records = [paper(arxiv_id, *fields) for arxiv_id, fields in TOPICS.items()]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    make_searchable(engine, settings.data_dir)
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        yield client


def result_ids(page: str) -> list[str]:
    return re.findall(r'<h2><a href="/papers/([^"]+)">', page)


def test_nothing_relevant_is_zero_results_not_the_nearest_by_meaning(topical_site: TestClient) -> None:
    page = topical_site.get("/search", params={"q": "xyzzyqwertyplugh"}).text
    assert '<p class="result-count">0 results</p>' in page and "none is close enough in meaning" in page
    assert '<li class="paper">' not in page


def test_the_page_finds_papers_by_meaning_and_by_author(topical_site: TestClient) -> None:
    page = topical_site.get("/search", params={"q": "cancer screening radiographs"}).text
    assert result_ids(page)[0] == "2501.00004"
    filtered = topical_site.get("/search", params={"q": "robot", "author": "Lovelace"}).text
    assert result_ids(filtered) == ["2501.00006"]


def test_a_paper_page_shows_its_most_similar_papers(topical_site: TestClient) -> None:
    page = topical_site.get("/papers/2501.00006").text
    similar = page.split('id="similar-title"')[1].split("</section>")[0]
    linked = re.findall(r'href="/papers/([^"]+)"', similar)
    assert linked[0] == "2501.00001" and "2501.00006" not in linked


def test_the_api_ranks_by_meaning_too(topical_site: TestClient) -> None:
    found = topical_site.get("/api/papers/search", params={"q": "cancer screening radiographs"}).json()
    assert found[0]["paper"]["id"] == "2501.00004"


def test_the_page_says_which_day_the_date_filters_read(site: TestClient) -> None:
    page = site.get("/search").text
    assert 'aria-describedby="search-dates-hint"' in page
    assert "by the day of their first arXiv version, or by the first day they were listed here" in page


def test_an_author_alone_lists_their_papers(site: TestClient) -> None:
    page = site.get("/search", params={"author": "Lovelace"}).text
    assert "Papers by authors named “Lovelace”, newest first." in page
    assert page.count('<li class="paper">') == 8
    nobody = site.get("/search", params={"author": "Dijkstrova"}).text
    assert "No paper has an author named “Dijkstrova”." in nobody
