"""Spelling: a misspelt word is read as the title word one typo away that most titles hold."""

import sqlalchemy as sa

from dailypapers.db.write import read_session, write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.search.query import parse_query
from dailypapers.search.service import update_search_index
from dailypapers.search.spelling import corrected, neighbours
from search_papers import paper

TITLES = {
    "2502.00001": "Diffusion models for image synthesis",
    "2502.00002": "Latent diffusion models at scale",
    "2502.00003": "Sensor fusion for driving",
    "2502.00004": "Modes of a vibrating string",
    "2502.00005": "Saving energy in data centres",  # "saving" is one typo from "having"
}


def catalog(engine: sa.Engine) -> None:
    records = [paper(arxiv_id, title, "Models having fewer steps.") for arxiv_id, title in TITLES.items()]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    update_search_index(engine)


def spelt(engine: sa.Engine, text: str) -> str | None:
    with read_session(engine) as session:
        found = corrected(session, parse_query(text))
        return None if found is None else found.text


def test_neighbours_are_one_typo_away() -> None:
    assert {"models", "modes", "modules"} <= neighbours("modles")
    assert "diffusion" in neighbours("difusion") and "fusion" not in neighbours("difusion")
    assert "modles" not in neighbours("modles")


def test_misspelt_words_are_corrected_to_the_commonest_title_word(engine: sa.Engine) -> None:
    catalog(engine)
    # "models" is in two titles, "modes" in one: the commoner word wins.
    assert spelt(engine, "difusion modles") == "diffusion models"
    assert spelt(engine, "Sensr fusion") == "sensor fusion"


def test_known_words_short_words_and_phrases_are_left_alone(engine: sa.Engine) -> None:
    catalog(engine)
    assert spelt(engine, "diffusion models") is None
    assert spelt(engine, "having diffusion") is None  # in no tsvector (a stop word), but no typo
    assert spelt(engine, "xyzzyqwertyplugh") is None  # no word one typo away
    assert spelt(engine, '"difusion modles"') is None
    pasted = "difusion within a paragraph of many distinct words that someone pasted from elsewhere entirely"
    assert spelt(engine, pasted) is None  # found by its other words
