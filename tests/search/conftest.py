"""A small catalog of papers on distinct topics, embedded by the real model and indexed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dailypapers.db.write import write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.search.semantic import SemanticSearch
from dailypapers.settings import Settings
from search_papers import TOPICS, make_searchable, paper


@pytest.fixture
def topical(engine: sa.Engine, db_settings: Settings) -> SemanticSearch:
    with write_session(engine) as session:
        store_papers(
            session, [paper(arxiv_id, *fields) for arxiv_id, fields in TOPICS.items()], rules=ListingRules()
        )
    make_searchable(engine, db_settings.data_dir)
    return SemanticSearch(db_settings.data_dir)
