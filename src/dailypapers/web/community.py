"""What members do on the site: submit papers, upvote, comment, reply, edit, delete and report.

Every route here changes state: each checks the CSRF token, needs a signed-in member and counts
against the member's rate limits (never the address's: a lab behind one address is many members).
Forms work without JavaScript (a redirect back to the page); the upvote script asks for JSON instead
and updates the button in place.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from dailypapers.community import comments
from dailypapers.community.dismissals import dismiss, undo_dismissal
from dailypapers.community.models import User
from dailypapers.community.queries import (
    TrendingWindow,
    count_trending,
    is_shown,
    newest_listed,
    trending,
)
from dailypapers.community.submissions import SubmissionRefused, requested_by, submit_paper
from dailypapers.community.tasks import fetch_submitted_papers
from dailypapers.community.votes import NoSuchPaper, upvoted_among
from dailypapers.db.write import read_session, write_session
from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.queue import run_soon
from dailypapers.web.accounts import CsrfToken
from dailypapers.web.dependencies import (
    EngineDep,
    LimitsDep,
    MembersDep,
    RendererDep,
    RuntimeDep,
    WebParts,
    WebPartsDep,
)
from dailypapers.web.members import UNKNOWN, SignInRequired, local_path
from dailypapers.web.pages import PageNotFound, paper_page_parts
from dailypapers.web.paging import Pager
from dailypapers.web.rendering import Renderer
from dailypapers.web.security import KeptForm

#: Papers on one page of /trending.
TRENDING_PAGE_SIZE = 50


router = APIRouter(include_in_schema=False)


def visible_paper_id(engine: sa.Engine, text: str) -> str:
    try:
        paper_id = parse_arxiv_id(text).id
    except InvalidArxivId as error:
        raise PageNotFound(str(error)) from None
    with read_session(engine) as session:
        if not is_shown(session, paper_id):
            raise PageNotFound(f"There is no paper {paper_id} in this catalog.")
    return paper_id


@router.post("/papers/{arxiv_id:path}/upvote", response_model=None)
async def upvote(request: Request, parts: WebPartsDep, arxiv_id: str) -> Response:
    """Form fields ``csrf_token``, ``up`` (1 or 0) and ``next``; the busiest write of the site,
    so it runs on the event loop and only the transaction (and, rarely, the session lookup)
    goes to a worker thread."""
    form = await request.form(max_files=0, max_fields=10)
    csrf_token, up, next_path = (form.get(name) for name in ("csrf_token", "up", "next"))
    parts.renderer.csrf.check(request, csrf_token if isinstance(csrf_token, str) else None)
    user = parts.members.remembered(request)
    if user is UNKNOWN:
        user = await run_in_threadpool(parts.members.current, request)
    if not isinstance(user, User):
        raise SignInRequired()
    try:
        paper_id = parse_arxiv_id(arxiv_id).id
    except InvalidArxivId as error:
        raise PageNotFound(str(error)) from None
    parts.limits.member(parts.limits.votes, user)
    is_up = up != "0"

    try:
        count = await parts.vote_batches.vote(user, paper_id, up=is_up)
    except NoSuchPaper as error:
        raise PageNotFound(str(error)) from None
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"paper": paper_id, "upvotes": count, "upvoted": is_up})
    back = next_path if isinstance(next_path, str) else None
    return RedirectResponse(local_path(back, f"/papers/{paper_id}"), status_code=303)


@router.post("/papers/{arxiv_id:path}/not-interested", response_model=None)
def not_interested(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    limits: LimitsDep,
    arxiv_id: str,
    csrf_token: CsrfToken = None,
    undo: Annotated[bool, Form()] = False,
    next_path: Annotated[str, Form(alias="next", max_length=500)] = "/for-you",
) -> Response:
    """Take a paper out of the member's feed (or put it back, with ``undo``); the page it was
    dismissed from then offers to undo it."""
    renderer.csrf.check(request, csrf_token)
    user = members.required(request)
    paper_id = visible_paper_id(engine, arxiv_id)
    limits.member(limits.votes, user)
    with write_session(engine) as session:
        (undo_dismissal if undo else dismiss)(session, user, paper_id)
    back = local_path(next_path, "/for-you")
    if not undo:
        back += ("&" if "?" in back else "?") + f"dismissed={quote(paper_id)}"
    return RedirectResponse(back, status_code=303)


def submit_page(
    request: Request,
    engine: sa.Engine,
    renderer: Renderer,
    user: User,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    """The form, and the member's submissions being fetched from arXiv (or fetched) with their state."""
    with read_session(engine) as session:
        requested = requested_by(session, user)
    return renderer.page(request, "submit.html", status_code, user=user, requested=requested, **context)


