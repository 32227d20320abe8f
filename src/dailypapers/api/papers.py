"""The papers API: ``/api/daily_papers``, ``/api/papers/{id}``, BibTeX and Markdown.

Compatible with the ``huggingface_hub`` client pointed at this server
(``HfApi(endpoint="http://host:port").list_daily_papers(...)``, ``.paper_info(id)``, ``.read_paper(id)``).
Every answer is bounded: pages hold at most ``MAX_LIMIT`` items and reach at most ``MAX_OFFSET``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from starlette.background import BackgroundTask

from dailypapers.api.errors import ApiError
from dailypapers.api.shapes import paper_info_object, paper_item
from dailypapers.community import queries as community
from dailypapers.community.queries import ListKind
from dailypapers.community.votes import NoSuchPaper, set_vote
from dailypapers.db.write import read_session, write_session
from dailypapers.papers import queries
from dailypapers.papers.citation import bibtex, paper_markdown
from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.models import Paper
from dailypapers.papers.periods import InvalidPeriod, Period, parse_period, period_of
from dailypapers.search.query import MAX_QUERY_LENGTH
from dailypapers.search.service import search_papers
from dailypapers.web.dependencies import EngineDep, SemanticDep, WebParts, WebPartsDep

#: The Hub's page size: ``HfApi.list_daily_papers`` documents "Defaults to 50" and ``hf papers ls``
#: asks for 50, so a tool that reads one page sees what it would on the Hub.
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_OFFSET = 10_000
DEFAULT_SEARCH_LIMIT = 20
#: The Hub answers at most 120 search results.
MAX_SEARCH_LIMIT = 120


router = APIRouter(tags=["papers"])


@router.get("/api/daily_papers", summary="The daily lists of a day, week or month")
async def daily_papers(
    request: Request,
    parts: WebPartsDep,
    date: Annotated[
        str | None, Query(description="a day, YYYY-MM-DD (or a timestamp, 2025-08-11T00:00:00.000Z)")
    ] = None,
    week: Annotated[str | None, Query(description="an ISO week, YYYY-Www")] = None,
    month: Annotated[str | None, Query(description="a month, YYYY-MM")] = None,
    submitter: Annotated[str | None, Query(max_length=100, description="username of the submitter")] = None,
    sort: Annotated[Literal["publishedAt", "trending"], Query()] = "publishedAt",
    p: Annotated[int, Query(ge=0, description="page number, from 0")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    list_kind: Annotated[
        ListKind | None,
        Query(
            alias="list",
            description="`community`: papers members submitted or upvoted; `all`: every new paper "
            "(default: the site's DAILYPAPERS_FRONT_LIST)",
        ),
    ] = None,
) -> Response:
    """Without a period: the newest day that has papers. Ranked by upvotes, newest day first;
    ``sort=trending`` ranks the whole period by trending score.

    Answers a JSON array of daily items, shaped as the Hub's (``dailypapers.api.shapes.paper_item``).
    """
    if p * limit > MAX_OFFSET:
        raise ApiError(400, f"pages end at item {MAX_OFFSET}; narrow the period instead")
    period = _requested_period(date, week, month)
    site_url = _site_url(request)
    kind = list_kind or parts.runtime.settings.front_list
    engine, cache = parts.runtime.engine, parts.api_cache

    def answer() -> bytes:
        with read_session(engine) as session:
            chosen = period or _newest_day(session)
            if chosen is None:
                return b"[]"
            listed = community.ranked_entries(
                session,
                chosen.first,
                chosen.last,
                offset=p * limit,
                limit=limit,
                sort="trending" if sort == "trending" else "upvotes",
                submitter=submitter,
                kind=kind,
            )
            return orjson.dumps([paper_item(item, site_url) for item in listed])

    key = (period, submitter, sort, p, limit, kind, site_url)
    # A cached answer goes out from the event loop (a stale one is re-made after it is sent);
    # making one needs the database and a thread.
    body, refresh = cache.lookup(key)
    if body is None:
        body = await run_in_threadpool(cache.get_or_make, key, answer)
    background = BackgroundTask(cache.refresh, key, answer) if refresh else None
    return Response(body, media_type="application/json", background=background)


@router.get("/api/papers/search", summary="Search papers by keywords or arXiv id")
def search(
    request: Request,
    engine: EngineDep,
    semantic: SemanticDep,
    q: Annotated[
        str,
        Query(
            description='words, "phrases", an author\'s name, an arXiv id or a pasted abstract; '
            f"only the first {MAX_QUERY_LENGTH:,} characters are searched"
        ),
    ] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_LIMIT)] = DEFAULT_SEARCH_LIMIT,
) -> Response:
    """Answers a JSON array of items shaped like those of ``/api/daily_papers``, best match first;
    an empty array when nothing matches (no paper has the words, and none is close in meaning)."""
    with read_session(engine) as session:
        found = search_papers(session, q, limit=limit, semantic=semantic)
        listed = community.listed_papers(session, [p.id for p in found])
        items = [paper_item(item, _site_url(request)) for item in listed]
    return Response(orjson.dumps(items), media_type="application/json")


@router.get("/api/papers/{arxiv_id:path}/bibtex", response_class=PlainTextResponse, summary="BibTeX entry")
def paper_bibtex(engine: EngineDep, arxiv_id: str) -> PlainTextResponse:
    with read_session(engine) as session:
        paper = _paper_or_404(session, arxiv_id)
        return PlainTextResponse(bibtex(paper), media_type="application/x-bibtex; charset=utf-8")


@router.get("/api/papers/{arxiv_id:path}", summary="One paper")
def paper_info(engine: EngineDep, arxiv_id: str) -> dict[str, Any]:
    with read_session(engine) as session:
        paper = _paper_or_404(session, arxiv_id)
        (listed,) = community.listed_papers(session, [paper.id])
        return paper_info_object(listed)


@router.get("/api/arxiv/{arxiv_id:path}/repos", summary="Models, datasets and Spaces of a paper")
def paper_repos(engine: EngineDep, arxiv_id: str) -> dict[str, list[Any]]:
    """As the Hub answers tools that look for a paper's implementations; this site links none."""
    with read_session(engine) as session:
        _paper_or_404(session, arxiv_id)
    return {"models": [], "datasets": [], "spaces": []}


