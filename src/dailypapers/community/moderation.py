"""Moderators hiding papers, comments and members, and undoing it; every action and every undo
lands in the audit log, as do the operator's grants and revocations of moderator rights.

Hiding takes nothing away for good: a hidden paper, comment or member comes back as it was when a
moderator shows it again. A hidden member's comments are left as they are and leave the pages
through their author (see ``comments.VISIBLE``), so showing the member again brings back exactly
those comments, and not the ones hidden one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.community.accounts import end_all_sessions, now
from dailypapers.community.comments import recount_comments
from dailypapers.community.models import PAPER_ACTIVITY, AuditEntry, Comment, Report, User
from dailypapers.community.votes import ensure_activity
from dailypapers.papers.models import Paper

#: The hidden papers, comments and members the moderation page lists, newest first.
HIDDEN_SHOWN = 200


class NotAllowed(PermissionError):
    pass


def _audit(session: Session, moderator: User | None, action: str, target: str, reason: str) -> None:
    """Record the action; ``moderator`` is None for the operator's commands (``dailypapers admin``)."""
    if moderator is not None and not moderator.is_moderator:
        raise NotAllowed("only moderators can do this")
    session.add(
        AuditEntry(
            moderator_id=moderator.id if moderator is not None else None,
            action=action,
            target=target[:200],
            reason=reason.strip()[:500],
            created_at=now(),
        )
    )


def _set_paper_hidden(session: Session, moderator: User, paper_id: str, hidden: bool, reason: str) -> None:
    _audit(session, moderator, "hide paper" if hidden else "unhide paper", paper_id, reason)
    ensure_activity(session, paper_id)
    session.execute(
        sa.update(PAPER_ACTIVITY).where(PAPER_ACTIVITY.c.paper_id == paper_id).values(hidden=hidden)
    )


def hide_paper(session: Session, moderator: User, paper_id: str, reason: str = "") -> None:
    _set_paper_hidden(session, moderator, paper_id, True, reason)


def unhide_paper(session: Session, moderator: User, paper_id: str, reason: str = "") -> None:
    _set_paper_hidden(session, moderator, paper_id, False, reason)


def _set_comment_hidden(
    session: Session, moderator: User, comment_id: int, hidden: bool, reason: str
) -> Comment | None:
    comment = session.get(Comment, comment_id)
    if comment is None:
        return None
    action = "hide comment" if hidden else "unhide comment"
    _audit(session, moderator, action, f"comment {comment_id} on {comment.paper_id}", reason)
    comment.hidden = hidden
    recount_comments(session, [comment.paper_id])
    return comment


def hide_comment(session: Session, moderator: User, comment_id: int, reason: str = "") -> Comment | None:
    """Hide the comment; ``None`` when there is no such comment."""
    return _set_comment_hidden(session, moderator, comment_id, True, reason)


def unhide_comment(session: Session, moderator: User, comment_id: int, reason: str = "") -> Comment | None:
    """Show the comment again (unless its author deleted it or is hidden); ``None`` when there is none."""
    return _set_comment_hidden(session, moderator, comment_id, False, reason)


def hide_user(session: Session, moderator: User, user: User, reason: str = "") -> None:
    """Hide a member: signed out, unable to act, and their comments gone from every page."""
    _audit(session, moderator, "hide user", user.username, reason)
    user.hidden = True
    end_all_sessions(session, user)
    recount_comments(session, _papers_commented_by(session, user))


def unhide_user(session: Session, moderator: User, user: User, reason: str = "") -> None:
    """Let a hidden member sign in again, and show their comments again."""
    _audit(session, moderator, "unhide user", user.username, reason)
    user.hidden = False
    recount_comments(session, _papers_commented_by(session, user))


def _papers_commented_by(session: Session, user: User) -> list[str]:
    return list(session.scalars(sa.select(Comment.paper_id).where(Comment.user_id == user.id).distinct()))


def dismiss_report(session: Session, moderator: User, report_id: int) -> Report | None:
    """Close a report without hiding the comment (the audit log keeps what it said); ``None`` when
    there is no such report. The comment stays; a new report of it opens again."""
    report = session.get(Report, report_id)
    if report is None:
        return None
    reporter = session.get(User, report.reporter_id)
    target = f"report by {reporter.username if reporter else '?'} on comment {report.comment_id}"
    _audit(session, moderator, "dismiss report", target, report.reason)
    session.delete(report)
    return report


def record_operator_action(session: Session, action: str, target: str) -> None:
    """Put an action of the site's operator (``dailypapers admin grant``, ``revoke``) in the audit log."""
    _audit(session, None, action, target, "")


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
        .join(User, User.id == Comment.user_id)
        .where(Comment.hidden.is_(False), Comment.deleted.is_(False), User.hidden.is_(False))
        .order_by(Report.id.desc())
        .limit(limit)
    )
    return [(report, comment) for report, comment in rows]


@dataclass(frozen=True)
class Hidden:
    """What moderators hid and may show again, for the moderation page."""

    papers: list[Paper]
    comments: list[tuple[Comment, User]]
    members: list[User]


def hidden_now(session: Session, *, limit: int = HIDDEN_SHOWN) -> Hidden:
    papers = session.scalars(
        sa.select(Paper)
        .join(PAPER_ACTIVITY, PAPER_ACTIVITY.c.paper_id == Paper.id)
        .where(PAPER_ACTIVITY.c.hidden.is_(True))
        .order_by(Paper.id.desc())
        .limit(limit)
    )
    comments = session.execute(
        sa.select(Comment, User)
        .join(User, User.id == Comment.user_id)
        .where(Comment.hidden.is_(True), Comment.deleted.is_(False))
        .order_by(Comment.id.desc())
        .limit(limit)
    )
    members = session.scalars(
        sa.select(User).where(User.hidden.is_(True)).order_by(User.id.desc()).limit(limit)
    )
    return Hidden(list(papers), [(comment, user) for comment, user in comments], list(members))
