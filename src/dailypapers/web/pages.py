"""The pages people read: the daily lists by day, week and month, and each paper's page."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dailypapers.community import queries as community
from dailypapers.community.comments import threads_of
from dailypapers.community.models import User
from dailypapers.community.queries import ListKind
from dailypapers.community.votes import upvoted_among
from dailypapers.db.write import read_session
from dailypapers.papers import queries
from dailypapers.papers.citation import bibtex, paper_markdown
from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.periods import InvalidPeriod, Period, PeriodKind, parse_period, period_of
from dailypapers.recommend.feed import rank_papers_for
from dailypapers.search.semantic import SemanticSearch
from dailypapers.web.dependencies import WebParts, WebPartsDep
from dailypapers.web.for_you import dismissed_paper
from dailypapers.web.members import SESSION_COOKIE, Members
from dailypapers.web.paging import Pager
from dailypapers.web.rendering import PageParts

PERIOD_NAMES: tuple[tuple[PeriodKind, str], ...] = (("date", "Day"), ("week", "Week"), ("month", "Month"))
#: Entries shown on one page of a period; a month of a busy field holds thousands.
PAGE_SIZE = 100
#: The orders of a list: the community's (by upvotes) and the member's own ("for you").
ListOrder = Literal["community", "for-you"]
#: Similar papers shown under a paper.
SIMILAR = 6
#: An arXiv category as a list's ``?category=`` names it: ``cs.CV``, ``math``, ``hep-th``.
CATEGORY = re.compile(r"[A-Za-z-]+(\.[A-Za-z-]+)?")


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


class PageRefused(Exception):
    """Answered with the site's 400 page: the address asks for something that cannot be; the
    message says what would do."""


@dataclass(frozen=True)
class ListView:
    """What a list page shows: a period's list of one kind, perhaps one category, in one order, one
    page of it. It names the page in the cache, and builds the addresses of its neighbours."""

    period: Period | None
    #: The kind the site shows unless asked (``DAILYPAPERS_FRONT_LIST``): addresses leave it out.
    default_kind: ListKind
    kind: ListKind = "all"
    category: str | None = None
    order: ListOrder = "community"
    page: int = 0

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        """The query of the list's address, but for its page."""
        params: list[tuple[str, str]] = []
        if self.kind != self.default_kind:
            params.append(("list", self.kind))
        if self.category:
            params.append(("category", self.category))
        if self.order != "community":
            params.append(("sort", self.order))
        return tuple(params)

    @property
    def path(self) -> str:
        return self.period.path if self.period else "/papers"

    @property
    def address(self) -> str:
        """The list's first page, with its kind, category and order."""
        return f"{self.path}?{urlencode(self.params)}" if self.params else self.path

    def pager(self, total: int) -> Pager:
        """The pages of a list of ``total`` papers, this view on one of them."""
        return Pager(total, self.page, PAGE_SIZE, self.path, self.params)

    def changed(self, **changes: Any) -> ListView:
        """This list with another period, kind, category or order, from its first page."""
        return replace(self, **{"page": 0, **changes})


router = APIRouter(include_in_schema=False)


def personal(
    request: Request, engine: sa.Engine, members: Members
) -> Callable[[dict[str, Any]], dict[str, Any]]:
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
    parts: WebParts,
    key: Hashable,
    page_parts: Callable[[], PageParts],
    member_parts: Callable[[User], PageParts] | None = None,
) -> HTMLResponse:
    """A visitor's copy of a shared page, straight from the event loop when it is cached: most
    requests then never wait for a worker thread. Anything touching the database runs in one.
    ``member_parts``, if given, makes a signed-in member's page (moderators see more)."""
    renderer, members = parts.renderer, parts.members
    if SESSION_COOKIE not in request.cookies and (copy := renderer.cached_copy(request, key, page_parts)):
        return copy

    def page() -> HTMLResponse:
        user = members.current(request)
        chosen = page_parts if user is None or member_parts is None else partial(member_parts, user)
        votes = personal(request, parts.runtime.engine, members)
        return renderer.cached_page(request, key, chosen, user=user, personal=votes)

    return await run_in_threadpool(page)


async def period_page(request: Request, parts: WebParts, view: ListView) -> HTMLResponse:
    engine = parts.runtime.engine
    if view.order == "community":
        return await cached(request, parts, ("list", view), lambda: period_parts(engine, view))

    def ranked_for_member() -> HTMLResponse:
        user = parts.members.current(request)
        return parts.renderer.cached_page(
            request,
            ("list", view),
            lambda: period_parts(engine, view, user),
            user=user,
            personal=personal(request, engine, parts.members),
        )

    return await run_in_threadpool(ranked_for_member)