@router.post("/api/papers/{arxiv_id:path}/upvote", summary="Upvote a paper (API token)")
def api_upvote(request: Request, parts: WebPartsDep, arxiv_id: str) -> dict[str, Any]:
    return vote(request, parts, arxiv_id, up=True)


@router.delete("/api/papers/{arxiv_id:path}/upvote", summary="Take an upvote back (API token)")
def api_remove_upvote(request: Request, parts: WebPartsDep, arxiv_id: str) -> dict[str, Any]:
    return vote(request, parts, arxiv_id, up=False)


def vote(request: Request, parts: WebParts, arxiv_id: str, *, up: bool) -> dict[str, Any]:
    """Scripts vote with ``Authorization: Bearer TOKEN`` (made on the settings page); idempotent."""
    user = parts.members.of_api_token(request)
    if user is None:
        raise ApiError(401, "send a personal API token: Authorization: Bearer TOKEN")
    try:
        paper_id = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId as error:
        raise ApiError(404, str(error)) from None
    parts.limits.member(parts.limits.votes, user)
    try:
        with write_session(parts.runtime.engine) as session:
            count = set_vote(session, user, paper_id, up=up)
    except NoSuchPaper as error:
        raise ApiError(404, str(error)) from None
    return {"paper": paper_id, "upvotes": count, "upvoted": up}


@router.get("/papers/{arxiv_id:path}.md", response_class=PlainTextResponse, summary="Paper page as Markdown")
def paper_as_markdown(engine: EngineDep, arxiv_id: str) -> PlainTextResponse:
    with read_session(engine) as session:
        paper = _paper_or_404(session, arxiv_id)
        text = paper_markdown(paper, queries.listing_days_of(session, paper.id))
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


def _requested_period(date: str | None, week: str | None, month: str | None) -> Period | None:
    given = [
        (kind, text) for kind, text in (("date", date), ("week", week), ("month", month)) if text is not None
    ]
    if len(given) > 1:
        raise ApiError(400, "give at most one of date, week and month")
    if not given:
        return None
    kind, text = given[0]
    try:
        return parse_period(kind, text)  # type: ignore[arg-type]
    except InvalidPeriod as error:
        raise ApiError(400, str(error)) from None


def _site_url(request: Request) -> str:
    """``http://host:port`` as the client reached the site, for absolute links in answers."""
    return str(request.base_url).rstrip("/")


def _newest_day(session: Any) -> Period | None:
    day = queries.newest_listing_day(session)
    return period_of("date", day) if day else None


def _paper_or_404(session: Any, arxiv_id: str) -> Paper:
    try:
        parsed = parse_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise ApiError(404, str(error)) from None
    paper = queries.paper_by_id(session, parsed.id)
    if paper is None or paper.deleted or community.is_hidden(session, parsed.id):
        raise ApiError(404, f"no paper {parsed.id} in this catalog")
    return paper
