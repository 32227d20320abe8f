"""The "Get trending papers in your email inbox!" box: stores the address, says what happens next."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from dailypapers.db.write import write_session
from dailypapers.digest.service import InvalidAddress, subscribe
from dailypapers.web.rendering import Renderer
from dailypapers.web.security import CSRF_FIELD, RateLimiter


def subscribe_router(engine: sa.Engine, renderer: Renderer, limiter: RateLimiter) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.post("/digest/subscribe", response_class=HTMLResponse)
    def digest_subscribe(
        request: Request,
        email: Annotated[str, Form(max_length=320)] = "",
        frequency: Annotated[str, Form(max_length=16)] = "daily",
        csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
    ) -> HTMLResponse:
        renderer.csrf.check(request, csrf_token)
        limiter.hit(f"subscribe:{request.client.host if request.client else '?'}")
        try:
            with write_session(engine) as session:
                subscription = subscribe(session, email, frequency)
        except InvalidAddress as error:
            return renderer.page(request, "subscribed.html", status_code=400, error=str(error), email=email)
        return renderer.page(request, "subscribed.html", subscription=subscription)

    return router
