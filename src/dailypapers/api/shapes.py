"""The JSON the ``huggingface_hub`` paper functions read (``HfApi.list_daily_papers``, ``paper_info``).

Field names and nesting follow the Hub's answers; our own fields sit beside theirs. The client reads
``title``, ``githubRepo`` and friends only from the top level of a daily item, so they are repeated
there; its date parser needs ``...000Z`` timestamps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dailypapers.community.accounts import CATALOG_USERNAME
from dailypapers.community.models import User
from dailypapers.community.queries import ListedPaper
from dailypapers.papers.models import ListingEntry, Paper
from dailypapers.papers.text import find_project_page, plain_text

#: Who put automatic entries on the lists: the catalog itself.
CATALOG_USER = {
    "_id": CATALOG_USERNAME,
    "user": CATALOG_USERNAME,
    "fullname": "Daily Papers",
    "avatarUrl": "",
    "isPro": False,
    "type": "user",
}


def timestamp(value: dt.datetime | None) -> str | None:
    """``2025-08-11T17:59:33.000Z``: UTC with milliseconds and a Z, as the Hub writes them."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


#: Where a paper has no picture of its own yet, lists show the site's placeholder (a path under the site).
THUMBNAIL_PLACEHOLDER = "/static/paper-thumbnail.svg"


def _authors(paper: Paper) -> list[dict[str, Any]]:
    """Names as arXiv gives them. Nobody can claim an author entry on this site, so the Hub's
    ``user``, ``status`` and ``statusLastChangedAt`` of a claimed author are null for every one."""
    return [
        {
            "_id": f"{paper.id}-{index}",
            "name": plain_text(name),
            "hidden": False,
            "status": None,
            "statusLastChangedAt": None,
            "user": None,
        }
        for index, name in enumerate(paper.authors)
    ]


def _extras(paper: Paper) -> dict[str, Any]:
    """The Hub's optional fields we can fill, and ours (arXiv links, categories, versions).

    Unknown is null, as on the Hub: ``githubStars`` (the site never asks GitHub), ``organization``
    (papers are not linked to organisations here), ``ai_summary``; lists are empty lists.
    """
    return {
        "githubRepo": paper.code_urls[0] if paper.code_urls else None,
        "githubStars": None,
        "projectPage": find_project_page(paper.comments, paper.abstract),
        "organization": None,
        "mediaUrls": [],
        "ai_summary": None,
        "ai_keywords": [],
        "categories": paper.categories,
        "primaryCategory": paper.primary_category,
        "arxivUrl": paper.abs_url,
        "pdfUrl": paper.pdf_url,
        "version": paper.version,
        "updatedAt": timestamp(paper.updated_at),
        "comment": paper.comments,
        "doi": paper.doi,
        "codeUrls": paper.code_urls,
    }


def user_object(user: User | None) -> dict[str, Any]:
    """A member as the Hub describes users; the catalog itself for entries nobody submitted."""
    if user is None:
        return CATALOG_USER
    return {
        "_id": str(user.id),
        "user": user.username,
        "fullname": user.display_name,
        "avatarUrl": "",
        "isPro": False,
        "type": "user",
    }


def paper_object(
    paper: Paper, entry: ListingEntry | None, *, upvotes: int = 0, submitter: User | None = None
) -> dict[str, Any]:
    """The paper as the Hub nests it in daily items. ``publishedAt`` is the first version's date,
    else the listing time (an entry made before its arXiv metadata came); ``submittedOnDailyAt``
    the listing time, null only for a paper never listed."""
    listed_at = entry.listed_at if entry else None
    return {
        "id": paper.id,
        "authors": _authors(paper),
        "publishedAt": timestamp(paper.submitted_at or listed_at),
        "submittedOnDailyAt": timestamp(listed_at),
        "submittedOnDailyBy": user_object(submitter) if entry else None,
        "title": plain_text(paper.title),
        "summary": plain_text(paper.abstract),
        "upvotes": upvotes,
        "discussionId": paper.id,
        **_extras(paper),
    }


def paper_info_object(listed: ListedPaper) -> dict[str, Any]:
    """The flat paper object of ``GET /api/papers/{id}``: the nested one, with what the Hub adds
    there (its comment count, and the models, datasets and Spaces linked to it: none on this site)."""
    return {
        **paper_object(listed.paper, listed.entry, upvotes=listed.upvotes, submitter=listed.submitter),
        "numComments": listed.comments,
        "linkedModels": [],
        "numTotalModels": 0,
        "linkedDatasets": [],
        "numTotalDatasets": 0,
        "linkedSpaces": [],
        "numTotalSpaces": 0,
    }


def paper_item(listed: ListedPaper, site_url: str) -> dict[str, Any]:
    """One item of ``GET /api/daily_papers`` and ``/api/papers/search``: the paper, wrapped with when
    and by whom it was put on a daily list (``None`` for a paper that never was). ``site_url``
    (``http://host:port``) makes the thumbnail's address absolute, as clients show it as it is.
    """
    paper, entry, upvotes = listed.paper, listed.entry, listed.upvotes
    listed_at = timestamp(entry.listed_at) if entry else None
    return {
        "paper": paper_object(paper, entry, upvotes=upvotes, submitter=listed.submitter),
        "publishedAt": listed_at,
        # The client reads submitted_at from publishedAt or this; other tools read this one.
        "submittedOnDailyAt": listed_at,
        "title": plain_text(paper.title),
        "summary": plain_text(paper.abstract),
        "thumbnail": site_url + THUMBNAIL_PLACEHOLDER,
        "numComments": listed.comments,
        # Repeated beside "paper": the client reads paper.upvotes with `or`, so 0 there reads as None.
        "upvotes": upvotes,
        "submittedBy": user_object(listed.submitter) if entry else None,
        "isAuthorParticipating": False,
        "listedOn": entry.day.isoformat() if entry else None,
        "trendingScore": round(listed.trending_score, 3),
        **_extras(paper),
    }
