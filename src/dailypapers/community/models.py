"""The community: members, their sessions and API tokens, votes, comments, and moderation.

Counts shown on every list (upvotes, comments) live in ``PaperActivity`` and change in the same
transaction as the vote or comment they count, so they always equal what is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dailypapers.db.base import Base, JSONType


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    #: Stored lower-case: one account per address however it is typed.
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    is_moderator: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    #: Hidden by a moderator: their comments and submissions leave every page.
    hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    followed_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    followed_authors: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)


class SignInLink(Base):
    """An emailed sign-in link: usable once, until ``expires_at``."""

    __tablename__ = "sign_in_links"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)


class UserSession(Base):
    """A signed-in browser. Only a hash of the cookie's secret is stored."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)


class ApiToken(Base):
    """A personal token for scripts (``Authorization: Bearer``); only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)


class Vote(Base):
    """One upvote: one per member per paper, by the primary key."""

    __tablename__ = "votes"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[str] = mapped_column(
        sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: Trending reads the votes of the last days through this index.
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, index=True)


class Dismissal(Base):
    """A member saying "not interested" in a paper: it leaves their feed and teaches it what they skip."""

    __tablename__ = "dismissals"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)


class PaperActivity(Base):
    """What the community did with a paper: counts kept exact, and whether moderators hid it."""

    __tablename__ = "paper_activity"
    # The few hidden papers, which a list's count leaves out without reading every paper's activity.
    __table_args__ = (
        sa.Index(
            "ix_paper_activity_hidden",
            "paper_id",
            sqlite_where=sa.text("hidden = 1"),
            postgresql_where=sa.text("hidden"),
        ),
    )

    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    upvotes: Mapped[int] = mapped_column(sa.Integer, default=0)
    comments: Mapped[int] = mapped_column(sa.Integer, default=0)
    hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Comment(Base):
    """A comment on a paper, or a reply to one (one level: replies to replies attach to the top)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    #: As written (a Markdown subset); ``html`` is its sanitized rendering, made when it is saved.
    body: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    edited_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    deleted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Report(Base):
    """A member telling moderators about a comment; once per member per comment."""

    __tablename__ = "reports"
    __table_args__ = (sa.UniqueConstraint("comment_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)


class AuditEntry(Base):
    """One moderation action, kept for the audit log page."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[str] = mapped_column(sa.String(200))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, index=True)


VOTES = cast(sa.Table, Vote.__table__)
DISMISSALS = cast(sa.Table, Dismissal.__table__)
PAPER_ACTIVITY = cast(sa.Table, PaperActivity.__table__)
REPORTS = cast(sa.Table, Report.__table__)


class SubmissionFetch(Base):
    """A submitted paper the catalog did not hold, waiting for the worker to fetch it from arXiv.

    One row per arXiv id however many members asked, so they share one fetch. ``state`` goes
    ``queued`` -> ``fetching`` -> ``done`` (stored and listed) or ``failed`` (``reason`` says why);
    a ``fetching`` row whose worker died is claimed again once ``started_at`` is old.
    """

    __tablename__ = "submission_fetches"

    arxiv_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    requested_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)


class SubmissionRequest(Base):
    """A member asking for a ``SubmissionFetch``: each one is shown its state, and the first one is
    credited when the paper is listed (on the day they asked)."""

    __tablename__ = "submission_requests"

    arxiv_id: Mapped[str] = mapped_column(
        sa.ForeignKey("submission_fetches.arxiv_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    requested_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
