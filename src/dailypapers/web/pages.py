"""The pages people read: the daily lists by day, week and month, and each paper's page."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial
from typing import Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dailypapers.community import queries as community
from dailypapers.community.comments import threads_of
from dailypapers.community.models import User
from dailypapers.community.votes import upvoted_among
from dailypapers.db.write import read_session
from dailypapers.papers import queries
from dailypapers.papers.citation import bibtex, paper_markdown
from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.periods import InvalidPeriod, Period, PeriodKind, parse_period, period_of
from dailypapers.recommend.feed import rank_papers_for
from dailypapers.search.semantic import SemanticSearch
from dailypapers.web.for_you import dismissed_paper
from dailypapers.web.members import SESSION_COOKIE, Members
from dailypapers.web.rendering import PageParts, Renderer

PERIOD_NAMES: tuple[tuple[PeriodKind, str], ...] = (("date", "Day"), ("week", "Week"), ("month", "Month"))
#: Entries shown on one page of a period; a month of a busy field holds thousands.
PAGE_SIZE = 100
#: The orders of a list: the community's (by upvotes) and the member's own ("for you").
ListOrder = Literal["community", "for-you"]
#: Similar papers shown under a paper.
SIMILAR = 6


class PageNotFound(Exception):
    """Answered with the site's 404 page; the message tells the reader what was not found."""


def paper_page_parts(
    engine: sa.Engine, semantic: SemanticSearch, paper_id: str, *, moderator: bool = False
) -> PageParts:
    """The page of ``paper_id``: its paper, lists, discussion and similar papers. A paper hidden by
    moderators is shown to moderators only (``hidden`` in the context, for the banner)."""
    with read_session(engine) as session:
        paper = queries.paper_by_id(session, paper_id)
        hidden = paper is not None and community.is_hidden(session, paper_id)
        if paper is None or paper.deleted or (hidden and not moderator):
            raise PageNotFound(f"There is no paper {paper_id} in this catalog.")
        days = queries.listing_days_of(session, paper.id)
        activity = community.activity_of(session, paper.id)
        threads = threads_of(session, paper.id)
        similar = community.listed_papers(session, semantic.similar(session, paper.id, limit=SIMILAR))
    context = {
        "similar": similar,
        "paper": paper,
        "hidden": hidden,
        "days": days,
        "bibtex": bibtex(paper),
        "upvotes": activity.upvotes if activity else 0,
        "threads": threads,
    }
    return 200, "paper.html", context


