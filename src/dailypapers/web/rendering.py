"""Rendering pages: templates plus what every page with a form needs (its CSRF token and cookie)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from dailypapers.web.security import Csrf, set_csrf_cookie


class Renderer:
    def __init__(self, templates: Jinja2Templates, csrf: Csrf) -> None:
        self.templates = templates
        self.csrf = csrf

    def page(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        new_cookies: dict[str, str] = {}
        context["csrf_token"] = self.csrf.token_for(request, new_cookies)
        response = self.templates.TemplateResponse(request, template, context, status_code=status_code)
        for value in new_cookies.values():
            set_csrf_cookie(response, value, secure=request.url.scheme == "https")
        return response
