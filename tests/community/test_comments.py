"""Comments: sanitized Markdown, one level of replies, own edits and deletions, reports, moderation."""

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dailypapers.community import comments, moderation
from dailypapers.community.models import User
from dailypapers.community.queries import activity_of, ranked_entries
from dailypapers.db.write import read_session, write_session

PAPER = "2508.00001"
DAY = dt.date(2025, 8, 11)
LINK = 'href="https://e.org/i.png" rel="nofollow noopener noreferrer"'
REL = 'rel="nofollow noopener noreferrer"'


def comment(engine: sa.Engine, user: User, body: str, reply_to: int | None = None) -> int:
    with write_session(engine) as session:
        return comments.add_comment(session, user, PAPER, body, reply_to=reply_to).id


def thread_bodies(engine: sa.Engine) -> list[tuple[str, list[str]]]:
    with read_session(engine) as session:
        return [
            (thread.comment.body, [reply.body for reply, _ in thread.replies])
            for thread in comments.threads_of(session, PAPER)
        ]


def comment_count(engine: sa.Engine) -> int:
    with read_session(engine) as session:
        activity = activity_of(session, PAPER)
        return activity.comments if activity else 0


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("**bold** and `code`", "<p><strong>bold</strong> and <code>code</code></p>\n"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
        ('<img src=x onerror="alert(1)">', '<p>&lt;img src=x onerror="alert(1)"&gt;</p>\n'),
        ("![i](https://e.org/i.png)", f"<p>!<a {LINK}>i</a></p>\n"),  # no images: a link
        (
            "[paper](https://arxiv.org/abs/2306.09299)",
            f'<p><a href="https://arxiv.org/abs/2306.09299" {REL}>paper</a></p>\n',
        ),
    ],
)
def test_markdown_is_rendered_safely(body: str, html: str) -> None:
    assert comments.render_comment(body) == html


def test_replies_nest_one_level(catalog: sa.Engine, member: Callable[[str], User]) -> None:
    ada, alan = member("ada@example.org"), member("alan@example.org")
    first = comment(catalog, ada, "Nice paper")
    reply = comment(catalog, alan, "Agreed", reply_to=first)
    comment(catalog, ada, "Thanks", reply_to=reply)  # joins the thread, not a third level
    comment(catalog, alan, "Second thread")
    assert thread_bodies(catalog) == [("Nice paper", ["Agreed", "Thanks"]), ("Second thread", [])]
    assert comment_count(catalog) == 4
    with read_session(catalog) as session:
        assert ranked_entries(session, DAY, DAY)[0].comments == 4


def test_members_edit_and_delete_only_their_own(catalog: sa.Engine, member: Callable[[str], User]) -> None:
    ada, alan = member("ada@example.org"), member("alan@example.org")
    mine = comment(catalog, ada, "Typo hree")
    with write_session(catalog) as session:
        comments.edit_comment(session, ada, mine, "Typo here")
        with pytest.raises(comments.CommentRefused):
            comments.edit_comment(session, alan, mine, "vandalised")
    with write_session(catalog) as session, pytest.raises(comments.CommentRefused):
        comments.delete_comment(session, alan, mine)
    assert thread_bodies(catalog) == [("Typo here", [])]
    with write_session(catalog) as session:
        comments.delete_comment(session, ada, mine)
    assert thread_bodies(catalog) == [] and comment_count(catalog) == 0


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_empty_and_huge_comments_are_refused(
    catalog: sa.Engine, member: Callable[[str], User], body: str
) -> None:
    with pytest.raises(comments.CommentRefused):
        comment(catalog, member("ada@example.org"), body)
    assert comment_count(catalog) == 0


def test_reports_and_moderation_leave_an_audit_trail(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    ada, troll, mod = member("ada@example.org"), member("troll@example.org"), member("mod@example.org")
    comment(catalog, ada, "Useful")
    spam = comment(catalog, troll, "Buy now")
    with write_session(catalog) as session:
        comments.report_comment(session, ada, spam, "spam")
        comments.report_comment(session, ada, spam, "spam again")  # counted once per member
        with pytest.raises(moderation.NotAllowed):
            moderation.hide_comment(session, ada, spam)
    with write_session(catalog) as session:
        session.add(mod)
        mod.is_moderator = True
        assert [report.reason for report, _ in moderation.open_reports(session)] == ["spam"]
        moderation.hide_user(session, mod, session.merge(troll), "spammer")
        moderation.hide_paper(session, mod, "2508.00002", "off topic")
    assert thread_bodies(catalog) == [("Useful", [])] and comment_count(catalog) == 1
    with read_session(catalog) as session:
        assert [listed.paper.id for listed in ranked_entries(session, DAY, DAY)] == [
            "2508.00001",
            "2508.00003",
        ]
        log = [(entry.action, entry.target, user.username) for entry, user in moderation.audit_log(session)]
        assert moderation.open_reports(session) == []
    assert log == [("hide paper", "2508.00002", "mod"), ("hide user", "troll", "mod")]
