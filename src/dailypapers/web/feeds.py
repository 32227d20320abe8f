"""RSS 2.0 and Atom feeds of a day's list, whole or one category's, with validators so that feed readers
poll cheaply. A feed's title stays the same from day to day (readers show it as the subscription's name);
each item names its authors (Atom ``author``, RSS ``dc:creator``: RSS's own ``author`` is an e-mail address).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from dailypapers.community import queries as community
from dailypapers.db.write import read_session
from dailypapers.papers import queries
from dailypapers.papers.models import ListingEntry, Paper
from dailypapers.papers.periods import InvalidPeriod, parse_period
from dailypapers.papers.text import plain_text
from dailypapers.web.dependencies import EngineDep, SettingsDep
from dailypapers.web.pages import CATEGORY, PageNotFound

MEDIA_TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}


router = APIRouter(include_in_schema=False)


@router.get("/papers/feed.{kind}")
def feed(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    kind: str,
    date: str | None = None,
    category: str | None = None,
) -> Response:
    """The newest day's whole list, or the list of ``?date=YYYY-MM-DD``; ``?category=cs.CV`` keeps
    the papers of one arXiv category (cross-lists included, as arXiv's own listings do)."""
    if kind not in MEDIA_TYPES:
        raise PageNotFound("Feeds are feed.rss and feed.atom.")
    if category is not None and not CATEGORY.fullmatch(category[:64]):
        raise PageNotFound(f"There is no arXiv category {category[:64]!r}; categories look like cs.CV.")
    with read_session(engine) as session:
        day = _day(date) if date else queries.newest_listing_day(session)
        listed = community.ranked_entries(session, day, day, limit=None) if day else []
        entries = [
            (item.entry, item.paper)
            for item in listed
            if item.entry is not None and (category is None or category in item.paper.categories)
        ]
    etag, modified = _validators(kind + (category or ""), entries)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if modified:
        headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    if _not_modified(request, etag, modified):
        return Response(status_code=304, headers=headers)
    body = _render(kind, entries, day, str(request.base_url).rstrip("/"), settings.site_name, category)
    return Response(body, media_type=MEDIA_TYPES[kind], headers=headers)


def _day(text: str) -> dt.date:
    try:
        return parse_period("date", text).first
    except InvalidPeriod as error:
        raise PageNotFound(str(error)) from None


def _validators(kind: str, entries: list[tuple[ListingEntry, Paper]]) -> tuple[str, dt.datetime | None]:
    digest = hashlib.blake2b(kind.encode(), digest_size=12)
    modified: dt.datetime | None = None
    for entry, paper in entries:
        digest.update(f"{entry.id}:{paper.content_hash};".encode())
        changed = max(entry.submitted_at, paper.ingested_at).replace(tzinfo=dt.UTC, microsecond=0)
        modified = changed if modified is None else max(modified, changed)
    return f'"{digest.hexdigest()}"', modified


def _not_modified(request: Request, etag: str, modified: dt.datetime | None) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match.strip() == "*"
    since = request.headers.get("if-modified-since")
    if since and modified:
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def feed_title(site_name: str, category: str | None) -> str:
    """The same every day: ``Daily Papers`` or ``Daily Papers: cs.CV``."""
    return f"{site_name}: {category}" if category else site_name


def _render(
    kind: str,
    entries: list[tuple[ListingEntry, Paper]],
    day: dt.date | None,
    base: str,
    name: str,
    category: str | None,
) -> bytes:
    feed = FeedGenerator()
    feed.load_extension("dc")
    query = f"?category={category}" if category else ""
    feed.id(f"{base}/papers/feed.{kind}{query}")
    feed.title(feed_title(name, category))
    # RSS keeps the last link given as the channel's <link>: the page, after the feed's own address.
    feed.link(href=f"{base}/papers/feed.{kind}{query}", rel="self")
    feed.link(href=f"{base}/papers/date/{day}" if day else f"{base}/", rel="alternate")
    listing = f"The {category} papers" if category else "The papers"
    feed.description(f"{listing} listed on {day:%-d %B %Y}." if day else f"{listing} of the newest day.")
    feed.language("en")
    for entry, paper in reversed(entries):  # feedgen prepends: add the last first
        item = feed.add_entry()
        url = f"{base}/papers/{paper.id}"
        item.id(url)
        item.guid(url, permalink=True)
        item.title(plain_text(paper.title))
        item.link(href=url)
        item.description(plain_text(paper.abstract))
        authors = [plain_text(author) for author in paper.authors]
        for author in authors:
            item.author(name=author)
        item.dc.dc_creator(authors)
        for category in paper.categories:
            item.category(term=category)
        item.published(entry.listed_at.replace(tzinfo=dt.UTC))
        item.updated(max(entry.submitted_at, paper.ingested_at).replace(tzinfo=dt.UTC))
    rendered: bytes = feed.rss_str(pretty=True) if kind == "rss" else feed.atom_str(pretty=True)
    return rendered
