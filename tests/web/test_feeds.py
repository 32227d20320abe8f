"""RSS and Atom feeds of the daily list, with ETag and Last-Modified validators."""

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

ATOM = "{http://www.w3.org/2005/Atom}"


def test_rss_lists_the_newest_day(site: TestClient) -> None:
    answer = site.get("/papers/feed.rss")
    assert answer.headers["content-type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(answer.content).find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Daily Papers: 12 August 2025"
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
