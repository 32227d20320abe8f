"""What the browser tests share: Debian's Chromium, launched once per test module, and a served site
of papers on distinct topics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from big_day import fill_big_day
from browser import launch
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from search_papers import TOPICS, make_searchable, paper
from servers import TopicalSite, serving, without_site_settings


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        chromium = launch(driver)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def topical_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TopicalSite]:
    """search_papers.TOPICS on the list of 3 January 2025, searchable by words and by meaning as after
    `dailypapers index`, served on a free port of 127.0.0.1."""
    with pytest.MonkeyPatch.context() as environment:
        without_site_settings(environment)
        settings = Settings(data_dir=tmp_path_factory.mktemp("topical") / "data")
        engine = create_db_engine(settings)
        upgrade_database(engine)
        with write_session(engine) as session:
            store_papers(session, [paper(i, *fields) for i, fields in TOPICS.items()], rules=ListingRules())
        make_searchable(engine, settings.data_dir)
        try:
            with serving(create_app(settings)) as url:
                yield TopicalSite(url, engine)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def big_day_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A site whose newest day is big_day.BIG_DAY (290 papers, three upvoted), after a quiet day;
    pages are not cached, so each test sees what it did."""
    with pytest.MonkeyPatch.context() as environment:
        without_site_settings(environment)
        settings = Settings(data_dir=tmp_path_factory.mktemp("big-day") / "data", page_cache_seconds=0)
        fill_big_day(settings)
        yield settings
