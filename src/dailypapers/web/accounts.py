"""Signing in and out, profiles, personal settings and API tokens, and the moderators' pages."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dailypapers.community import accounts, moderation
from dailypapers.community import queries as community
from dailypapers.community.models import Comment, User
from dailypapers.db.write import read_session, write_session
from dailypapers.mail.message import build_message
from dailypapers.mail.transport import TemporaryFailure
from dailypapers.papers import queries as papers
from dailypapers.papers.categories import UnknownCategory
from dailypapers.papers.text import plain_text
from dailypapers.runtime import Runtime
from dailypapers.web.dependencies import EngineDep, LimitsDep, MembersDep, RendererDep, RuntimeDep
from dailypapers.web.members import SESSION_COOKIE, local_path, set_session_cookie
from dailypapers.web.pages import PageNotFound
from dailypapers.web.rendering import Renderer
from dailypapers.web.security import CSRF_FIELD, KeptForm

LINK_SECONDS = int(accounts.SIGN_IN_LINK_LIFETIME.total_seconds())
CsrfToken = Annotated[str | None, Form(alias=CSRF_FIELD)]


router = APIRouter(include_in_schema=False)


def _sign_in_links(runtime: Runtime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime.secret, salt="sign-in")


@router.get("/signin", response_class=HTMLResponse)
def sign_in_form(
    request: Request, renderer: RendererDep, members: MembersDep, next: str = "/"
) -> HTMLResponse:
    return renderer.page(request, "signin.html", next=local_path(next), user=members.current(request))


@router.post("/signin", response_class=HTMLResponse)
def send_sign_in_link(
    request: Request,
    runtime: RuntimeDep,
    renderer: RendererDep,
    limits: LimitsDep,
    csrf_token: CsrfToken = None,
    email: Annotated[str, Form(max_length=320)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> HTMLResponse:
    renderer.csrf.check(request, csrf_token)
    try:
        address = accounts.normalize_email(email)
    except accounts.InvalidEmail as error:
        context: dict[str, Any] = {"error": str(error), "email": email, "next": local_path(next)}
        return renderer.page(request, "signin.html", 400, **context)
    kept = KeptForm("Email address", "email", email, {"next": local_path(next)}, multiline=False)
    limits.sign_in_mail(request, address, keep=kept)
    with write_session(runtime.engine) as session:
        link_id = accounts.create_sign_in_link(session, address)
    settings = runtime.settings
    token = _sign_in_links(runtime).dumps([link_id, local_path(next)])
    url = f"{settings.public_url.rstrip('/')}/signin/{token}"
    message = build_message(
        sender=settings.mail_from,
        to=address,
        subject=f"Sign in to {settings.site_name}",
        text=renderer.templates.get_template("mail/sign_in.txt").render(
            url=url, site_name=settings.site_name
        ),
    )
    try:
        runtime.mail.send(message)
    except TemporaryFailure:
        return renderer.page(request, "signin.html", 503, error="The mail server is busy. Try again soon.")
    return renderer.page(request, "signin_sent.html", email=address)


def _link(runtime: Runtime, token: str) -> tuple[str, str]:
    try:
        link_id, next_path = _sign_in_links(runtime).loads(token, max_age=LINK_SECONDS)
    except SignatureExpired:
        raise PageNotFound("This sign-in link has expired. Ask for a new one.") from None
    except BadSignature:
        raise PageNotFound("This sign-in link is not valid.") from None
    return str(link_id), local_path(str(next_path))


@router.get("/signin/{token}", response_class=HTMLResponse)
def confirm_sign_in(
    request: Request, runtime: RuntimeDep, renderer: RendererDep, members: MembersDep, token: str
) -> HTMLResponse:
    """A button, not an immediate sign-in: mail scanners that open links must not spend them."""
    link_id, _next_path = _link(runtime, token)
    try:
        with read_session(runtime.engine) as session:
            address = accounts.sign_in_link_address(session, link_id)
    except accounts.InvalidSignInLink as error:
        raise PageNotFound(str(error)) from None
    return renderer.page(
        request, "signin_confirm.html", token=token, email=address, user=members.current(request)
    )


@router.post("/signin/{token}", response_model=None)
def complete_sign_in(
    request: Request, runtime: RuntimeDep, renderer: RendererDep, token: str, csrf_token: CsrfToken = None
) -> Response:
    renderer.csrf.check(request, csrf_token)
    link_id, next_path = _link(runtime, token)
    try:
        with write_session(runtime.engine) as session:
            user = accounts.use_sign_in_link(session, link_id)
            if user.hidden:
                raise accounts.InvalidSignInLink("This account has been suspended.")
            secret_value = accounts.start_session(session, user)
    except accounts.InvalidSignInLink as error:
        raise PageNotFound(str(error)) from None
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, secret_value, secure=request.url.scheme == "https")
    return response


@router.post("/signout")
def sign_out(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    csrf_token: CsrfToken = None,
    everywhere: Annotated[str, Form()] = "",
) -> RedirectResponse:
    renderer.csrf.check(request, csrf_token)
    user = members.current(request)
    secret_value = request.cookies.get(SESSION_COOKIE)
    if user is not None and secret_value:
        members.forget(user)
        with write_session(engine) as session:
            if everywhere:
                accounts.end_all_sessions(session, user)
            else:
                accounts.end_session(session, secret_value)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/u/{username}", response_class=HTMLResponse)
def profile(
    request: Request, engine: EngineDep, renderer: RendererDep, members: MembersDep, username: str
) -> HTMLResponse:
    with read_session(engine) as session:
        member = accounts.user_by_username(session, username)
        if member is None or member.hidden:
            raise PageNotFound(f"There is no member {username}.")
        context: dict[str, Any] = {
            "member": member,
            "submitted": community.submitted_by(session, member),
            "upvoted": community.upvoted_by(session, member),
            "comments": community.comments_by(session, member),
        }
    return renderer.page(request, "profile.html", user=members.current(request), **context)


def settings_view(
    request: Request,
    engine: sa.Engine,
    renderer: Renderer,
    user: User,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    with read_session(engine) as session:
        tokens = accounts.api_tokens_of(session, user)
    return renderer.page(request, "settings.html", status, user=user, tokens=tokens, **context)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(
    request: Request, engine: EngineDep, renderer: RendererDep, members: MembersDep, saved: bool = False
) -> HTMLResponse:
    return settings_view(request, engine, renderer, members.required(request), saved=saved)


@router.post("/settings", response_class=HTMLResponse, response_model=None)
def save_settings(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    csrf_token: CsrfToken = None,
    display_name: Annotated[str, Form(max_length=100)] = "",
    categories: Annotated[str, Form(max_length=2000)] = "",
    authors: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Saves all or nothing: a category that is not arXiv's answers 400 with the form as typed."""
    renderer.csrf.check(request, csrf_token)
    user = members.required(request)
    try:
        with write_session(engine) as session:
            accounts.update_profile(
                session,
                session.merge(user),
                display_name=display_name,
                categories=[categories],
                authors=authors.splitlines(),
            )
    except UnknownCategory as error:
        typed = {"display_name": display_name, "categories": categories, "authors": authors}
        return settings_view(request, engine, renderer, user, 400, error=str(error), typed=typed)
    members.forget(user)
    return RedirectResponse("/settings?saved=1", status_code=303)


