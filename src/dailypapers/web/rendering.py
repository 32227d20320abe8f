"""Rendering pages: templates plus what every page with a form needs (its CSRF token and cookie)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.background import BackgroundTask

from dailypapers.community.models import User
from dailypapers.papers.text import plain_text
from dailypapers.search.keyword import MATCH_END, MATCH_START
from dailypapers.web.cache import TtlCache
from dailypapers.web.changes import ChangeSignal
from dailypapers.web.security import Csrf, set_csrf_cookie

#: Stands for the visitor's CSRF token in cached pages, which all visitors share.
_TOKEN_SLOT = "\x00csrf-token\x00"

#: What a cached page is made from: its status, template and context.
PageParts = tuple[int, str, dict[str, Any]]
WEB_DIR = Path(__file__).parent


def site_templates(site_name: str) -> Jinja2Templates:
    """The pages' templates, with the filters they use and the site's name."""
    templates = Jinja2Templates(directory=WEB_DIR / "templates")
    templates.env.filters["plain"] = plain_text
    templates.env.filters["highlighted"] = highlighted
    templates.env.globals["site_name"] = site_name
    return templates


def highlighted(snippet: str) -> Markup:
    """The snippet as HTML: its text escaped, the matched words in ``<mark>``."""
    text = str(escape(plain_text(snippet)))
    return Markup(text.replace(MATCH_START, "<mark>").replace(MATCH_END, "</mark>"))


class Renderer:
    def __init__(
        self,
        templates: Jinja2Templates,
        csrf: Csrf,
        cache_seconds: float = 0,
        changes: ChangeSignal | None = None,
    ) -> None:
        self.templates = templates
        self.csrf = csrf
        self.cache: TtlCache[tuple[int, str]] = TtlCache(cache_seconds, changes=changes)

    def cached_page(
        self,
        request: Request,
        key: Hashable,
        parts: Callable[[], PageParts],
        *,
        user: User | None = None,
        personal: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> HTMLResponse:
        """A page that is the same for every visitor but for its CSRF token, rendered once per ``key``.

        A signed-in member gets it fresh, with ``personal(context)`` added (their votes, their name):
        they must see what they just did.
        """
        if user is not None:
            status, template, context = parts()
            context.update(personal(context) if personal else {})
            return self.page(request, template, status, user=user, **context)

        return self._with_token(request, *self.cache.get_or_make(key, self._renderer(request, parts)))

    def _renderer(self, request: Request, parts: Callable[[], PageParts]) -> Callable[[], tuple[int, str]]:
        def render() -> tuple[int, str]:
            status, template, context = parts()
            context["csrf_token"] = _TOKEN_SLOT
            return status, self.templates.get_template(template).render(request=request, **context)

        return render

    def _with_token(self, request: Request, status: int, html: str) -> HTMLResponse:
        new_cookies: dict[str, str] = {}
        response = HTMLResponse(html.replace(_TOKEN_SLOT, self.csrf.token_for(request, new_cookies)), status)
        for value in new_cookies.values():
            set_csrf_cookie(response, value, secure=request.url.scheme == "https")
        return response

    def cached_copy(
        self, request: Request, key: Hashable, parts: Callable[[], PageParts]
    ) -> HTMLResponse | None:
        """The cached page for ``key`` if there is one, without waiting or rendering. A stale copy
        is answered at once and re-rendered after the answer is sent (by this request only)."""
        copy, refresh = self.cache.lookup(key)
        if copy is None:
            return None
        response = self._with_token(request, *copy)
        if refresh:
            response.background = BackgroundTask(self.cache.refresh, key, self._renderer(request, parts))
        return response

    def page(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        new_cookies: dict[str, str] = {}
        context["csrf_token"] = self.csrf.token_for(request, new_cookies)
        response = self.templates.TemplateResponse(request, template, context, status_code=status_code)
        if context.get("user") is not None:
            response.headers["Cache-Control"] = "private, no-store"
        for value in new_cookies.values():
            set_csrf_cookie(response, value, secure=request.url.scheme == "https")
        return response
