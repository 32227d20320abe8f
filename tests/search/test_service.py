"""Search as readers use it, on both databases: pasted abstracts, author names, typos, and an
honest end (a count, and nothing when nothing is relevant)."""

import datetime as dt

import sqlalchemy as sa

from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.moderation import hide_paper
from dailypapers.db.write import read_session, write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.search.filters import SearchFilters
from dailypapers.search.query import MAX_QUERY_LENGTH
from dailypapers.search.semantic import SemanticSearch
from dailypapers.search.service import SearchPage, search_with_snippets, update_search_index
from dailypapers.settings import Settings
from factories import listed_paper
from search_papers import make_searchable, paper

#: The same opening as many abstracts, then words of this paper only, after 250 characters.
OPENING = (
    "Large language models are increasingly deployed in settings where they must follow instructions "
    "reliably, and a growing body of work studies how to evaluate and improve this ability across "
    "many tasks, domains and languages with benchmarks and training recipes. "
)


def found(
    engine: sa.Engine, text: str, semantic: SemanticSearch | None = None, limit: int = 10
) -> SearchPage:
    with read_session(engine) as session:
        return search_with_snippets(session, text, limit=limit, semantic=semantic)


def ids(page: SearchPage) -> list[str]:
    return [result.paper.id for result in page.results]


def test_a_pasted_abstract_finds_its_paper_by_words_past_the_old_limit(engine: sa.Engine) -> None:
    endings = {
        "2503.00001": "We study tokenizer drift in Icelandic sagas with glacier metaphors.",
        "2503.00002": "We study reward hacking in chess engines with opening books.",
        "2503.00003": "We study calibration of medical triage chatbots in emergency rooms.",
    }
    records = [paper(arxiv_id, f"Paper {arxiv_id}", OPENING + ending) for arxiv_id, ending in endings.items()]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    update_search_index(engine)
    pasted = OPENING + endings["2503.00002"]
    assert len(pasted) > 250
    assert ids(found(engine, pasted))[0] == "2503.00002"
    # Even with a word no paper has, which an "every word" search would stumble on.
    assert ids(found(engine, pasted + " zeugma"))[0] == "2503.00002"


def test_longer_input_is_cut_not_refused(engine: sa.Engine) -> None:
    long = found(engine, "robot " * MAX_QUERY_LENGTH)
    assert long.query_cut and long.results == []
    assert not found(engine, "robot").query_cut


def test_a_query_that_names_an_author_ranks_their_papers_first(
    engine: sa.Engine, db_settings: Settings, topical: SemanticSearch
) -> None:
    records = [
        paper("2504.00001", "Dialogue act tagging", "Tagging the acts of a dialogue.", author="Yohan Jo"),
        paper("2504.00002", "Argument mining at scale", "Finding claims in debates.", author="Yohan Jo"),
        # The name's words in the title and abstract, by someone else: keywords alone rank it first.
        paper(
            "2504.00003", "Jo and Yohan: a corpus", "Yohan met Jo in the Jo-Yohan corpus.", author="Min Jo"
        ),
    ]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    make_searchable(engine, db_settings.data_dir)
    for name in ("Yohan Jo", "Jo, Yohan", "Y. Jo", "yohan jo"):
        assert set(ids(found(engine, name, topical))[:2]) == {"2504.00001", "2504.00002"}, name


def test_a_title_with_typos_finds_its_paper_and_says_what_was_searched(
    engine: sa.Engine, db_settings: Settings, topical: SemanticSearch
) -> None:
    records = [
        paper("2505.00001", "Diffusion models for image synthesis", "Denoising beats GANs."),
        paper("2505.00002", "Sensor fusion for driving", "Lidar and camera together."),
    ]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    make_searchable(engine, db_settings.data_dir)
    page = found(engine, "difusion modles", topical)
    assert ids(page)[0] == "2505.00001"
    assert page.correction == "diffusion models"
    assert found(engine, "diffusion models", topical).correction is None


def test_gibberish_finds_nothing_even_by_meaning(engine: sa.Engine, topical: SemanticSearch) -> None:
    page = found(engine, "xyzzyqwertyplugh", topical)
    assert page.results == [] and page.total == 0


def test_the_count_covers_every_page(engine: sa.Engine, topical: SemanticSearch) -> None:
    records = [paper(f"2506.{n:05d}", f"Sparse coding {n}", "Sparse codes of images.") for n in range(1, 31)]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    update_search_index(engine)
    page = found(engine, "sparse coding", limit=5)
    assert len(page.results) == 5 and page.total == 30 and not page.more_than
    assert found(engine, "robot grasp", topical).total == 2


def test_date_filters_use_the_listing_day_where_arxivs_date_is_unknown(engine: sa.Engine) -> None:
    records = [
        listed_paper("2605.00003", dt.date(2026, 5, 20)),  # first version 1 August 2025
        listed_paper("2605.00004", dt.date(2026, 5, 20), versions={}),
    ]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    update_search_index(engine)

    def dated(since: dt.date | None, until: dt.date | None) -> list[str]:
        with read_session(engine) as session:
            filters = SearchFilters(since=since, until=until)
            return sorted(ids(search_with_snippets(session, "divergences", limit=10, filters=filters)))

    assert dated(dt.date(2026, 5, 20), dt.date(2026, 5, 20)) == ["2605.00004"]
    assert dated(dt.date(2025, 8, 1), dt.date(2025, 8, 1)) == ["2605.00003"]
    assert dated(None, dt.date(2026, 5, 19)) == ["2605.00003"]


def test_an_author_alone_lists_their_papers_newest_first(engine: sa.Engine) -> None:
    records = [
        paper("2501.00001", "Older work", "Things.", submitted=dt.datetime(2025, 1, 2)),
        paper("2503.00002", "Newer work", "Things.", submitted=dt.datetime(2025, 3, 2)),
        paper("2502.00003", "Someone else's", "Things.", author="Barbara Liskov"),
    ]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    update_search_index(engine)
    with read_session(engine) as session:
        page = search_with_snippets(session, "", limit=10, filters=SearchFilters(author="hopper"))
        nobody = search_with_snippets(session, "", limit=10, filters=SearchFilters(author="dijkstra"))
    assert ids(page) == ["2503.00002", "2501.00001"]
    assert ids(nobody) == []


def test_hidden_papers_are_left_out_before_a_page_is_cut(engine: sa.Engine) -> None:
    records = [paper(f"2506.{n:05d}", f"Sparse coding {n}", "Sparse codes of images.") for n in range(1, 26)]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    update_search_index(engine)
    hidden = ids(found(engine, "sparse coding", limit=5))  # the best of the first page
    with write_session(engine) as session:
        moderator = use_sign_in_link(session, create_sign_in_link(session, "mod@example.org"))
        moderator.is_moderator = True
        for paper_id in hidden:
            hide_paper(session, moderator, paper_id)
    with read_session(engine) as session:
        first = search_with_snippets(session, "sparse coding", limit=20)
        second = search_with_snippets(session, "sparse coding", limit=20, offset=20)
        by_id = search_with_snippets(session, hidden[0], limit=20)
    assert len(first.results) == 20 and second.results == [] and first.total == 20
    assert not set(hidden) & set(ids(first)) and by_id.results == []
