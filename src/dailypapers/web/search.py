"""The search page: words and meaning together, highlighted snippets, narrowed by category, dates
and author."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dailypapers.community import queries as community
from dailypapers.community.votes import upvoted_among
from dailypapers.db.write import read_session
from dailypapers.search.filters import SearchFilters
from dailypapers.search.query import MAX_QUERY_LENGTH
from dailypapers.search.service import search_with_snippets
from dailypapers.web.dependencies import EngineDep, MembersDep, RendererDep, SemanticDep
from dailypapers.web.pages import CATEGORY

PAGE_SIZE = 20
MAX_PAGE = 25


router = APIRouter(include_in_schema=False)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    semantic: SemanticDep,
    q: str = "",
    category: str = "",
    since: str = "",
    until: str = "",
    author: str = "",
    page: int = 0,
) -> HTMLResponse:
    category, author = category.strip()[:32], author.strip()[:100]
    context: dict[str, Any] = {
        "q": q.strip()[:MAX_QUERY_LENGTH],
        "category": category,
        "since": since,
        "until": until,
        "author": author,
        "page": page,
    }
    try:
        filters = SearchFilters(category or None, _day(since, "From"), _day(until, "Until"), author or None)
        if category and not CATEGORY.fullmatch(category):
            raise ValueError(f"{category!r} is not an arXiv category like cs.CV.")
        if not 0 <= page <= MAX_PAGE:
            raise ValueError(f"Results are shown up to page {MAX_PAGE}.")
    except ValueError as error:
        user = members.current(request)
        return renderer.page(request, "search.html", 400, user=user, error=str(error), **context)
    user = members.current(request)
    with read_session(engine) as session:
        found = search_with_snippets(
            session, q, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE, filters=filters, semantic=semantic
        )
        shown = [result.paper.id for result in found.results[:PAGE_SIZE]]
        # As lists show them: with their upvotes and comments, hidden papers left out.
        listed = {item.paper.id: item for item in community.listed_papers(session, shown)}
        voted = upvoted_among(session, user, list(listed))
    results = [result for result in found.results[:PAGE_SIZE] if result.paper.id in listed]
    return renderer.page(
        request,
        "search.html",
        user=user,
        results=results,
        listed=listed,
        voted=voted,
        more=len(found.results) > PAGE_SIZE,
        found=found,
        max_length=MAX_QUERY_LENGTH,
        **context,
    )


def _day(text: str, name: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} must be a day like 2025-08-11, not {text[:20]!r}.") from None