@router.post("/settings/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    csrf_token: CsrfToken = None,
    name: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    renderer.csrf.check(request, csrf_token)
    user = members.required(request)
    with write_session(engine) as session:
        created = accounts.create_api_token(session, user, name)
    return settings_view(request, engine, renderer, user, new_token=created)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    token_id: int,
    csrf_token: CsrfToken = None,
) -> RedirectResponse:
    renderer.csrf.check(request, csrf_token)
    user = members.required(request)
    with write_session(engine) as session:
        accounts.revoke_api_token(session, user, token_id)
    return RedirectResponse("/settings", status_code=303)


@router.get("/moderation", response_class=HTMLResponse)
def moderation_page(
    request: Request, engine: EngineDep, renderer: RendererDep, members: MembersDep
) -> HTMLResponse:
    user = members.moderator(request)
    with read_session(engine) as session:
        reports = moderation.open_reports(session)
        hidden = moderation.hidden_now(session)
        log = moderation.audit_log(session)
    return renderer.page(request, "moderation.html", user=user, reports=reports, hidden=hidden, log=log)


@router.post("/moderation/hide", response_model=None)
def hide(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    csrf_token: CsrfToken = None,
    kind: Annotated[str, Form(max_length=16)] = "",
    target: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    confirmed: Annotated[bool, Form()] = False,
) -> Response:
    """Asks first, on a page naming what is hidden (no JavaScript needed); hides when that
    page's button sends ``confirmed``."""
    renderer.csrf.check(request, csrf_token)
    moderator = members.moderator(request)
    if not confirmed:
        return confirm_hiding(request, engine, renderer, moderator, kind, target, reason)
    with write_session(engine) as session:
        moderator = session.merge(moderator)
        if kind == "paper" and papers.paper_by_id(session, target) is not None:
            moderation.hide_paper(session, moderator, target, reason)
        elif kind == "comment" and target.isdigit():
            if moderation.hide_comment(session, moderator, int(target), reason) is None:
                raise PageNotFound(f"There is no comment {target}.")
        elif kind == "user" and (member := accounts.user_by_username(session, target)) is not None:
            moderation.hide_user(session, moderator, member, reason)
            members.forget(member)
        else:
            raise PageNotFound(f"Nothing to hide: {kind} {target}")
    renderer.cache.clear()
    return RedirectResponse(_after_moderation(kind, target), status_code=303)


