"""BibTeX entries as reference managers expect them: a year always, and ``lastnameYYYYfirstword`` keys."""

import datetime as dt

import sqlalchemy as sa

from dailypapers.db.write import read_session, write_session
from dailypapers.papers.citation import bibtex
from dailypapers.papers.queries import paper_by_id
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from factories import listed_paper


def bibtex_of(engine: sa.Engine, arxiv_id: str, **fields: object) -> str:
    with write_session(engine) as session:
        store_papers(session, [listed_paper(arxiv_id, dt.date(2026, 5, 20), **fields)], rules=ListingRules())
    with read_session(engine) as session:
        paper = paper_by_id(session, arxiv_id)
        assert paper is not None
        return bibtex(paper)


def test_keys_read_lastname_year_and_first_word(sqlite_engine: sa.Engine) -> None:
    entry = bibtex_of(
        sqlite_engine,
        "1706.03762",
        title="Attention Is All You Need",
        authors=["Ashish Vaswani", "Noam Shazeer"],
        versions={1: dt.datetime(2017, 6, 12, 17, 57, 34)},
    )
    assert entry.startswith("@misc{vaswani2017attention,\n")
    assert "  year = {2017},\n" in entry


def test_small_words_are_skipped_and_a_paper_without_dates_has_its_ids_year(sqlite_engine: sa.Engine) -> None:
    entry = bibtex_of(
        sqlite_engine, "2605.00004", title="A Survey of Lab Tools", authors=["Grace Hopper"], versions={}
    )
    assert entry.startswith("@misc{hopper2026survey,\n")
    assert "  year = {2026},\n" in entry
    old_style = bibtex_of(sqlite_engine, "hep-th/9901001", title="On Strings", versions={})
    assert old_style.startswith("@misc{lovelace1999strings,\n") and "  year = {1999},\n" in old_style
