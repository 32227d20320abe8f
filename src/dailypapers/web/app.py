"""The web application: ``create_app(settings)`` builds it, ``dailypapers serve`` runs it.

Pages (``web/pages.py``) and the JSON API (``api/``) are routers over the same engine; both call
the domain's queries and never build SQL themselves.
"""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from dailypapers.api.errors import install_error_handlers, invalid_request_answer
from dailypapers.api.papers import papers_router
from dailypapers.community.comments import CommentRefused
from dailypapers.community.models import User
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.digest.render import DigestRenderer
from dailypapers.digest.service import DigestLinks, InvalidLink
from dailypapers.mail.transport import transport_from_settings
from dailypapers.papers.text import plain_text
from dailypapers.search.semantic import semantic_search_for
from dailypapers.settings import Settings, site_secret
from dailypapers.web.accounts import accounts_router
from dailypapers.web.api_docs import install_api_docs
from dailypapers.web.cache import TtlCache
from dailypapers.web.changes import ChangeSignal
from dailypapers.web.community import community_router
from dailypapers.web.feeds import feeds_router
from dailypapers.web.for_you import for_you_router
from dailypapers.web.members import (
    UNKNOWN,
    Forbidden,
    Members,
    SignInRequired,
    local_path,
    sign_in_redirect,
)
from dailypapers.web.pages import PageNotFound, PageRefused, pages_router
from dailypapers.web.rendering import Renderer
from dailypapers.web.search import highlighted, search_router
from dailypapers.web.security import Csrf, CsrfRejected, Limits, RateLimited, SecurityHeaders
from dailypapers.web.subscribe import subscribe_router

WEB_DIR = Path(__file__).parent
#: The subject pydantic starts its messages with, which the parameter's name replaces on a page.
_SUBJECT = re.compile(r"^(Input|String|Value) ")


@asynccontextmanager
async def _frozen_heap(_app: FastAPI) -> AsyncIterator[None]:
    """Once started, move what start-up made (modules, templates) out of the garbage collector's
    sight: full collections then scan only what requests create, and pause requests far less."""
    gc.collect()
    gc.freeze()
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = create_db_engine(settings)
    upgrade_database(engine)
    templates = Jinja2Templates(directory=WEB_DIR / "templates")
    templates.env.filters["plain"] = plain_text
    templates.env.filters["highlighted"] = highlighted
    templates.env.globals["site_name"] = settings.site_name

    app = FastAPI(
        title=settings.site_name,
        description="Daily arXiv papers, ranked by the community.",
        lifespan=_frozen_heap,
        docs_url=None,  # served by web/api_docs.py, without a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    # The API, feeds and actions come before the pages: /papers/{id}.md, /papers/feed.rss and
    # /papers/{id}/upvote would otherwise read as paper ids.
    secret = site_secret(settings)
    # What a moderator hides and who signs out, seen by every web process (through Redis when set).
    page_changes = ChangeSignal(settings, "pages")
    renderer = Renderer(templates, Csrf(secret), settings.page_cache_seconds, page_changes)
    members = Members(engine, ChangeSignal(settings, "sessions"))
    install_api_docs(app)
    limits = Limits(settings)
    semantic = semantic_search_for(settings, engine)
    api_cache: TtlCache[bytes] = TtlCache(
        settings.page_cache_seconds, cleared_with=renderer.cache, changes=page_changes
    )
    app.include_router(
        papers_router(engine, members, limits, semantic, api_cache, front_list=settings.front_list)
    )
    app.include_router(feeds_router(engine, settings.site_name))
    app.include_router(
        accounts_router(
            engine, settings, renderer, members, transport_from_settings(settings), secret, limits
        )
    )
    app.include_router(community_router(engine, settings, renderer, members, limits, semantic))
    app.include_router(search_router(engine, renderer, members, semantic))
    app.include_router(for_you_router(engine, renderer, members))
    app.include_router(pages_router(engine, renderer, members, semantic, settings.front_list))
    mail = transport_from_settings(settings)
    digest = DigestRenderer(settings, DigestLinks(secret))
    app.include_router(subscribe_router(engine, renderer, limits, mail, digest))

    @app.exception_handler(InvalidLink)
    async def invalid_link(request: Request, error: InvalidLink) -> HTMLResponse:
        return renderer.page(request, "digest_link.html", 400, error=str(error))

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _error: SignInRequired) -> Response:
        if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
            return JSONResponse(
                {"error": "sign in first (API: Authorization: Bearer TOKEN)"}, status_code=401
            )
        return sign_in_redirect(request)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        return error_page(request, 403, "Not allowed", str(error), user=await member_of(request))

    @app.exception_handler(CommentRefused)
    async def comment_refused(request: Request, error: CommentRefused) -> Response:
        return error_page(request, 400, "Comment not saved", str(error), user=await member_of(request))

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, error: CsrfRejected) -> HTMLResponse:
        return error_page(request, 403, "Form expired", str(error), user=await member_of(request))

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, error: RateLimited) -> Response:
        response: Response
        if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
            response = JSONResponse({"error": str(error)}, status_code=429)
        else:
            user = await member_of(request)
            referer = urlsplit(request.headers.get("referer", ""))
            back = local_path(referer.path) if referer.netloc == request.url.netloc else "/"
            context = {"message": str(error), "kept": error.kept, "back": back}
            response = renderer.page(request, "rate_limited.html", 429, user=user, **context)
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        """Liveness for load balancers, and the empty route the HTTP benchmark measures against."""
        return Response("ok", media_type="text/plain")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """For browsers, feed readers and bookmarks that ask here instead of reading the icon link."""
        return FileResponse(WEB_DIR / "static" / "favicon.svg", media_type="image/svg+xml")

    async def member_of(request: Request) -> User | None:
        """The member of a request that failed, for the header of its error page: a page that offers
        "Sign in" to a signed-in member tells them they were signed out."""
        remembered = members.remembered(request)
        if remembered is UNKNOWN:
            return await run_in_threadpool(members.current, request)
        return cast(User | None, remembered)

    def error_page(
        request: Request, status: int, heading: str, message: str, user: User | None = None
    ) -> HTMLResponse:
        # The first letter in capitals whoever wrote the message: pages speak in sentences.
        message = message[:1].upper() + message[1:]
        return renderer.page(request, "error.html", status, heading=heading, message=message, user=user)

    @app.exception_handler(PageNotFound)
    async def page_not_found(request: Request, error: PageNotFound) -> HTMLResponse:
        return error_page(request, 404, "Not found", str(error), user=await member_of(request))

    @app.exception_handler(PageRefused)
    async def page_refused(request: Request, error: PageRefused) -> HTMLResponse:
        return error_page(request, 400, "Not understood", str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        """The API answers JSON (``api.errors``); a page answers a page that a person can read."""
        if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
            return invalid_request_answer(error)
        # "window: Input should be 'day', 'week' or 'month'" reads "window should be 'day', ...".
        problems = [
            f"{problem['loc'][-1]} {_SUBJECT.sub('', problem['msg'], count=1)}" for problem in error.errors()
        ]
        message = "; ".join(problems) or "the address asks for something this page does not know"
        return error_page(request, 400, "Not understood", f"This page cannot be shown: {message}.")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)
        user = await member_of(request)
        if error.status_code == 404:
            return error_page(request, 404, "Not found", "This page does not exist.", user=user)
        return error_page(request, error.status_code, "Something went wrong", str(error.detail), user=user)

    return app
