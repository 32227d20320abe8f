"""How the site answers what a route refused: a page a person can read, or JSON for the API and
scripts. Each handler finds the application's parts through the request (``web_parts``)."""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from dailypapers.api.errors import invalid_request_answer
from dailypapers.community.comments import CommentRefused
from dailypapers.community.models import User
from dailypapers.digest.service import InvalidLink
from dailypapers.web.dependencies import web_parts
from dailypapers.web.members import UNKNOWN, Forbidden, SignInRequired, local_path, sign_in_redirect
from dailypapers.web.pages import PageNotFound, PageRefused
from dailypapers.web.security import CsrfRejected, RateLimited

#: The subject pydantic starts its messages with, which the parameter's name replaces on a page.
_SUBJECT = re.compile(r"^(Input|String|Value) ")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


async def member_of(request: Request) -> User | None:
    """The member of a request that failed, for the header of its error page: a page that offers
    "Sign in" to a signed-in member tells them they were signed out."""
    members = web_parts(request).members
    remembered = members.remembered(request)
    if remembered is UNKNOWN:
        return await run_in_threadpool(members.current, request)
    return cast(User | None, remembered)


def error_page(
    request: Request, status: int, heading: str, message: str, user: User | None = None
) -> HTMLResponse:
    # The first letter in capitals whoever wrote the message: pages speak in sentences.
    message = message[:1].upper() + message[1:]
    renderer = web_parts(request).renderer
    return renderer.page(request, "error.html", status, heading=heading, message=message, user=user)


async def invalid_link(request: Request, error: InvalidLink) -> HTMLResponse:
    return web_parts(request).renderer.page(request, "digest_link.html", 400, error=str(error))


async def sign_in_required(request: Request, _error: SignInRequired) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": "sign in first (API: Authorization: Bearer TOKEN)"}, status_code=401)
    return sign_in_redirect(request)


async def forbidden(request: Request, error: Forbidden) -> Response:
    return error_page(request, 403, "Not allowed", str(error), user=await member_of(request))


async def comment_refused(request: Request, error: CommentRefused) -> Response:
    return error_page(request, 400, "Comment not saved", str(error), user=await member_of(request))


async def csrf_rejected(request: Request, error: CsrfRejected) -> HTMLResponse:
    return error_page(request, 403, "Form expired", str(error), user=await member_of(request))


async def rate_limited(request: Request, error: RateLimited) -> Response:
    response: Response
    if _wants_json(request):
        response = JSONResponse({"error": str(error)}, status_code=429)
    else:
        user = await member_of(request)
        referer = urlsplit(request.headers.get("referer", ""))
        back = local_path(referer.path) if referer.netloc == request.url.netloc else "/"
        context = {"message": str(error), "kept": error.kept, "back": back}
        response = web_parts(request).renderer.page(request, "rate_limited.html", 429, user=user, **context)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


async def page_not_found(request: Request, error: PageNotFound) -> HTMLResponse:
    return error_page(request, 404, "Not found", str(error), user=await member_of(request))


async def page_refused(request: Request, error: PageRefused) -> HTMLResponse:
    return error_page(request, 400, "Not understood", str(error))


async def invalid_request(request: Request, error: RequestValidationError) -> Response:
    """The API answers JSON (``api.errors``); a page answers a page that a person can read."""
    if _wants_json(request):
        return invalid_request_answer(error)
    # "window: Input should be 'day', 'week' or 'month'" reads "window should be 'day', ...".
    problems = [
        f"{problem['loc'][-1]} {_SUBJECT.sub('', problem['msg'], count=1)}" for problem in error.errors()
    ]
    message = "; ".join(problems) or "the address asks for something this page does not know"
    return error_page(request, 400, "Not understood", f"This page cannot be shown: {message}.")


async def http_error(request: Request, error: HTTPException) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)
    user = await member_of(request)
    if error.status_code == 404:
        return error_page(request, 404, "Not found", "This page does not exist.", user=user)
    return error_page(request, error.status_code, "Something went wrong", str(error.detail), user=user)


#: Each refusal and its answer, in the order ``create_app`` installs them.
HANDLERS: dict[type[Exception], Any] = {
    InvalidLink: invalid_link,
    SignInRequired: sign_in_required,
    Forbidden: forbidden,
    CommentRefused: comment_refused,
    CsrfRejected: csrf_rejected,
    RateLimited: rate_limited,
    PageNotFound: page_not_found,
    PageRefused: page_refused,
    RequestValidationError: invalid_request,
    HTTPException: http_error,
}


def install_page_errors(app: FastAPI) -> None:
    for exception, handler in HANDLERS.items():
        app.add_exception_handler(exception, handler)
