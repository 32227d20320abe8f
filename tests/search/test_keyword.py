"""Keyword search on SQLite (FTS5) and PostgreSQL (tsvector): ranked, forgiving, never broken by input."""

import datetime as dt

import pytest
import sqlalchemy as sa

from dailypapers.db.write import read_session, write_session
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import mark_deleted, store_papers
from dailypapers.search import keyword
from dailypapers.search import service as search_service
from dailypapers.search.filters import SearchFilters
from dailypapers.search.keyword import MATCH_END, MATCH_START, keyword_hits
from dailypapers.search.query import parse_query
from dailypapers.search.service import search_papers, update_search_index

PAPERS = {
    "2306.09299": ("Segment Anything in High Quality", "Mask quality of the Segment Anything Model."),
    "2201.12507": ("Diffusion models for image synthesis", "Denoising diffusion beats GANs on images."),
    "2304.14118": ("Attention for segmentation", "Transformers segment medical images with attention."),
    "hep-th/9901001": ("Strings and branes", "A note on D-branes, by Alan Turing's students."),
}


def paper(
    arxiv_id: str,
    title: str,
    abstract: str,
    authors: list[str] | None = None,
    categories: list[str] | None = None,
    submitted: dt.datetime = dt.datetime(2023, 6, 1, 12),
) -> PaperRecord:
    return PaperRecord.build(
        id=arxiv_id,
        title=title,
        authors=authors or ["Grace Hopper"],
        abstract=abstract,
        categories=categories or ["cs.CV"],
        submitted_at=submitted,
    )


@pytest.fixture
def catalog(engine: sa.Engine) -> sa.Engine:
    records = [paper(arxiv_id, *text) for arxiv_id, text in PAPERS.items()]
    records.append(paper("2401.00001", "Quiet title", "Nothing to see.", authors=["Yann Segmentation"]))
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    update_search_index(engine)
    return engine


@pytest.fixture
def sqlite_catalog(catalog: sa.Engine) -> sa.Engine:
    """The catalog, for the rules that keep FTS5's cost flat (PostgreSQL ranks every match)."""
    if catalog.dialect.name != "sqlite":
        pytest.skip("SQLite's keyword rules")
    return catalog


def search(engine: sa.Engine, text: str, limit: int = 10) -> list[str]:
    with read_session(engine) as session:
        return [found.id for found in search_papers(session, text, limit=limit)]


def test_words_in_the_title_rank_first(catalog: sa.Engine) -> None:
    found = search(catalog, "segment")  # stems match too: "segmentation"
    assert set(found[:2]) == {"2306.09299", "2304.14118"}
    assert found[2:] == ["2401.00001"]  # only an author's name


def test_every_word_must_match_when_some_paper_has_them_all(catalog: sa.Engine) -> None:
    assert search(catalog, "diffusion images") == ["2201.12507"]


def test_any_word_may_match_when_no_paper_has_them_all(catalog: sa.Engine) -> None:
    assert set(search(catalog, "diffusion branes")) == {"2201.12507", "hep-th/9901001"}


def test_quoted_phrases_match_as_phrases(catalog: sa.Engine) -> None:
    assert search(catalog, '"segment anything model"') == ["2306.09299"]
    assert search(catalog, '"model anything segment"') == []


def test_authors_are_searched(catalog: sa.Engine) -> None:
    assert search(catalog, "hopper", limit=100) != []
    assert search(catalog, "yann") == ["2401.00001"]


def test_an_arxiv_id_or_url_goes_straight_to_its_paper(catalog: sa.Engine) -> None:
    assert search(catalog, "2306.09299v2") == ["2306.09299"]
    assert search(catalog, "https://arxiv.org/abs/hep-th/9901001") == ["hep-th/9901001"]


def test_changed_and_deleted_papers_leave_the_index(catalog: sa.Engine) -> None:
    with write_session(catalog) as session:
        store_papers(
            session, [paper("2201.12507", "Flow matching", "Flows, not noise.")], rules=ListingRules()
        )
        mark_deleted(session, ["2306.09299"])
    assert search(catalog, "diffusion") == []
    assert search(catalog, "flow matching") == ["2201.12507"]
    assert search(catalog, "anything") == []


