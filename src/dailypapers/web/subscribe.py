"""The digest in the browser: the subscribe box, confirming, preferences, unsubscribing, and
"not interested" under a personal pick.

Links from mails carry a signed token and need no sign-in. Their GET shows a button and only the
POST acts, so a mail scanner that follows links changes nothing; the unsubscribe POST also
answers RFC 8058 one-click requests, which mail providers send without cookies or CSRF tokens.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from dailypapers.community.votes import NoSuchPaper
from dailypapers.db.write import read_session, write_session
from dailypapers.digest.models import Subscriber
from dailypapers.digest.render import DigestRenderer
from dailypapers.digest.service import (
    DigestLinks,
    InvalidAddress,
    Subscription,
    confirm,
    dismiss_for_subscriber,
    subscribe,
    unsubscribe,
    update_preferences,
)
from dailypapers.mail.transport import MailTransport, TemporaryFailure
from dailypapers.web.for_you import dismissed_paper
from dailypapers.web.rendering import Renderer
from dailypapers.web.security import CSRF_FIELD, RateLimiter, client_address


class SubscribeRequest(BaseModel):
    email: str = Field(max_length=320)
    frequency: str = Field("daily", max_length=16)
    categories: list[str] = Field(default_factory=list, max_length=20)


def subscribe_router(
    engine: sa.Engine,
    renderer: Renderer,
    limiter: RateLimiter,
    mail: MailTransport,
    digest: DigestRenderer,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    api = APIRouter(tags=["digest"])
    links: DigestLinks = digest.links

    def start(request: Request, email: str, frequency: str, categories: list[str]) -> Subscription:
        """Store the subscription, then mail the confirmation link (unless one went out this hour)."""
        limiter.hit(f"subscribe:{client_address(request)}")
        with write_session(engine) as session:
            subscription = subscribe(session, email, frequency, categories)
        if subscription.confirm:
            mail.send(digest.confirmation(subscription.subscriber_id, subscription.email, frequency))
        return subscription

    @router.post("/digest/subscribe", response_class=HTMLResponse)
    def digest_subscribe(
        request: Request,
        email: Annotated[str, Form(max_length=320)] = "",
        frequency: Annotated[str, Form(max_length=16)] = "daily",
        categories: Annotated[str, Form(max_length=400)] = "",
        csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
    ) -> HTMLResponse:
        renderer.csrf.check(request, csrf_token)
        try:
            subscription = start(request, email, frequency, categories.replace(",", " ").split())
        except InvalidAddress as error:
            return renderer.page(request, "subscribed.html", status_code=400, error=str(error), email=email)
        except TemporaryFailure:
            return renderer.page(
                request, "subscribed.html", 503, error="the mail server is busy; try again soon"
            )
        return renderer.page(request, "subscribed.html", subscription=subscription)

    @api.post("/api/digest/subscribe", status_code=202, summary="Subscribe an address to the email digest")
    def api_subscribe(request: Request, body: SubscribeRequest) -> JSONResponse:
        """Double opt-in: a confirmation mail goes out, and nothing else until its link is followed."""
        try:
            subscription = start(request, body.email, body.frequency, body.categories)
        except InvalidAddress as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        except TemporaryFailure:
            return JSONResponse({"error": "the mail server is busy; try again soon"}, status_code=503)
        state = "confirmed" if subscription.confirmed else "awaiting confirmation"
        return JSONResponse({"email": subscription.email, "status": state}, status_code=202)

    def link_page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        return renderer.page(request, "digest_link.html", status, **context)

    @router.get("/digest/confirm/{token}", response_class=HTMLResponse)
    def confirm_form(request: Request, token: str) -> HTMLResponse:
        links.confirmed_id(token)
        return link_page(request, action="confirm", token=token)

    @router.post("/digest/confirm/{token}", response_class=HTMLResponse)
    def confirm_subscription(request: Request, token: str) -> HTMLResponse:
        subscriber_id = links.confirmed_id(token)
        with write_session(engine) as session:
            subscriber = confirm(session, subscriber_id)
            done = subscriber is not None
            manage = links.manage_token(subscriber_id)
        if not done:
            return link_page(request, 404, error="this subscription no longer exists")
        return link_page(request, action="confirmed", token=manage)

    @router.get("/digest/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_form(request: Request, token: str) -> HTMLResponse:
        links.managed_id(token)
        return link_page(request, action="unsubscribe", token=token)

    @router.post("/digest/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_now(request: Request, token: str) -> HTMLResponse:
        subscriber_id = links.managed_id(token)
        limiter.hit(f"unsubscribe:{client_address(request)}")
        with write_session(engine) as session:
            unsubscribe(session, subscriber_id)
        return link_page(request, action="unsubscribed", token=token)

    @router.get("/digest/not-interested/{token}", response_class=HTMLResponse)
    def not_interested_form(request: Request, token: str) -> HTMLResponse:
        _, paper_id = links.not_interested(token)
        with read_session(engine) as session:
            paper = dismissed_paper(session, paper_id)
        return link_page(request, action="not-interested", token=token, paper=paper)

    @router.post("/digest/not-interested/{token}", response_class=HTMLResponse)
    def not_interested_now(request: Request, token: str) -> HTMLResponse:
        subscriber_id, paper_id = links.not_interested(token)
        limiter.hit(f"not-interested:{client_address(request)}")
        try:
            with write_session(engine) as session:
                done = dismiss_for_subscriber(session, subscriber_id, paper_id)
        except NoSuchPaper as error:
            return link_page(request, 404, error=str(error))
        if not done:
            return link_page(request, 404, error="this address no longer belongs to a member")
        return link_page(request, action="not-interested-done")

    @router.get("/digest/preferences/{token}", response_class=HTMLResponse)
    def preferences_form(request: Request, token: str) -> HTMLResponse:
        subscriber_id = links.managed_id(token)
        with read_session(engine) as session:
            subscriber = session.get(Subscriber, subscriber_id)
            if subscriber is None:
                return link_page(request, 404, error="this subscription no longer exists")
            session.expunge(subscriber)
        return renderer.page(request, "digest_preferences.html", subscriber=subscriber, token=token)

    @router.post("/digest/preferences/{token}", response_class=HTMLResponse)
    def save_preferences(
        request: Request,
        token: str,
        frequency: Annotated[str, Form(max_length=16)] = "daily",
        categories: Annotated[str, Form(max_length=400)] = "",
        csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
    ) -> HTMLResponse:
        renderer.csrf.check(request, csrf_token)
        subscriber_id = links.managed_id(token)
        try:
            with write_session(engine) as session:
                subscriber = update_preferences(
                    session, subscriber_id, frequency, categories.replace(",", " ").split()
                )
                if subscriber is not None:
                    session.flush()
                    session.expunge(subscriber)
        except InvalidAddress as error:
            return link_page(request, 400, error=str(error))
        if subscriber is None:
            return link_page(request, 404, error="this subscription no longer exists")
        return renderer.page(
            request, "digest_preferences.html", subscriber=subscriber, token=token, saved=True
        )

    # Pages stay out of the OpenAPI schema, the API goes in: a router left out of the schema would
    # leave out the routers included into it as well.
    both = APIRouter()
    both.include_router(router)
    both.include_router(api)
    return both
