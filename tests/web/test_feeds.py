"""RSS and Atom feeds of the daily list, with ETag and Last-Modified validators."""

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from factories import listed_paper

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
#: A busy day: more papers than the feeds once held (200), half of them in computer vision.
CROWDED_DAY, CROWD = dt.date(2026, 5, 11), 290


@pytest.fixture(scope="module")
def crowded_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("crowded") / "data")
    engine = create_db_engine(settings)
    upgrade_database(engine)
    records = [
        listed_paper(f"2605.{n:05d}", CROWDED_DAY, categories=["cs.CV" if n % 2 else "cs.LG"])
        for n in range(1, CROWD + 1)
    ]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        yield client


def test_rss_lists_the_newest_day(site: TestClient) -> None:
    answer = site.get("/papers/feed.rss")
    assert answer.headers["content-type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(answer.content).find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Daily Papers"
    assert channel.findtext("link") == "http://testserver/papers/date/2025-08-12"
    items = channel.findall("item")
    assert [item.findtext("link") for item in items] == [
        "http://testserver/papers/2508.00003",
        "http://testserver/papers/2508.00006",
        "http://testserver/papers/2508.00007",
    ]
    assert items[0].findtext("title") == "Paper 2508.00003 on α-divergences"


def test_atom_for_a_chosen_day_escapes_titles(site: TestClient) -> None:
    answer = site.get("/papers/feed.atom", params={"date": "2025-08-04"})
    feed = ET.fromstring(answer.content)
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
    assert "Old <b>style</b> id" in titles, "markup in a title is text, escaped in the XML"
    assert b"<b>style" not in answer.content


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feed_readers_get_304_when_nothing_changed(site: TestClient, kind: str) -> None:
    first = site.get(f"/papers/feed.{kind}")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert site.get(f"/papers/feed.{kind}", headers={"If-None-Match": etag}).status_code == 304
    assert site.get(f"/papers/feed.{kind}", headers={"If-Modified-Since": modified}).status_code == 304
    assert site.get(f"/papers/feed.{kind}", headers={"If-None-Match": '"other"'}).status_code == 200
    other_day = site.get(f"/papers/feed.{kind}", params={"date": "2025-08-11"})
    assert other_day.headers["etag"] != etag


def test_unknown_feeds_and_bad_dates_are_404(site: TestClient) -> None:
    assert site.get("/papers/feed.json").status_code == 404
    assert site.get("/papers/feed.rss", params={"date": "yesterday"}).status_code == 404


def test_items_name_their_authors(site: TestClient) -> None:
    rss = ET.fromstring(site.get("/papers/feed.rss").content)
    item = rss.find("channel/item")
    assert item is not None
    assert [creator.text for creator in item.findall(f"{DC}creator")][:2] == ["Ada Lovelace", "Alan Turing"]
    atom = ET.fromstring(site.get("/papers/feed.atom").content)
    entry = atom.find(f"{ATOM}entry")
    assert entry is not None
    assert [author.findtext(f"{ATOM}name") for author in entry.findall(f"{ATOM}author")][:2] == [
        "Ada Lovelace",
        "Alan Turing",
    ]


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_a_days_feed_holds_the_whole_day(crowded_site: TestClient, kind: str) -> None:
    feed = ET.fromstring(crowded_site.get(f"/papers/feed.{kind}").content)
    items = feed.findall("channel/item") if kind == "rss" else feed.findall(f"{ATOM}entry")
    assert len(items) == CROWD


def test_the_channel_title_stays_the_same_from_day_to_day(site: TestClient) -> None:
    titles = {
        ET.fromstring(site.get("/papers/feed.rss", params=params).content).findtext("channel/title")
        for params in [{}, {"date": "2025-08-11"}, {"date": "2025-08-04"}]
    }
    assert titles == {"Daily Papers"}


def test_a_category_has_its_own_feed(crowded_site: TestClient) -> None:
    answer = crowded_site.get("/papers/feed.atom", params={"category": "cs.CV"})
    feed = ET.fromstring(answer.content)
    assert feed.findtext(f"{ATOM}title") == "Daily Papers: cs.CV"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == CROWD // 2
    assert {category.get("term") for entry in entries for category in entry.findall(f"{ATOM}category")} == {
        "cs.CV"
    }
    whole_day = crowded_site.get("/papers/feed.atom")
    assert answer.headers["etag"] != whole_day.headers["etag"]
    assert crowded_site.get("/papers/feed.rss", params={"category": "astro-ph.GA"}).status_code == 200


def test_a_category_that_cannot_exist_is_404(site: TestClient) -> None:
    answer = site.get("/papers/feed.rss", params={"category": "<script>"})
    assert answer.status_code == 404
    assert "<script>" not in answer.text


def test_the_paper_page_links_the_feeds_of_its_categories(site: TestClient) -> None:
    page = site.get("/papers/2508.00001").text
    assert 'href="/papers/feed.rss?category=cs.LG"' in page
    assert 'href="/papers/feed.rss?category=stat.ML"' in page
