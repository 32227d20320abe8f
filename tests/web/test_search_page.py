"""The search page: results with the matched words marked, filters, paging, and bad input answered."""

import pytest
from fastapi.testclient import TestClient


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


def test_no_results_says_so(site: TestClient) -> None:
    assert "No paper matches" in site.get("/search", params={"q": "zzzyzzy"}).text
