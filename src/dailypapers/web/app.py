"""The web application: ``create_app(settings)`` builds it, ``dailypapers serve`` runs it.

For now it serves the newest daily list and each paper's page; the site issue grows it into the
full Daily Papers site and API.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import read_session
from dailypapers.papers import queries
from dailypapers.papers.text import plain_text
from dailypapers.settings import Settings

TEMPLATES_DIR = Path(__file__).parent / "templates"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = create_db_engine(settings)
    upgrade_database(engine)
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.filters["plain"] = plain_text
    app = FastAPI(title=settings.site_name)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        with read_session(engine) as session:
            day = queries.newest_listing_day(session)
            papers = queries.papers_listed_on(session, day) if day else []
        return templates.TemplateResponse(
            request, "day.html", {"site_name": settings.site_name, "day": day, "papers": papers}
        )

    @app.get("/papers/date/{day}", response_class=HTMLResponse, include_in_schema=False)
    def day_list(request: Request, day: str) -> HTMLResponse:
        try:
            parsed = dt.date.fromisoformat(day)
        except ValueError:
            raise HTTPException(404, f"not a date: {day}") from None
        with read_session(engine) as session:
            papers = queries.papers_listed_on(session, parsed)
        return templates.TemplateResponse(
            request, "day.html", {"site_name": settings.site_name, "day": parsed, "papers": papers}
        )

    @app.get("/papers", include_in_schema=False)
    def papers_index() -> RedirectResponse:
        return RedirectResponse("/", status_code=307)

    return app
