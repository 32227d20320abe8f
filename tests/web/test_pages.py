"""The site shows the newest daily list from the catalog."""

import datetime as dt

import sqlalchemy as sa
from fastapi.testclient import TestClient

from dailypapers.db.write import write_session
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings
from dailypapers.web.app import create_app


def add_listed_paper(engine: sa.Engine, title: str, day: dt.date) -> None:
    record = PaperRecord.build(
        id="2508.01234",
        title=title,
        authors=["Ada Lovelace"],
        abstract="About $\\alpha$.",
        categories=["cs.CL"],
        listed_on=day,
    )
    with write_session(engine) as session:
        store_papers(session, [record], rules=ListingRules())


def test_home_shows_the_newest_day(settings: Settings, sqlite_engine: sa.Engine) -> None:
    add_listed_paper(sqlite_engine, "Attention <script>alert(1)</script> Is All", dt.date(2025, 8, 11))
    page = TestClient(create_app(settings)).get("/")
    assert page.status_code == 200
    assert "Monday, 11 August 2025" in page.text
    assert "Attention &lt;script&gt;alert(1)&lt;/script&gt; Is All" in page.text
    assert "About α." in page.text


def test_an_empty_catalog_says_how_to_fill_it(settings: Settings) -> None:
    page = TestClient(create_app(settings)).get("/")
    assert "dailypapers ingest sample" in page.text


def test_a_malformed_date_is_a_404(settings: Settings) -> None:
    assert TestClient(create_app(settings)).get("/papers/date/2025-02-30").status_code == 404
