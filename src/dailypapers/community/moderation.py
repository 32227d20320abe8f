"""Moderators hiding papers, comments and members; every action lands in the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community.accounts import end_all_sessions, now
from dailypapers.community.models import PAPER_ACTIVITY, AuditEntry, Comment, Report, User
from dailypapers.community.votes import ensure_activity


class NotAllowed(PermissionError):
    pass


def _audit(session: Session, moderator: User, action: str, target: str, reason: str) -> None:
    if not moderator.is_moderator:
        raise NotAllowed("only moderators can do this")
    session.add(
        AuditEntry(
            moderator_id=moderator.id,
            action=action,
            target=target,
            reason=reason.strip()[:500],
            created_at=now(),
        )
    )


def hide_paper(session: Session, moderator: User, paper_id: str, reason: str = "") -> None:
    _audit(session, moderator, "hide paper", paper_id, reason)
    ensure_activity(session, paper_id)
    session.execute(
        sa.update(PAPER_ACTIVITY).where(PAPER_ACTIVITY.c.paper_id == paper_id).values(hidden=True)
    )


def hide_comment(session: Session, moderator: User, comment_id: int, reason: str = "") -> Comment | None:
    comment = session.get(Comment, comment_id)
    if comment is None:
        return None
    _audit(session, moderator, "hide comment", f"comment {comment_id} on {comment.paper_id}", reason)
    _hide_comments(session, [comment])
    return comment


def hide_user(session: Session, moderator: User, user: User, reason: str = "") -> None:
    """Hide a member: signed out, unable to act, and their comments gone from every page."""
    _audit(session, moderator, "hide user", user.username, reason)
    user.hidden = True
    end_all_sessions(session, user)
    _hide_comments(session, list(session.scalars(sa.select(Comment).where(Comment.user_id == user.id))))


def _hide_comments(session: Session, comments: list[Comment]) -> None:
    for comment in comments:
        if not comment.hidden and not comment.deleted:
            session.execute(
                sa.update(PAPER_ACTIVITY)
                .where(PAPER_ACTIVITY.c.paper_id == comment.paper_id)
                .values(comments=PAPER_ACTIVITY.c.comments - 1)
            )
        comment.hidden = True


def audit_log(session: Session, *, limit: int = 200) -> list[tuple[AuditEntry, User | None]]:
    rows = session.execute(
        sa.select(AuditEntry, User)
        .outerjoin(User, User.id == AuditEntry.moderator_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [(entry, user) for entry, user in rows]


def open_reports(session: Session, *, limit: int = 200) -> list[tuple[Report, Comment]]:
    """Reports on comments that are still shown, newest first."""
    rows = session.execute(
        sa.select(Report, Comment)
        .join(Comment, Comment.id == Report.comment_id)
        .where(Comment.hidden.is_(False), Comment.deleted.is_(False))
        .order_by(Report.id.desc())
        .limit(limit)
    )
    return [(report, comment) for report, comment in rows]
