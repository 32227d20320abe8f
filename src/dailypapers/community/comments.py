"""Comments on papers: a safe Markdown subset, one level of replies, edits, deletion and reports.

Markdown is rendered once, when a comment is saved, then sanitized by an allow-list (nh3): raw HTML
is not rendered at all, and only plain formatting, lists, quotes, code and http(s) links survive.
Images are not shown: ``![alt](url)`` becomes a link to the image, named by its alt text.

A comment is visible while it is neither deleted by its author nor hidden by a moderator, and its
author is not hidden. A thread whose first comment is not visible any more keeps its visible
replies, under a placeholder that shows neither the text nor the author.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import nh3
import sqlalchemy as sa
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from sqlalchemy.orm import Session

from dailypapers.community.accounts import now
from dailypapers.community.models import PAPER_ACTIVITY, REPORTS, Comment, User
from dailypapers.db.upsert import add_to_counter, insert_if_new

MAX_COMMENT_LENGTH = 5000
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable(["html_inline", "html_block"])
_TAGS = {"p", "br", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "blockquote"}
#: What a thread shows in place of its first comment when that is gone but replies are not.
DELETED, HIDDEN = "[deleted]", "[hidden by a moderator]"


def _image_as_link(
    renderer: RendererHTML, tokens: list[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    """An image as a link to it, named by its alt text (else its address): pictures from anywhere
    would let any comment track its readers, and without this rule ``![alt](url)`` leaves a stray "!"."""
    image = tokens[index]
    source = str(image.attrGet("src") or "")
    name = renderer.renderInlineAsText(image.children or [], options, env) or source
    return f'<a href="{escapeHtml(source)}">{escapeHtml(name)}</a>'


_MARKDOWN.add_render_rule("image", _image_as_link)

#: An address pasted as it is, without the punctuation that ends its sentence.
_BARE_ADDRESS = re.compile(r"https?://[^\s<>]*[^\s<>.,;:!?'\")\]]")


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _link_bare_addresses(state: StateCore) -> None:
    """A pasted address becomes a link, as readers expect (not in code, nor inside a link);
    markdown-it's own ``linkify`` needs a package the site does without."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            in_link += {"link_open": 1, "link_close": -1}.get(token.type, 0)
            if token.type != "text" or in_link:
                children.append(token)
                continue
            position = 0
            for found in _BARE_ADDRESS.finditer(token.content):
                link = Token("link_open", "a", 1)
                link.attrs = {"href": found.group()}
                before = token.content[position : found.start()]
                children += [_text(before), link, _text(found.group()), Token("link_close", "a", -1)]
                position = found.end()
            children.append(_text(token.content[position:]) if position else token)
        block.children = children


_MARKDOWN.core.ruler.push("bare_addresses", _link_bare_addresses)


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


def is_visible(comment: Comment, author: User) -> bool:
    return not (comment.deleted or comment.hidden or author.hidden)


#: ``is_visible`` in SQL, for queries joining ``Comment`` and its author ``User``.
VISIBLE = sa.and_(Comment.deleted.is_(False), Comment.hidden.is_(False), User.hidden.is_(False))


def add_comment(
    session: Session, user: User, paper_id: str, body: str, *, reply_to: int | None = None
) -> Comment:
    """A new comment by ``user``, or a reply in the thread of ``reply_to``. A thread whose first
    comment its author deleted still takes replies; one that a moderator hid does not."""
    body = _checked_body(body)
    parent_id = None
    if reply_to is not None:
        parent = session.get(Comment, reply_to)
        first = session.get(Comment, parent.parent_id or parent.id) if parent is not None else None
        if (
            parent is None
            or first is None
            or parent.paper_id != paper_id
            or not _takes_replies(session, parent, first)
        ):
            raise CommentRefused("the comment you reply to is not there any more")
        parent_id = first.id  # one level: a reply to a reply joins the thread
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
    counters = {"paper_id": paper_id, "upvotes": 0, "comments": 1, "hidden": False}
    add_to_counter(session, PAPER_ACTIVITY, counters, key=["paper_id"], column="comments")
    session.flush()
    return comment


def _takes_replies(session: Session, parent: Comment, first: Comment) -> bool:
    """Whether a reply to ``parent``, in the thread that ``first`` opens, may be written."""
    first_author = session.get(User, first.user_id)
    if first.hidden or first_author is None or first_author.hidden:
        return False
    parent_author = session.get(User, parent.user_id)
    return parent is first or (parent_author is not None and is_visible(parent, parent_author))


def own_comment(session: Session, user: User, comment_id: int) -> Comment:
    """The member's comment ``comment_id``; refused when it is someone else's or deleted."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.deleted or comment.user_id != user.id:
        raise CommentRefused("you can only change your own comments")
    return comment


def edit_comment(session: Session, user: User, comment_id: int, body: str) -> Comment:
    comment = own_comment(session, user, comment_id)
    comment.body = _checked_body(body)
    comment.html = render_comment(comment.body)
    comment.edited_at = now()
    return comment


def delete_comment(session: Session, user: User, comment_id: int) -> Comment:
    """Delete the member's comment: its text is gone for good; replies of others stay (see ``threads_of``)."""
    comment = own_comment(session, user, comment_id)
    comment.deleted = True
    comment.body = comment.html = ""
    recount_comments(session, [comment.paper_id])
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


def recount_comments(session: Session, paper_ids: Iterable[str]) -> None:
    """Set the papers' comment counts to their visible comments, after comments or members were
    deleted, hidden or shown again: a count then always equals what the page shows."""
    paper_ids = sorted(set(paper_ids))
    if not paper_ids:
        return
    session.flush()
    visible = (
        sa.select(sa.func.count())
        .select_from(Comment)
        .join(User, User.id == Comment.user_id)
        .where(Comment.paper_id == PAPER_ACTIVITY.c.paper_id, VISIBLE)
        .scalar_subquery()
    )
    session.execute(
        sa.update(PAPER_ACTIVITY).where(PAPER_ACTIVITY.c.paper_id.in_(paper_ids)).values(comments=visible)
    )


@dataclass
class Thread:
    comment: Comment
    #: ``None`` when the first comment is not visible and the thread stands for its replies.
    author: User | None
    replies: list[tuple[Comment, User]] = field(default_factory=list)
    #: What the page shows instead of the first comment when it is not visible (``DELETED``, ``HIDDEN``).
    placeholder: str | None = None

    @property
    def takes_replies(self) -> bool:
        """Whether members may still reply: not in a thread that a moderator took down."""
        return self.placeholder != HIDDEN


def threads_of(session: Session, paper_id: str) -> list[Thread]:
    """The paper's visible comments, oldest thread first, each with its visible replies; a thread
    whose first comment is not visible is kept, under a placeholder, while it has visible replies."""
    rows = session.execute(
        sa.select(Comment, User)
        .join(User, User.id == Comment.user_id)
        .where(Comment.paper_id == paper_id)
        .order_by(Comment.id)
        .limit(1000)
    ).all()
    threads: dict[int, Thread] = {}
    for comment, author in rows:
        if comment.parent_id is None:
            if is_visible(comment, author):
                threads[comment.id] = Thread(comment, author)
            else:
                gone = DELETED if comment.deleted and not comment.hidden and not author.hidden else HIDDEN
                threads[comment.id] = Thread(comment, None, placeholder=gone)
        elif comment.parent_id in threads and is_visible(comment, author):
            threads[comment.parent_id].replies.append((comment, author))
    return [thread for thread in threads.values() if thread.author is not None or thread.replies]