def test_new_papers_are_found_once_indexed(catalog: sa.Engine) -> None:
    with write_session(catalog) as session:
        store_papers(session, [paper("2402.00002", "Flow matching", "Flows.")], rules=ListingRules())
        # Changed before the batch indexer saw it: the index must take the final text.
        store_papers(session, [paper("2402.00002", "Flow matching, revised", "Flows.")], rules=ListingRules())
    expected = [] if catalog.dialect.name == "sqlite" else ["2402.00002"]  # PostgreSQL: at once
    assert search(catalog, "revised") == expected
    assert update_search_index(catalog) == (1 if catalog.dialect.name == "sqlite" else 0)
    assert update_search_index(catalog) == 0
    assert search(catalog, "revised") == ["2402.00002"]
    assert search(catalog, "flow matching") == ["2402.00002"]


@pytest.mark.parametrize(
    "text", ["", "   ", '"', "AND OR NOT", "segm*ent^ (", "NEAR(a b)", "'; DROP TABLE papers; --", "ü" * 300]
)
def test_any_input_is_answered_without_error(catalog: sa.Engine, text: str) -> None:
    assert isinstance(search(catalog, text), list)
    assert search(catalog, "segment") != []


def test_queries_are_read_as_words_phrases_and_ids() -> None:
    query = parse_query('Vision "Segment  Anything" model vision')
    assert query.terms == ("vision", "segment anything", "model")
    assert query.arxiv_id is None
    assert parse_query("arxiv.org/pdf/2306.09299v1").arxiv_id == "2306.09299"
    assert parse_query(" ").is_empty


def hits(engine: sa.Engine, text: str, **filters: object) -> list[tuple[str, str]]:
    with read_session(engine) as session:
        found = keyword_hits(session, parse_query(text), limit=10, filters=SearchFilters(**filters))  # type: ignore[arg-type]
    return [(hit.paper_id, hit.snippet) for hit in found]


def test_filters_narrow_by_category_and_submission_days(catalog: sa.Engine) -> None:
    with write_session(catalog) as session:
        later = paper(
            "2402.00003",
            "Segment everything, later",
            "Masks.",
            categories=["cs.LG", "cs.CV"],
            submitted=dt.datetime(2024, 2, 1, 23, 59),
        )
        store_papers(session, [later], rules=ListingRules())
    update_search_index(catalog)
    assert [found for found, _ in hits(catalog, "segment", category="cs.LG")] == ["2402.00003"]
    assert hits(catalog, "segment", category="cs.AI") == []
    since = [found for found, _ in hits(catalog, "segment", since=dt.date(2024, 2, 1))]
    assert since == ["2402.00003"]
    until = {found for found, _ in hits(catalog, "segment", until=dt.date(2024, 1, 31))}
    assert "2402.00003" not in until and "2306.09299" in until
    assert [f for f, _ in hits(catalog, "segment", since=dt.date(2024, 2, 1), until=dt.date(2024, 2, 1))] == [
        "2402.00003"
    ]


def test_snippets_mark_the_matched_words(catalog: sa.Engine) -> None:
    [(found, snippet)] = hits(catalog, "denoising")
    assert found == "2201.12507"
    assert f"{MATCH_START}Denoising{MATCH_END}" in snippet