def pages_router(
    engine: sa.Engine, renderer: Renderer, members: Members, semantic: SemanticSearch
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def personal(request: Request) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """What a signed-in member's copy of a page adds: which of its papers they upvoted."""

        def votes(context: dict[str, Any]) -> dict[str, Any]:
            shown = [listed.paper.id for listed in context.get("entries", [])]
            if "paper" in context:
                shown.append(context["paper"].id)
            with read_session(engine) as session:
                return {
                    "voted": upvoted_among(session, members.current(request), shown),
                    "just_dismissed": dismissed_paper(session, request.query_params.get("dismissed")),
                }

        return votes

    async def cached(
        request: Request,
        key: Hashable,
        parts: Callable[[], PageParts],
        member_parts: Callable[[User], PageParts] | None = None,
    ) -> HTMLResponse:
        """A visitor's copy of a shared page, straight from the event loop when it is cached: most
        requests then never wait for a worker thread. Anything touching the database runs in one.
        ``member_parts``, if given, makes a signed-in member's page (moderators see more)."""
        if SESSION_COOKIE not in request.cookies and (copy := renderer.cached_copy(request, key, parts)):
            return copy

        def page() -> HTMLResponse:
            user = members.current(request)
            chosen = parts if user is None or member_parts is None else partial(member_parts, user)
            return renderer.cached_page(request, key, chosen, user=user, personal=personal(request))

        return await run_in_threadpool(page)

    async def period_page(
        request: Request, period: Period | None, page: int, order: ListOrder = "community"
    ) -> HTMLResponse:
        if order == "community":
            return await cached(request, ("list", period, page), lambda: period_parts(period, page))

        def ranked_for_member() -> HTMLResponse:
            user = members.current(request)
            return renderer.cached_page(
                request,
                ("list", period, page, order),
                lambda: period_parts(period, page, order, user),
                user=user,
                personal=personal(request),
            )

        return await run_in_threadpool(ranked_for_member)

    def period_parts(
        period: Period | None, page: int, order: ListOrder = "community", user: User | None = None
    ) -> PageParts:
        """The list of ``period``: in the community's order, or in ``user``'s own ("for you", each
        paper with the reason it ranks where it does) when they have upvoted or followed anything."""
        if period is None:
            return 200, "list.html", {"period": None, "entries": [], "newer": None, "older": None}
        reasons: dict[str, str] = {}
        with read_session(engine) as session:
            ranked = (
                rank_papers_for(session, user, community.listed_paper_ids(session, period.first, period.last))
                if user is not None and order == "for-you"
                else []
            )
            if ranked:
                chosen = ranked[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
                entries = community.listed_papers(session, [pick.paper_id for pick in chosen])
                reasons = {pick.paper_id: pick.reason for pick in chosen}
                more = len(ranked) > (page + 1) * PAGE_SIZE
            else:
                entries = community.ranked_entries(
                    session, period.first, period.last, offset=page * PAGE_SIZE, limit=PAGE_SIZE + 1
                )
                more = len(entries) > PAGE_SIZE
            older_day = queries.previous_listing_day(session, period.first)
            newer_day = queries.next_listing_day(session, period.last)
        return (
            200,
            "list.html",
            {
                "period": period,
                "entries": entries[:PAGE_SIZE],
                "page": page,
                "more": more,
                "order": order,
                "reasons": reasons,
                "dismissable": bool(reasons),
                "next_path": f"{period.path}?sort=for-you" + (f"&page={page}" if page else ""),
                "older": period.containing(older_day) if older_day else None,
                "newer": period.containing(newer_day) if newer_day else None,
                "switches": [
                    (name, period_of(kind, period.first).path, kind == period.kind)
                    for kind, name in PERIOD_NAMES
                ],
            },
        )

    @router.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        def newest_day_parts() -> PageParts:
            with read_session(engine) as session:
                day = queries.newest_listing_day(session)
            return period_parts(period_of("date", day) if day else None, 0)

        return await cached(request, "home", newest_day_parts)

    @router.get("/papers", response_model=None)
    async def papers_index(request: Request, date: str | None = None) -> Response:
        """The newest day; with ``?date=`` (the date picker), that day's page."""
        if date:
            try:
                return RedirectResponse(parse_period("date", date).path, status_code=303)
            except InvalidPeriod as error:
                raise PageNotFound(str(error)) from None
        return await home(request)

    @router.get("/papers/{kind}/{label}", response_model=None)
    async def period_list(
        request: Request, kind: str, label: str, page: int = 0, sort: ListOrder = "community"
    ) -> Response:
        if kind not in ("date", "week", "month"):
            return await paper_show(request, f"{kind}/{label}")  # an old-style id: /papers/hep-th/9901001
        if not 0 <= page <= 100:
            raise PageNotFound("Lists are shown up to their 100th page.")
        try:
            period = parse_period(kind, label)  # type: ignore[arg-type]
        except InvalidPeriod as error:
            raise PageNotFound(str(error)) from None
        return await period_page(request, period, page, sort)

    def paper_as_markdown(paper_id: str) -> Response:
        """The page as Markdown for readers that ask for it (``Accept: text/markdown``), as on the Hub."""
        with read_session(engine) as session:
            paper = queries.paper_by_id(session, paper_id)
            if paper is None or paper.deleted or community.is_hidden(session, paper_id):
                raise PageNotFound(f"There is no paper {paper_id} in this catalog.")
            text = paper_markdown(paper, queries.listing_days_of(session, paper.id))
        return Response(text, media_type="text/markdown; charset=utf-8", headers={"Vary": "Accept"})

    @router.get("/papers/{arxiv_id:path}", response_model=None)
    async def paper_show(request: Request, arxiv_id: str) -> Response:
        try:
            parsed = parse_arxiv_id(arxiv_id)
        except InvalidArxivId as error:
            raise PageNotFound(str(error)) from None
        if "text/markdown" in request.headers.get("accept", ""):
            return await run_in_threadpool(paper_as_markdown, parsed.id)

        def visitor_parts() -> PageParts:
            return paper_page_parts(engine, semantic, parsed.id)

        def member_parts(user: User) -> PageParts:
            return paper_page_parts(engine, semantic, parsed.id, moderator=user.is_moderator)

        return await cached(request, ("paper", parsed.id), visitor_parts, member_parts)

    return router
