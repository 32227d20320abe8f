"""Comments on papers: a safe Markdown subset, one level of replies, edits, deletion and reports.

Markdown is rendered once, when a comment is saved, then sanitized by an allow-list (nh3): raw HTML
is not rendered at all, and only plain formatting, lists, quotes, code and http(s) links survive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nh3
import sqlalchemy as sa
from markdown_it import MarkdownIt
from sqlalchemy.orm import Session

from dailypapers.community.accounts import now
from dailypapers.community.models import PAPER_ACTIVITY, REPORTS, Comment, User
from dailypapers.db.upsert import add_to_counter, insert_if_new

MAX_COMMENT_LENGTH = 5000
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable(["image", "html_inline", "html_block"])
_TAGS = {"p", "br", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "blockquote"}


class CommentRefused(ValueError):
    """The comment cannot be saved; the message says why."""


def render_comment(body: str) -> str:
    return nh3.clean(
        _MARKDOWN.render(body),
        tags=_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )


def _checked_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise CommentRefused("a comment cannot be empty")
    if len(body) > MAX_COMMENT_LENGTH:
        raise CommentRefused(f"a comment holds at most {MAX_COMMENT_LENGTH} characters")
    return body


def add_comment(
    session: Session, user: User, paper_id: str, body: str, *, reply_to: int | None = None
) -> Comment:
    body = _checked_body(body)
    parent_id = None
    if reply_to is not None:
        parent = session.get(Comment, reply_to)
        if parent is None or parent.paper_id != paper_id or parent.deleted or parent.hidden:
            raise CommentRefused("the comment you reply to is not there any more")
        parent_id = parent.parent_id or parent.id  # one level: a reply to a reply joins the thread
    comment = Comment(
        paper_id=paper_id,
        user_id=user.id,
        parent_id=parent_id,
        body=body,
        html=render_comment(body),
        created_at=now(),
        deleted=False,
        hidden=False,
    )
    session.add(comment)
    _count_comments(session, paper_id, +1)
    session.flush()
    return comment


def _own_comment(session: Session, user: User, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None or comment.deleted or comment.user_id != user.id:
        raise CommentRefused("you can only change your own comments")
    return comment


def edit_comment(session: Session, user: User, comment_id: int, body: str) -> Comment:
    comment = _own_comment(session, user, comment_id)
    comment.body = _checked_body(body)
    comment.html = render_comment(comment.body)
    comment.edited_at = now()
    return comment


def delete_comment(session: Session, user: User, comment_id: int) -> Comment:
    comment = _own_comment(session, user, comment_id)
    comment.deleted = True
    if not comment.hidden:
        _count_comments(session, comment.paper_id, -1)
    return comment


def report_comment(session: Session, user: User, comment_id: int, reason: str) -> Comment:
    """Tell moderators about the comment; a second report by the same member changes nothing."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.deleted:
        raise CommentRefused("this comment is not there any more")
    report = {
        "comment_id": comment_id,
        "reporter_id": user.id,
        "reason": reason.strip()[:500],
        "created_at": now(),
    }
    insert_if_new(session, REPORTS, report, key=["comment_id", "reporter_id"])
    return comment


def _count_comments(session: Session, paper_id: str, delta: int) -> None:
    counters = {"paper_id": paper_id, "upvotes": 0, "comments": delta, "hidden": False}
    add_to_counter(session, PAPER_ACTIVITY, counters, key=["paper_id"], column="comments")


@dataclass
class Thread:
    comment: Comment
    author: User
    replies: list[tuple[Comment, User]] = field(default_factory=list)


def threads_of(session: Session, paper_id: str) -> list[Thread]:
    """The paper's visible comments, oldest thread first, each with its replies."""
    rows = session.execute(
        sa.select(Comment, User)
        .join(User, User.id == Comment.user_id)
        .where(
            Comment.paper_id == paper_id,
            Comment.deleted.is_(False),
            Comment.hidden.is_(False),
            User.hidden.is_(False),
        )
        .order_by(Comment.id)
        .limit(1000)
    ).all()
    threads: dict[int, Thread] = {}
    for comment, author in rows:
        if comment.parent_id is None:
            threads[comment.id] = Thread(comment, author)
        elif comment.parent_id in threads:
            threads[comment.parent_id].replies.append((comment, author))
    return list(threads.values())