def test_broad_queries_rank_the_newest_matches_and_filters_still_reach_older_ones(
    catalog: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query matching more than KEYWORD_WINDOW papers ranks the newest ones: on SQLite those
    added last, on PostgreSQL those of the latest first version."""
    monkeypatch.setattr(keyword, "KEYWORD_WINDOW", 2)
    with write_session(catalog) as session:
        newer = [
            paper(
                f"2501.0000{n}",
                f"Image study {n}",
                "Images, more images.",
                categories=["cs.LG"],
                submitted=dt.datetime(2025, 1, 2),
            )
            for n in (1, 2)
        ]
        store_papers(session, newer, rules=ListingRules())
    update_search_index(catalog)

    # "images" matches four papers; the two newest are the window.
    assert {found for found, _ in hits(catalog, "images")} == {"2501.00002", "2501.00001"}
    # Older matches are not lost to a filter that the newest ones fail.
    older = {found for found, _ in hits(catalog, "images", category="cs.CV")}
    assert older == {"2201.12507", "2304.14118"}


def test_common_terms_give_way_to_rarer_ones_and_alone_list_the_newest_papers(
    sqlite_catalog: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite, a term in more than COMMON_SHARE of the papers (here: more than half) is common."""
    monkeypatch.setattr(keyword, "COMMON_SHARE", 0.5)
    monkeypatch.setattr(keyword, "COMMON_MIN", 1)
    monkeypatch.setattr(keyword, "TERM_COUNTS", keyword.TermCounts())

    # "segment" is in three of the five papers: the paper with "images" but without it still counts.
    assert {found for found, _ in hits(sqlite_catalog, "segment images")} == {"2201.12507", "2304.14118"}
    # Only common terms: no bm25, the newest papers first...
    assert [found for found, _ in hits(sqlite_catalog, "segment")] == [
        "2401.00001",
        "2304.14118",
        "2306.09299",
    ]
    # ...and when they fill the page, those with the terms in their title first.
    with read_session(sqlite_catalog) as session:
        page = keyword.keyword_ranking(session, parse_query("segment"), limit=2).paper_ids
    assert page == ["2304.14118", "2306.09299"]
    # A "quoted phrase" keeps every word it has.
    assert [found for found, _ in hits(sqlite_catalog, '"segment anything"')] == ["2306.09299"]


def test_the_any_term_fallback_takes_the_rarest_terms_that_fit_the_window(
    sqlite_catalog: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword, "KEYWORD_WINDOW", 2)
    # No paper has all three; "denoising" and "strings" are in one paper each, "segment" in three.
    found = {paper_id for paper_id, _ in hits(sqlite_catalog, "denoising strings segment")}
    assert found == {"2201.12507", "hep-th/9901001"}


def test_a_search_out_of_time_answers_with_what_it_found_and_leaves_the_session_working(
    sqlite_catalog: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite a search reads the index for at most SEARCH_BUDGET_SECONDS; here none at all."""
    with read_session(sqlite_catalog) as session:
        in_time = keyword.keyword_ranking(session, parse_query("images"), limit=10)
        assert in_time.paper_ids != [] and not in_time.cut_short
    monkeypatch.setattr(keyword, "SEARCH_BUDGET_SECONDS", 0.0)
    monkeypatch.setattr(keyword, "BUDGET_CHECK_STEPS", 1)
    with read_session(sqlite_catalog) as session:
        out_of_time = keyword.keyword_ranking(session, parse_query("images"), limit=10)
        assert out_of_time.paper_ids == [] and out_of_time.cut_short
        # The budget ends with the search: the session's next statement runs as usual.
        assert session.scalar(sa.text("SELECT count(*) FROM papers")) == 5


def test_a_bulk_import_leaves_the_index_merged_into_one_segment(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each indexed batch makes a segment that every query reads; a bulk import merges them."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps its own index")
    monkeypatch.setattr(search_service, "INDEX_BATCH_SIZE", 1)
    with write_session(engine) as session:
        store_papers(
            session, [paper(arxiv_id, *text) for arxiv_id, text in PAPERS.items()], rules=ListingRules()
        )

    assert update_search_index(engine) == len(PAPERS)

    with read_session(engine) as session:
        assert session.scalar(sa.text("SELECT count(DISTINCT segid) FROM papers_fts_idx")) == 1
    assert search(engine, "diffusion") == ["2201.12507"]


def test_a_snippet_is_the_stretch_with_most_matches_marked() -> None:
    abstract = (
        "Background words. " * 30 + "We segment medical images; image segmentation is hard. " + "Tail. " * 40
    )
    found = keyword.snippet(abstract, ["segmentation", "images"], length=80)
    assert found.startswith("…") and found.endswith("…")
    for word in ("segment", "images", "image", "segmentation"):
        assert f"{MATCH_START}{word}{MATCH_END}" in found
    assert (
        keyword.snippet("Denoising beats GANs.", ["denoising"])
        == f"{MATCH_START}Denoising{MATCH_END} beats GANs."
    )
    assert keyword.snippet("Nothing to see.", ["quantum"]) == ""
