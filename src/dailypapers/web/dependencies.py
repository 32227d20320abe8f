"""What route handlers receive: the runtime's parts and the web process's own, as FastAPI dependencies.

Handlers are module-level functions that name what they need (``engine: EngineDep``,
``renderer: RendererDep``); ``create_app`` keeps the ``WebParts`` in ``app.state``, and the
functions here hand its parts out. A test may swap one through ``app.dependency_overrides``.

The functions are ``async`` although they never wait: FastAPI runs a plain ``def`` dependency in a
worker thread, and a thread hop per part would cost more than the page it helps to answer. Each
dependency still costs FastAPI about 15 µs a request (measured on 2 cores), so the busiest routes
(the lists, a paper's page, an upvote, ``/api/daily_papers``) take all the parts as one ``WebPartsDep``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

import sqlalchemy as sa
from fastapi import Depends, Request

from dailypapers.community.votes import VoteBatches
from dailypapers.digest.render import DigestRenderer
from dailypapers.mail.transport import MailTransport
from dailypapers.runtime import Runtime
from dailypapers.search.semantic import SemanticSearch
from dailypapers.settings import Settings
from dailypapers.web.cache import TtlCache
from dailypapers.web.changes import ChangeSignal
from dailypapers.web.members import Members
from dailypapers.web.rendering import Renderer, site_templates
from dailypapers.web.security import Csrf, Limits


@dataclass(frozen=True, eq=False)
class WebParts:
    """What a web application keeps beside its runtime: its pages' templates and cache, its members'
    sessions, its rate limits, its API answers and its batches of votes.

    One per application, not per process: a test builds several applications, with other settings,
    side by side. The page and session memories follow ``ChangeSignal``s, through Redis when
    ``DAILYPAPERS_REDIS_URL`` is set, so that what one web process changes the others forget.
    """

    runtime: Runtime
    renderer: Renderer
    members: Members
    limits: Limits
    #: The API's answers that every client gets alike, emptied with the pages.
    api_cache: TtlCache[bytes]
    vote_batches: VoteBatches

    @classmethod
    def of(cls, runtime: Runtime) -> WebParts:
        settings = runtime.settings
        templates = site_templates(settings.site_name)
        # What a moderator hides and who signs out, seen by every web process (through Redis when set).
        page_changes = ChangeSignal(settings, "pages")
        renderer = Renderer(templates, Csrf(runtime.secret), settings.page_cache_seconds, page_changes)
        return cls(
            runtime=runtime,
            renderer=renderer,
            members=Members(runtime.engine, ChangeSignal(settings, "sessions")),
            limits=Limits(settings),
            api_cache=TtlCache(
                settings.page_cache_seconds, cleared_with=renderer.cache, changes=page_changes
            ),
            vote_batches=VoteBatches(runtime.engine),
        )


def web_parts(request: Request) -> WebParts:
    """The parts of the application serving ``request``; for code outside a handler's signature
    (exception handlers)."""
    return cast(WebParts, request.app.state.web)


async def _web_parts(request: Request) -> WebParts:
    return web_parts(request)


async def _runtime(request: Request) -> Runtime:
    return web_parts(request).runtime


async def _settings(request: Request) -> Settings:
    return web_parts(request).runtime.settings


async def _engine(request: Request) -> sa.Engine:
    return web_parts(request).runtime.engine


async def _mail(request: Request) -> MailTransport:
    return web_parts(request).runtime.mail


async def _semantic(request: Request) -> SemanticSearch:
    return web_parts(request).runtime.semantic


async def _digest(request: Request) -> DigestRenderer:
    return web_parts(request).runtime.digest


async def _renderer(request: Request) -> Renderer:
    return web_parts(request).renderer


async def _members(request: Request) -> Members:
    return web_parts(request).members


async def _limits(request: Request) -> Limits:
    return web_parts(request).limits


async def _api_cache(request: Request) -> TtlCache[bytes]:
    return web_parts(request).api_cache


async def _vote_batches(request: Request) -> VoteBatches:
    return web_parts(request).vote_batches


#: All of them, for the busiest routes and those whose helpers need most of them: one dependency
#: instead of five.
WebPartsDep = Annotated[WebParts, Depends(_web_parts)]
RuntimeDep = Annotated[Runtime, Depends(_runtime)]
SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[sa.Engine, Depends(_engine)]
MailDep = Annotated[MailTransport, Depends(_mail)]
SemanticDep = Annotated[SemanticSearch, Depends(_semantic)]
DigestDep = Annotated[DigestRenderer, Depends(_digest)]
RendererDep = Annotated[Renderer, Depends(_renderer)]
MembersDep = Annotated[Members, Depends(_members)]
LimitsDep = Annotated[Limits, Depends(_limits)]
ApiCacheDep = Annotated[TtlCache[bytes], Depends(_api_cache)]
VoteBatchesDep = Annotated[VoteBatches, Depends(_vote_batches)]
