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
from dailypapers.digest.service import (
    DigestLinks,
    InvalidAddress,
    Subscription,
    confirm,
    dismiss_for_subscriber,
    normalize_email,
    subscribe,
    unsubscribe,
    update_preferences,
)
from dailypapers.mail.transport import TemporaryFailure
from dailypapers.papers.categories import UnknownCategory
from dailypapers.web.dependencies import (
    DigestDep,
    EngineDep,
    LimitsDep,
    RendererDep,
    WebParts,
    WebPartsDep,
)
from dailypapers.web.for_you import dismissed_paper
from dailypapers.web.rendering import Renderer
from dailypapers.web.security import CSRF_FIELD, KeptForm

MAIL_SERVER_BUSY = "The mail server is busy. Try again soon."
NO_SUBSCRIPTION = "This subscription no longer exists."


class SubscribeRequest(BaseModel):
    email: str = Field(max_length=320)
    frequency: str = Field("daily", max_length=16)
    categories: list[str] = Field(default_factory=list, max_length=20)


pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["digest"])


def start(
    request: Request,
    parts: WebParts,
    email: str,
    frequency: str,
    categories: list[str],
    keep: KeptForm | None = None,
) -> Subscription:
    """Store the subscription, then mail the address its confirmation link, or its preferences
    link if it is subscribed already (unless a mail went there this hour)."""
    runtime = parts.runtime
    parts.limits.subscription(request, normalize_email(email), keep=keep)
    with write_session(runtime.engine) as session:
        subscription = subscribe(session, email, frequency, categories)
    if subscription.mail == "confirm":
        runtime.mail.send(
            runtime.digest.confirmation(subscription.subscriber_id, subscription.email, frequency)
        )
    elif subscription.mail == "subscribed":
        runtime.mail.send(runtime.digest.already_subscribed(subscription.subscriber_id, subscription.email))
    return subscription


