"""The "for you" page: a member's personal feed, each pick with its reason; trending for others."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dailypapers.community import queries as community
from dailypapers.community.votes import upvoted_among
from dailypapers.db.write import read_session
from dailypapers.papers import queries
from dailypapers.papers.models import Paper
from dailypapers.recommend.feed import for_you
from dailypapers.web.dependencies import EngineDep, MembersDep, RendererDep

#: Papers shown to a reader the feed knows nothing about on a site where nothing was upvoted yet:
#: as many as the feed would pick.
FRESH_SITE_PAPERS = 30


def dismissed_paper(session: Session, paper_id: str | None) -> Paper | None:
    """The paper a member just marked "not interested", for the notice that offers to undo it."""
    if not paper_id or len(paper_id) > 64:
        return None
    return queries.paper_by_id(session, paper_id)


router = APIRouter(include_in_schema=False)


@router.get("/for-you", response_class=HTMLResponse)
def for_you_page(
    request: Request,
    engine: EngineDep,
    renderer: RendererDep,
    members: MembersDep,
    dismissed: str | None = None,
) -> HTMLResponse:
    user = members.current(request)
    with read_session(engine) as session:
        picks, personal = for_you(session, user)
        listed = community.listed_papers(session, [pick.paper_id for pick in picks])
        newest_day = None
        if not listed:  # a fresh site: nothing upvoted this week, nothing followed
            newest_day, listed = community.newest_listed(session, limit=FRESH_SITE_PAPERS)
        voted = upvoted_among(session, user, [item.paper.id for item in listed])
        just_dismissed = dismissed_paper(session, dismissed) if user else None
    reasons = {pick.paper_id: pick.reason for pick in picks}
    return renderer.page(
        request,
        "for_you.html",
        user=user,
        listed=listed,
        reasons=reasons,
        personal=personal,
        voted=voted,
        dismissable=personal,
        next_path="/for-you",
        just_dismissed=just_dismissed,
        newest_day=newest_day,
    )
