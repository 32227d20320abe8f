"""The web application: ``create_app(settings)`` builds it, ``dailypapers serve`` runs it.

Pages (``web/pages.py``) and the JSON API (``api/``) are routers over the same engine; both call
the domain's queries and never build SQL themselves.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from dailypapers.api.errors import install_error_handlers
from dailypapers.api.papers import papers_router
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.papers.text import plain_text
from dailypapers.settings import Settings
from dailypapers.web.feeds import feeds_router
from dailypapers.web.pages import PageNotFound, pages_router
from dailypapers.web.rendering import Renderer
from dailypapers.web.security import Csrf, CsrfRejected, RateLimited, RateLimiter, site_secret
from dailypapers.web.subscribe import subscribe_router

WEB_DIR = Path(__file__).parent


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = create_db_engine(settings)
    upgrade_database(engine)
    templates = Jinja2Templates(directory=WEB_DIR / "templates")
    templates.env.filters["plain"] = plain_text
    templates.env.globals["site_name"] = settings.site_name

    app = FastAPI(title=settings.site_name, description="Daily arXiv papers, ranked by the community.")
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    # Before the pages: /papers/{id}.md and /papers/feed.rss would otherwise read as paper ids.
    app.include_router(papers_router(engine, settings.page_cache_seconds))
    app.include_router(feeds_router(engine, settings.site_name))
    renderer = Renderer(templates, Csrf(site_secret(settings)), settings.page_cache_seconds)
    app.include_router(pages_router(engine, renderer))
    app.include_router(subscribe_router(engine, renderer, RateLimiter(settings.subscribe_rate_limit, 600)))

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, error: CsrfRejected) -> HTMLResponse:
        return error_page(request, 403, "Form expired", str(error))

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, error: RateLimited) -> HTMLResponse:
        response = error_page(request, 429, "Slow down", str(error))
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        """Liveness for load balancers, and the empty route the HTTP benchmark measures against."""
        return Response("ok", media_type="text/plain")

    def error_page(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
        context = {"heading": heading, "message": message}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)

    @app.exception_handler(PageNotFound)
    async def page_not_found(request: Request, error: PageNotFound) -> HTMLResponse:
        return error_page(request, 404, "Not found", str(error))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)
        if error.status_code == 404:
            return error_page(request, 404, "Not found", "This page does not exist.")
        return error_page(request, error.status_code, "Something went wrong", str(error.detail))

    return app
