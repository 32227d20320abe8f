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
    app.include_router(papers_router(engine))
    app.include_router(feeds_router(engine, settings.site_name))
    app.include_router(pages_router(engine, templates))

    @app.exception_handler(PageNotFound)
    async def page_not_found(request: Request, error: PageNotFound) -> HTMLResponse:
        return templates.TemplateResponse(request, "not_found.html", {"message": str(error)}, status_code=404)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)
        message = "This page does not exist." if error.status_code == 404 else str(error.detail)
        return templates.TemplateResponse(
            request, "not_found.html", {"message": message}, status_code=error.status_code
        )

    return app