def period_parts(engine: sa.Engine, view: ListView, user: User | None = None) -> PageParts:
    """The list of ``view.period``: in the community's order, or in ``user``'s own ("for you",
    each paper with the reason it ranks where it does) when they have upvoted or followed anything."""
    period = view.period
    if period is None:
        return 200, "list.html", {"period": None, "entries": [], "newer": None, "older": None}
    reasons: dict[str, str] = {}
    with read_session(engine) as session:
        ranked = (
            rank_papers_for(
                session,
                user,
                community.listed_paper_ids(
                    session, period.first, period.last, category=view.category, kind=view.kind
                ),
            )
            if user is not None and view.order == "for-you"
            else []
        )
        if ranked:
            pager = view.pager(len(ranked))
            chosen = ranked[pager.offset : pager.offset + PAGE_SIZE]
            entries = community.listed_papers(session, [pick.paper_id for pick in chosen])
            reasons = {pick.paper_id: pick.reason for pick in chosen}
        else:
            pager = view.pager(
                community.count_entries(
                    session, period.first, period.last, category=view.category, kind=view.kind
                )
            )
            entries = community.ranked_entries(
                session,
                period.first,
                period.last,
                offset=pager.offset,
                limit=PAGE_SIZE,
                category=view.category,
                kind=view.kind,
            )
        if not pager.exists:
            raise PageNotFound(f"This list ends at page {pager.pages}; there is no page {view.page + 1}.")
        other_kind: ListKind = "all" if view.kind == "community" else "community"
        other_total = community.count_entries(
            session, period.first, period.last, category=view.category, kind=other_kind
        )
        categories = community.categories_listed(session, period.first, period.last)
        older_day = queries.previous_listing_day(session, period.first)
        newer_day = queries.next_listing_day(session, period.last)
    return (
        200,
        "list.html",
        {
            "period": period,
            "view": view,
            "entries": entries,
            "pager": pager,
            "order": view.order,
            "reasons": reasons,
            "dismissable": bool(reasons),
            "next_path": pager.here,
            "other_total": other_total,
            "categories": categories,
            "older": period.containing(older_day) if older_day else None,
            "newer": period.containing(newer_day) if newer_day else None,
            "switches": [
                (name, view.changed(period=period_of(kind, period.first)).address, kind == period.kind)
                for kind, name in PERIOD_NAMES
            ],
        },
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, parts: WebPartsDep) -> HTMLResponse:
    engine, front_list = parts.runtime.engine, parts.runtime.settings.front_list

    def newest_day_parts() -> PageParts:
        with read_session(engine) as session:
            day = queries.newest_listing_day(session)
        return period_parts(engine, ListView(period_of("date", day) if day else None, front_list, front_list))

    return await cached(request, parts, "home", newest_day_parts)


@router.get("/papers", response_model=None)
async def papers_index(request: Request, parts: WebPartsDep, date: str | None = None) -> Response:
    """The newest day; with ``?date=`` (the date picker), that day's page."""
    if date:
        try:
            return RedirectResponse(parse_period("date", date).path, status_code=303)
        except InvalidPeriod as error:
            raise PageNotFound(str(error)) from None
    return await home(request, parts)


@router.get("/papers/{kind}/{label}", response_model=None)
async def period_list(
    request: Request,
    parts: WebPartsDep,
    kind: str,
    label: str,
    page: int = 0,
    sort: ListOrder = "community",
    category: str = "",
    list_kind: Annotated[ListKind | None, Query(alias="list")] = None,
) -> Response:
    if kind not in ("date", "week", "month"):
        return await paper_show(request, parts, f"{kind}/{label}")  # an old-style id: /papers/hep-th/9901001
    if not 0 <= page <= 100:
        raise PageNotFound("Lists are shown up to their 100th page.")
    if category and not CATEGORY.fullmatch(category):
        raise PageRefused(f"{category[:40]!r} is not an arXiv category like cs.CV.")
    try:
        period = parse_period(kind, label)  # type: ignore[arg-type]
    except InvalidPeriod as error:
        raise PageNotFound(str(error)) from None
    front_list = parts.runtime.settings.front_list
    view = ListView(period, front_list, list_kind or front_list, category or None, sort, page)
    return await period_page(request, parts, view)


def paper_as_markdown(engine: sa.Engine, paper_id: str) -> Response:
    """The page as Markdown for readers that ask for it (``Accept: text/markdown``), as on the Hub."""
    with read_session(engine) as session:
        paper = queries.paper_by_id(session, paper_id)
        if paper is None or paper.deleted or community.is_hidden(session, paper_id):
            raise PageNotFound(f"There is no paper {paper_id} in this catalog.")
        text = paper_markdown(paper, queries.listing_days_of(session, paper.id))
    return Response(text, media_type="text/markdown; charset=utf-8", headers={"Vary": "Accept"})


@router.get("/papers/{arxiv_id:path}", response_model=None)
async def paper_show(request: Request, parts: WebPartsDep, arxiv_id: str) -> Response:
    engine, semantic = parts.runtime.engine, parts.runtime.semantic
    try:
        parsed = parse_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise PageNotFound(str(error)) from None
    if "text/markdown" in request.headers.get("accept", ""):
        return await run_in_threadpool(paper_as_markdown, engine, parsed.id)

    def visitor_parts() -> PageParts:
        return paper_page_parts(engine, semantic, parsed.id)

    def member_parts(user: User) -> PageParts:
        return paper_page_parts(engine, semantic, parsed.id, moderator=user.is_moderator)

    return await cached(request, parts, ("paper", parsed.id), visitor_parts, member_parts)