@router.get("/submit", response_class=HTMLResponse)
def submit_form(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    fetching: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """``fetching``: the paper just submitted, which the page then says is being fetched."""
    return submit_page(request, engine, renderer, members.required(request), fetching=fetching)


@router.post("/submit", response_class=HTMLResponse, response_model=None)
def submit(
    request: Request,
    runtime: RuntimeDep,
    renderer: RendererDep,
    members: MembersDep,
    limits: LimitsDep,
    csrf_token: CsrfToken = None,
    paper: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Lists a paper the catalog holds at once; one it lacks is recorded for the worker to fetch
    from arXiv, and the member is sent back to the submit page, which shows how it stands."""
    renderer.csrf.check(request, csrf_token)
    user = members.required(request)
    limits.member(limits.submissions, user, keep=KeptForm("Paper", "paper", paper, multiline=False))
    try:
        submission = submit_paper(runtime.engine, runtime.settings, user, paper)
    except SubmissionRefused as error:
        return submit_page(request, runtime.engine, renderer, user, 400, error=str(error), paper=paper)
    if submission.outcome == "queued":
        run_soon(runtime.queue, fetch_submitted_papers)
        return RedirectResponse(f"/submit?fetching={quote(submission.paper_id)}", status_code=303)
    renderer.cache.clear()
    note = "submitted" if submission.outcome == "listed" else f"already-listed-{submission.day.isoformat()}"
    return RedirectResponse(f"/papers/{submission.paper_id}?note={quote(note)}", status_code=303)


def paper_with_error(
    request: Request,
    parts: WebParts,
    user: User,
    paper_id: str,
    form: str,
    error: str,
    draft: str,
) -> HTMLResponse:
    """The paper page again, answering 400, with ``error`` beside the comment form ``form``
    (``new``, ``reply-ID`` or ``edit-ID``) and what the member wrote still in it."""
    engine = parts.runtime.engine
    _status, template, context = paper_page_parts(
        engine, parts.runtime.semantic, paper_id, moderator=user.is_moderator
    )
    with read_session(engine) as session:
        voted = upvoted_among(session, user, [paper_id])
    if form not in _comment_forms(context["threads"], user):
        form = "new"  # the thread or comment is gone from the page: the error goes by the main form
    problem = {"form": form, "message": error[:1].upper() + error[1:] + ".", "draft": draft}
    return parts.renderer.page(
        request, template, 400, user=user, voted=voted, comment_error=problem, **context
    )


@router.post("/papers/{arxiv_id:path}/comments", response_model=None)
def add_comment(
    request: Request,
    parts: WebPartsDep,
    arxiv_id: str,
    csrf_token: CsrfToken = None,
    body: Annotated[str, Form(max_length=comments.MAX_COMMENT_LENGTH + 100)] = "",
    reply_to: Annotated[int | None, Form()] = None,
) -> Response:
    engine, limits = parts.runtime.engine, parts.limits
    parts.renderer.csrf.check(request, csrf_token)
    user = parts.members.required(request)
    paper_id = visible_paper_id(engine, arxiv_id)
    thread = {"reply_to": str(reply_to)} if reply_to is not None else {}
    label = "Your reply" if reply_to is not None else "Your comment"
    limits.member(limits.comments, user, keep=KeptForm(label, "body", body, thread))
    try:
        with write_session(engine) as session:
            comment = comments.add_comment(session, user, paper_id, body, reply_to=reply_to)
    except comments.CommentRefused as error:
        form = "new" if reply_to is None else f"reply-{reply_to}"
        return paper_with_error(request, parts, user, paper_id, form, str(error), body)
    return RedirectResponse(f"/papers/{paper_id}#comment-{comment.id}", status_code=303)


@router.post("/comments/{comment_id}/edit", response_model=None)
def edit_comment(
    request: Request,
    parts: WebPartsDep,
    comment_id: int,
    csrf_token: CsrfToken = None,
    body: Annotated[str, Form(max_length=comments.MAX_COMMENT_LENGTH + 100)] = "",
) -> Response:
    engine, limits = parts.runtime.engine, parts.limits
    parts.renderer.csrf.check(request, csrf_token)
    user = parts.members.required(request)
    limits.member(limits.comments, user, keep=KeptForm("Your comment", "body", body))
    with read_session(engine) as session:
        paper_id = comments.own_comment(session, user, comment_id).paper_id
    try:
        with write_session(engine) as session:
            comments.edit_comment(session, user, comment_id, body)
    except comments.CommentRefused as error:
        return paper_with_error(request, parts, user, paper_id, f"edit-{comment_id}", str(error), body)
    return RedirectResponse(f"/papers/{paper_id}#comment-{comment_id}", status_code=303)


@router.post("/comments/{comment_id}/delete", response_model=None)
def delete_comment(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    limits: LimitsDep,
    comment_id: int,
    csrf_token: CsrfToken = None,
    confirmed: Annotated[bool, Form()] = False,
) -> Response:
    """Asks first (a page with the comment and a button, no JavaScript needed); deletes when
    that page's button sends ``confirmed``."""
    renderer.csrf.check(request, csrf_token)
    user = members.required(request)
    if not confirmed:
        with read_session(engine) as session:
            comment = comments.own_comment(session, user, comment_id)
        return renderer.page(
            request,
            "confirm.html",
            user=user,
            heading="Delete your comment?",
            question="Its text goes for good. Replies of others stay, under “[deleted]”.",
            shown_html=comment.html,
            action=f"/comments/{comment_id}/delete",
            button="Delete comment",
            cancel=f"/papers/{comment.paper_id}#comment-{comment_id}",
        )
    limits.member(limits.comments, user)
    with write_session(engine) as session:
        paper_id = comments.delete_comment(session, user, comment_id).paper_id
    return RedirectResponse(f"/papers/{paper_id}?note=deleted#comments", status_code=303)


@router.post("/comments/{comment_id}/report", response_model=None)
def report_comment(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    limits: LimitsDep,
    comment_id: int,
    csrf_token: CsrfToken = None,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    renderer.csrf.check(request, csrf_token)
    user = members.required(request)
    limits.member(
        limits.comments, user, keep=KeptForm("What is wrong with it?", "reason", reason, multiline=False)
    )
    with write_session(engine) as session:
        paper_id = comments.report_comment(session, user, comment_id, reason).paper_id
    return RedirectResponse(f"/papers/{paper_id}?note=reported#comment-{comment_id}", status_code=303)


@router.get("/trending", response_class=HTMLResponse)
@router.get("/papers/trending", response_class=HTMLResponse, include_in_schema=False)  # the Hub's address
def trending_page(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    window: TrendingWindow = "week",
    page: int = 0,
) -> HTMLResponse:
    """The most upvoted papers of the window, in pages; before anyone voted in it, the newest
    day's list, and the page says so."""
    user = members.current(request)
    newest_day = None
    with read_session(engine) as session:
        pager = Pager(
            count_trending(session, window), page, TRENDING_PAGE_SIZE, "/trending", (("window", window),)
        )
        if not pager.exists:
            raise PageNotFound(f"Trending ends at page {pager.pages}; there is no page {page + 1}.")
        listed = trending(session, window, limit=pager.size, offset=pager.offset)
        if not pager.total:
            newest_day, listed = newest_listed(session, limit=TRENDING_PAGE_SIZE)
        voted = upvoted_among(session, user, [item.paper.id for item in listed])
    return renderer.page(
        request,
        "trending.html",
        user=user,
        listed=listed,
        window=window,
        voted=voted,
        pager=pager,
        newest_day=newest_day,
    )


def _comment_forms(threads: list[comments.Thread], user: User) -> set[str]:
    """The names of the comment forms that the paper page shows ``user`` (see ``comment_error.html``)."""
    forms = {"new"} | {f"reply-{thread.comment.id}" for thread in threads if thread.takes_replies}
    shown = [(thread.comment, thread.author) for thread in threads] + [
        reply for thread in threads for reply in thread.replies
    ]
    return forms | {
        f"edit-{comment.id}" for comment, author in shown if author is not None and author.id == user.id
    }