@pages.post("/digest/subscribe", response_class=HTMLResponse)
def digest_subscribe(
    request: Request,
    parts: WebPartsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    frequency: Annotated[str, Form(max_length=16)] = "daily",
    categories: Annotated[str, Form(max_length=400)] = "",
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> HTMLResponse:
    """Answers alike for every address, subscribed or not: the page tells no one who reads the digest."""
    renderer = parts.renderer
    renderer.csrf.check(request, csrf_token)
    kept = KeptForm("Email address", "email", email, {"frequency": frequency}, multiline=False)
    try:
        subscription = start(request, parts, email, frequency, [categories], keep=kept)
    except (InvalidAddress, UnknownCategory) as error:
        return renderer.page(request, "subscribed.html", status_code=400, error=str(error), email=email)
    except TemporaryFailure:
        return renderer.page(request, "subscribed.html", 503, error=MAIL_SERVER_BUSY, email=email)
    return renderer.page(request, "subscribed.html", email=subscription.email)


@api.post("/api/digest/subscribe", status_code=202, summary="Subscribe an address to the email digest")
def api_subscribe(request: Request, parts: WebPartsDep, body: SubscribeRequest) -> JSONResponse:
    """Double opt-in: a confirmation mail goes out, and nothing else until its link is followed.
    The answer is the same for an address that is subscribed already (its owner gets a mail)."""
    try:
        subscription = start(request, parts, body.email, body.frequency, body.categories)
    except (InvalidAddress, UnknownCategory) as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    except TemporaryFailure:
        return JSONResponse({"error": MAIL_SERVER_BUSY}, status_code=503)
    return JSONResponse({"email": subscription.email, "status": "check your inbox"}, status_code=202)


def link_page(request: Request, renderer: Renderer, status: int = 200, **context: Any) -> HTMLResponse:
    return renderer.page(request, "digest_link.html", status, **context)


@pages.get("/digest/confirm/{token}", response_class=HTMLResponse)
def confirm_form(request: Request, renderer: RendererDep, digest: DigestDep, token: str) -> HTMLResponse:
    digest.links.confirmed_id(token)
    return link_page(request, renderer, action="confirm", token=token)


@pages.post("/digest/confirm/{token}", response_class=HTMLResponse)
def confirm_subscription(
    request: Request, engine: EngineDep, renderer: RendererDep, digest: DigestDep, token: str
) -> HTMLResponse:
    subscriber_id = digest.links.confirmed_id(token)
    with write_session(engine) as session:
        subscriber = confirm(session, subscriber_id)
        done = subscriber is not None
        manage = digest.links.manage_token(subscriber_id)
    if not done:
        return link_page(request, renderer, 404, error=NO_SUBSCRIPTION)
    return link_page(request, renderer, action="confirmed", token=manage)


@pages.get("/digest/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(request: Request, renderer: RendererDep, digest: DigestDep, token: str) -> HTMLResponse:
    digest.links.managed_id(token)
    return link_page(request, renderer, action="unsubscribe", token=token)


@pages.post("/digest/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_now(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    digest: DigestDep,
    limits: LimitsDep,
    token: str,
) -> HTMLResponse:
    subscriber_id = digest.links.managed_id(token)
    limits.subscriber(subscriber_id)
    with write_session(engine) as session:
        unsubscribe(session, subscriber_id)
    return link_page(request, renderer, action="unsubscribed", token=token)


@pages.get("/digest/not-interested/{token}", response_class=HTMLResponse)
def not_interested_form(
    request: Request, engine: EngineDep, renderer: RendererDep, digest: DigestDep, token: str
) -> HTMLResponse:
    _, paper_id = digest.links.not_interested(token)
    with read_session(engine) as session:
        paper = dismissed_paper(session, paper_id)
    return link_page(request, renderer, action="not-interested", token=token, paper=paper)


@pages.post("/digest/not-interested/{token}", response_class=HTMLResponse)
def not_interested_now(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    digest: DigestDep,
    limits: LimitsDep,
    token: str,
) -> HTMLResponse:
    subscriber_id, paper_id = digest.links.not_interested(token)
    limits.subscriber(subscriber_id)
    try:
        with write_session(engine) as session:
            done = dismiss_for_subscriber(session, subscriber_id, paper_id)
    except NoSuchPaper as error:
        return link_page(request, renderer, 404, error=str(error))
    if not done:
        return link_page(request, renderer, 404, error="This address no longer belongs to a member.")
    return link_page(request, renderer, action="not-interested-done")


def subscriber_of(engine: sa.Engine, links: DigestLinks, token: str) -> Subscriber | None:
    with read_session(engine) as session:
        subscriber = session.get(Subscriber, links.managed_id(token))
        if subscriber is not None:
            session.expunge(subscriber)
    return subscriber


@pages.get("/digest/preferences/{token}", response_class=HTMLResponse)
def preferences_form(
    request: Request, engine: EngineDep, renderer: RendererDep, digest: DigestDep, token: str
) -> HTMLResponse:
    subscriber = subscriber_of(engine, digest.links, token)
    if subscriber is None:
        return link_page(request, renderer, 404, error=NO_SUBSCRIPTION)
    return renderer.page(request, "digest_preferences.html", subscriber=subscriber, token=token)


@pages.post("/digest/preferences/{token}", response_class=HTMLResponse)
def save_preferences(
    request: Request,
    parts: WebPartsDep,
    token: str,
    frequency: Annotated[str, Form(max_length=16)] = "daily",
    categories: Annotated[str, Form(max_length=400)] = "",
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> HTMLResponse:
    """Saves the preferences; for an address that unsubscribed (or whose mail bounced), subscribes
    it again with them, by a new confirmation mail. Bad input answers 400 with the form as typed."""
    engine, renderer = parts.runtime.engine, parts.renderer
    renderer.csrf.check(request, csrf_token)
    subscriber = subscriber_of(engine, parts.runtime.digest.links, token)
    if subscriber is None:
        return link_page(request, renderer, 404, error=NO_SUBSCRIPTION)
    try:
        if subscriber.unsubscribed_at is not None or subscriber.suppressed_at is not None:
            start(request, parts, subscriber.email, frequency, [categories])
            return link_page(request, renderer, action="resubscribed", email=subscriber.email)
        with write_session(engine) as session:
            saved = update_preferences(session, subscriber.id, frequency, [categories])
            if saved is not None:
                session.flush()
                session.expunge(saved)
    except (InvalidAddress, UnknownCategory) as error:
        typed = {"frequency": frequency, "categories": categories}
        return renderer.page(
            request,
            "digest_preferences.html",
            400,
            subscriber=subscriber,
            token=token,
            error=str(error),
            typed=typed,
        )
    except TemporaryFailure:
        return link_page(request, renderer, 503, error=MAIL_SERVER_BUSY)
    if saved is None:
        return link_page(request, renderer, 404, error=NO_SUBSCRIPTION)
    return renderer.page(request, "digest_preferences.html", subscriber=saved, token=token, saved=True)


# Pages stay out of the OpenAPI schema, the API goes in: a router left out of the schema would
# leave out the routers included into it as well.
router = APIRouter()
router.include_router(pages)
router.include_router(api)
