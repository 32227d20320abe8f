"""The web application: ``create_app(runtime)`` builds it, ``dailypapers serve`` runs it.

Pages (``web/pages.py``) and the JSON API (``api/``) are module-level routers over the same runtime;
their handlers receive its parts through ``web/dependencies.py`` and call the domain's queries,
never building SQL themselves.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from dailypapers.api import papers
from dailypapers.api.errors import install_error_handlers
from dailypapers.health import failed_checks
from dailypapers.runtime import Runtime
from dailypapers.settings import Settings
from dailypapers.web import accounts, community, feeds, for_you, pages, search, subscribe
from dailypapers.web.api_docs import install_api_docs
from dailypapers.web.dependencies import RuntimeDep, WebParts
from dailypapers.web.errors import install_page_errors
from dailypapers.web.rendering import WEB_DIR
from dailypapers.web.security import SecurityHeaders

#: Read once: browsers, feed readers and bookmarks ask for it on their first visit.
FAVICON = (WEB_DIR / "static" / "favicon.svg").read_bytes()
#: A day: a new icon reaches every browser by the next day.
FAVICON_CACHE = "public, max-age=86400"

site = APIRouter(include_in_schema=False)


@site.get("/healthz")
async def healthz(runtime: RuntimeDep) -> Response:
    """For load balancers: 200 ``ok`` while the database (and each shared part of the runtime,
    ``dailypapers.health.CHECKS``) answers, else 503 naming what failed."""
    failed = await failed_checks(runtime)
    headers = {"Cache-Control": "no-store"}
    if failed:
        return Response("; ".join(failed), 503, headers=headers, media_type="text/plain")
    return Response("ok", headers=headers, media_type="text/plain")


@site.get("/favicon.ico")
def favicon() -> Response:
    """For browsers, feed readers and bookmarks that ask here instead of reading the icon link; also
    the route the HTTP benchmarks measure pages against, as it does nothing else (a plain ``def``,
    answered through the thread pool like most routes)."""
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": FAVICON_CACHE})


@asynccontextmanager
async def _frozen_heap(_app: FastAPI) -> AsyncIterator[None]:
    """Once started, move what start-up made (modules, templates) out of the garbage collector's
    sight: full collections then scan only what requests create, and pause requests far less."""
    gc.collect()
    gc.freeze()
    yield


def create_app(runtime: Runtime | Settings | None = None) -> FastAPI:
    """The site of ``runtime``; given settings (or nothing: the environment's), it builds the
    runtime of those first. ``dailypapers serve`` with several processes calls it without
    arguments in each, as each process needs its own engine and connections."""
    if not isinstance(runtime, Runtime):
        runtime = Runtime.from_settings(runtime)
    app = FastAPI(
        title=runtime.settings.site_name,
        description="Daily arXiv papers, ranked by the community.",
        lifespan=_frozen_heap,
        docs_url=None,  # served by web/api_docs.py, without a CDN
        redoc_url=None,
    )
    app.state.web = WebParts.of(runtime)
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    install_api_docs(app)
    # The API, feeds and actions come before the pages: /papers/{id}.md, /papers/feed.rss and
    # /papers/{id}/upvote would otherwise read as paper ids.
    for module in (papers, feeds, accounts, community, search, for_you, pages, subscribe):
        app.include_router(module.router)
    install_page_errors(app)
    app.include_router(site)
    return app
