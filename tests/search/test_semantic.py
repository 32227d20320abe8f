"""Search by meaning and hybrid ranking, on SQLite and PostgreSQL, with the real model and index."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from dailypapers.db.write import read_session, write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import mark_deleted, store_papers
from dailypapers.search.embedding import Embedder, ModelMissing, default_embedder
from dailypapers.search.filters import SearchFilters
from dailypapers.search.semantic import SemanticSearch, papers_waiting_for_embedding, semantic_search_for
from dailypapers.search.service import combine, search_with_snippets
from dailypapers.search.vector_index import VectorIndex
from dailypapers.search.vectors import VectorFile
from dailypapers.settings import Settings
from search_papers import make_searchable, paper


def search(engine: sa.Engine, semantic: SemanticSearch | None, text: str, **filters: str) -> list[str]:
    with read_session(engine) as session:
        found = search_with_snippets(
            session,
            text,
            limit=10,
            semantic=semantic,
            filters=SearchFilters(**filters),  # type: ignore[arg-type]
        )
        return [result.paper.id for result in found.results]


def test_a_paper_is_found_by_meaning_when_no_word_matches(engine: sa.Engine, topical: SemanticSearch) -> None:
    assert search(engine, None, "cancer screening radiographs") == []  # keywords alone find nothing
    assert search(engine, topical, "cancer screening radiographs")[0] == "2501.00004"


def test_papers_found_by_words_and_by_meaning_rank_first(engine: sa.Engine, topical: SemanticSearch) -> None:
    found = search(engine, topical, "robotic grasping")
    assert set(found) == {"2501.00001", "2501.00006"}  # the unrelated are not close enough to show


def test_a_quoted_phrase_asks_for_those_words_only(engine: sa.Engine, topical: SemanticSearch) -> None:
    assert search(engine, topical, '"energy use"') == ["2501.00005"]


def test_filters_narrow_results_found_by_meaning(engine: sa.Engine, topical: SemanticSearch) -> None:
    assert search(engine, topical, "robot hands", category="cs.RO") == ["2501.00006", "2501.00001"]
    assert search(engine, topical, "robot hands", author="lovelace") == ["2501.00006"]
    assert search(engine, topical, "robot hands", author="nobody at all") == []


def test_similar_papers_are_the_nearest_others(engine: sa.Engine, topical: SemanticSearch) -> None:
    with read_session(engine) as session:
        similar = topical.similar(session, "2501.00006", limit=3)
        assert similar[0] == "2501.00001"
        assert "2501.00006" not in similar
        assert len(similar) == 3
        assert topical.similar(session, "2599.99999", limit=3) == []


def test_a_query_started_on_a_helper_thread_finds_what_it_would_find_inline(
    engine: sa.Engine, topical: SemanticSearch
) -> None:
    pending = topical.start("robot hands", limit=3, filters=SearchFilters(category="cs.RO"))
    assert pending is not None
    with read_session(engine) as session:
        inline = topical.scored(session, "robot hands", limit=3, filters=SearchFilters(category="cs.RO"))
        assert pending.scored(session) == inline
        assert [paper_id for paper_id, _ in inline] == ["2501.00006", "2501.00001"]
    assert topical.start("   ", limit=3) is None


def test_a_changed_paper_is_embedded_again_and_found_once(
    engine: sa.Engine, db_settings: Settings, topical: SemanticSearch
) -> None:
    changed = paper(
        "2501.00002", "Folding proteins with deep networks", "Now about weather forecasting and rain."
    )
    with write_session(engine) as session:
        store_papers(session, [changed], rules=ListingRules())
    with read_session(engine) as session:
        assert papers_waiting_for_embedding(session, default_embedder().name) == 1
    make_searchable(engine, db_settings.data_dir)
    with read_session(engine) as session:
        assert papers_waiting_for_embedding(session, default_embedder().name) == 0
        nearest = topical.ranked(session, "predicting rainfall", limit=10)
    assert nearest[0] == "2501.00002"
    assert nearest.count("2501.00002") == 1  # the old vector's label no longer resolves


def test_deleted_papers_are_not_found_by_meaning(engine: sa.Engine, topical: SemanticSearch) -> None:
    with write_session(engine) as session:
        mark_deleted(session, ["2501.00004"])
    assert "2501.00004" not in search(engine, topical, "cancer screening radiographs")


def test_a_web_server_with_a_data_dir_of_its_own_finds_papers_by_meaning_only_on_pgvector(
    request: pytest.FixtureRequest,
    engine: sa.Engine,
    db_settings: Settings,
    topical: SemanticSearch,
    tmp_path: Path,
) -> None:
    other_machine = semantic_search_for(
        db_settings.model_copy(update={"data_dir": tmp_path / "other"}), engine
    )
    with read_session(engine) as session:
        found = other_machine.ranked(session, "cancer screening radiographs", limit=1)
    if request.node.callspec.params["db_settings"] == "pgvector":
        assert found == ["2501.00004"]
        assert not (db_settings.data_dir / "vectors").exists()
    else:
        assert found == []  # its vector file is in the data dir of the machine that indexed


def test_without_an_index_or_model_search_falls_back_to_words(
    engine: sa.Engine, db_settings: Settings, topical: SemanticSearch, tmp_path: Path
) -> None:
    def missing_model() -> None:
        raise ModelMissing("not installed")

    def no_file(embedder: Embedder) -> VectorIndex:
        return VectorFile(engine, tmp_path / "no-index", embedder.name, embedder.dimensions)

    for semantic in (SemanticSearch(no_file), semantic_search_for(db_settings, engine, missing_model)):  # type: ignore[arg-type]
        assert search(engine, semantic, "robotic grasping") == search(engine, None, "robotic grasping")


def test_combining_rewards_agreement_and_keeps_a_clear_keyword_winner_first() -> None:
    # Scores are scaled within each list: "b" is good by both, "a" best by words only.
    assert combine(
        [("a", 9.0), ("b", 8.0), ("c", 1.0)], [("b", 0.9), ("d", 0.8), ("a", 0.1)], weight=0.5
    ) == [
        "b",
        "a",
        "d",
        "c",
    ]
    # A title typed in full: far ahead by words, and a close second by meaning does not pass it.
    assert combine(
        [("title", 30.0), ("other", 5.0), ("x", 4.0)], [("other", 0.8), ("title", 0.7), ("x", 0.1)]
    )[0] == ("title")
    assert combine([("x", 2.0), ("y", 1.0)], []) == ["x", "y"]
    assert combine([], [("y", 0.5)]) == ["y"]