def confirm_hiding(
    request: Request,
    engine: sa.Engine,
    renderer: Renderer,
    moderator: User,
    kind: str,
    target: str,
    reason: str,
) -> HTMLResponse:
    with read_session(engine) as session:
        if kind == "paper" and (paper := papers.paper_by_id(session, target)) is not None:
            what, shown, cancel = f"the paper “{plain_text(paper.title)}”", "", f"/papers/{target}"
        elif kind == "comment" and target.isdigit() and (comment := session.get(Comment, int(target))):
            what, shown = f"this comment on {comment.paper_id}", comment.html
            cancel = f"/papers/{comment.paper_id}#comment-{comment.id}"
        elif kind == "user" and (member := accounts.user_by_username(session, target)) is not None:
            what, shown, cancel = (
                f"the member {member.display_name} (@{member.username})",
                "",
                f"/u/{target}",
            )
        else:
            raise PageNotFound(f"Nothing to hide: {kind} {target}")
    consequence = {
        "paper": "It leaves every list, search, feed and the API; moderators can still open it.",
        "comment": "It leaves the paper's page; replies to it stay.",
        "user": "They are signed out, cannot sign in, and their comments leave every page.",
    }[kind]
    return renderer.page(
        request,
        "confirm.html",
        user=moderator,
        heading=f"Hide {what}?",
        question=f"{consequence} You can show it again from the moderation page.",
        shown_html=shown,
        action="/moderation/hide",
        fields={"kind": kind, "target": target},
        reason=reason,
        button="Hide",
        cancel=cancel,
    )


@router.post("/moderation/unhide")
def unhide(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    csrf_token: CsrfToken = None,
    kind: Annotated[str, Form(max_length=16)] = "",
    target: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    """Undo a hiding: the paper, comment or member is back as before."""
    renderer.csrf.check(request, csrf_token)
    moderator = members.moderator(request)
    with write_session(engine) as session:
        moderator = session.merge(moderator)
        if kind == "paper" and papers.paper_by_id(session, target) is not None:
            moderation.unhide_paper(session, moderator, target)
        elif kind == "comment" and target.isdigit():
            if moderation.unhide_comment(session, moderator, int(target)) is None:
                raise PageNotFound(f"There is no comment {target}.")
        elif kind == "user" and (member := accounts.user_by_username(session, target)) is not None:
            moderation.unhide_user(session, moderator, member)
            members.forget(member)
        else:
            raise PageNotFound(f"Nothing to show again: {kind} {target}")
    renderer.cache.clear()
    return RedirectResponse(_after_moderation(kind, target), status_code=303)


@router.post("/moderation/reports/{report_id}/dismiss")
def dismiss_report(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    report_id: int,
    csrf_token: CsrfToken = None,
) -> RedirectResponse:
    """Close a report and leave the comment shown."""
    renderer.csrf.check(request, csrf_token)
    moderator = members.moderator(request)
    with write_session(engine) as session:
        if moderation.dismiss_report(session, session.merge(moderator), report_id) is None:
            raise PageNotFound(f"There is no report {report_id}.")
    return RedirectResponse("/moderation", status_code=303)


def _after_moderation(kind: str, target: str) -> str:
    """Where a moderator lands after hiding or showing again: a paper's own page (moderators still
    open hidden ones), else the moderation page, which lists what is hidden."""
    return f"/papers/{target}" if kind == "paper" else "/moderation"
