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
        # No images (they would track readers): a link named by the alt text, and no stray "!".
        ("![i](https://e.org/i.png)", f"<p><a {LINK}>i</a></p>\n"),
        ("See ![](https://e.org/i.png)", f"<p>See <a {LINK}>https://e.org/i.png</a></p>\n"),
        ("![<b>x</b>](https://e.org/i.png)", f"<p><a {LINK}>&lt;b&gt;x&lt;/b&gt;</a></p>\n"),
        (
            "[paper](https://arxiv.org/abs/2306.09299)",
            f'<p><a href="https://arxiv.org/abs/2306.09299" {REL}>paper</a></p>\n',
        ),
        # A pasted address is a link, without its sentence's full stop; not in code.
        (
            "Slides: https://e.org/s?id=1. Code: `https://e.org/x`",
            f'<p>Slides: <a href="https://e.org/s?id=1" {REL}>https://e.org/s?id=1</a>. '
            "Code: <code>https://e.org/x</code></p>\n",
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


def moderator(engine: sa.Engine, member: Callable[[str], User]) -> User:
    mod = member("mod@example.org")
    with write_session(engine) as session:
        session.merge(mod).is_moderator = True
    mod.is_moderator = True
    return mod


def test_a_deleted_comment_keeps_its_replies_under_a_placeholder(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    ada, alan = member("ada@example.org"), member("alan@example.org")
    first = comment(catalog, ada, "Hasty take")
    comment(catalog, alan, "Worth keeping", reply_to=first)
    alone = comment(catalog, ada, "Nobody answered")
    with write_session(catalog) as session:
        comments.delete_comment(session, ada, first)
        comments.delete_comment(session, ada, alone)
    with read_session(catalog) as session:
        (thread,) = comments.threads_of(session, PAPER)
        assert (thread.placeholder, thread.author, thread.comment.body) == ("[deleted]", None, "")
        assert [reply.body for reply, _ in thread.replies] == ["Worth keeping"]
    assert comment_count(catalog) == 1  # what the page shows
    comment(catalog, alan, "And more", reply_to=first)  # the thread goes on
    assert comment_count(catalog) == 2
    with write_session(catalog) as session, pytest.raises(comments.CommentRefused):
        comments.edit_comment(session, ada, first, "Back from the dead")


def test_counts_follow_hiding_and_showing_again(catalog: sa.Engine, member: Callable[[str], User]) -> None:
    ada, troll, mod = member("ada@example.org"), member("troll@example.org"), moderator(catalog, member)
    first = comment(catalog, troll, "Bait")
    comment(catalog, ada, "Calm answer", reply_to=first)
    own_spam = comment(catalog, troll, "Spam")
    with write_session(catalog) as session:
        moderation.hide_comment(session, mod, own_spam)
        moderation.hide_user(session, mod, session.merge(troll))
    with read_session(catalog) as session:
        (thread,) = comments.threads_of(session, PAPER)
        assert thread.placeholder == "[hidden by a moderator]" and not thread.takes_replies
        assert [reply.body for reply, _ in thread.replies] == ["Calm answer"]
    assert comment_count(catalog) == 1
    with write_session(catalog) as session, pytest.raises(comments.CommentRefused):
        comments.add_comment(session, ada, PAPER, "More", reply_to=first)

    with write_session(catalog) as session:
        moderation.unhide_user(session, mod, session.merge(troll))
    # The member's comments come back, except the one hidden on its own.
    assert thread_bodies(catalog) == [("Bait", ["Calm answer"])] and comment_count(catalog) == 2
    with write_session(catalog) as session:
        moderation.unhide_comment(session, mod, own_spam)
    assert comment_count(catalog) == 3
    with read_session(catalog) as session:
        actions = [entry.action for entry, _ in moderation.audit_log(session)]
    assert actions == ["unhide comment", "unhide user", "hide user", "hide comment"]


def test_dismissing_a_report_closes_it_and_keeps_the_comment(
    catalog: sa.Engine, member: Callable[[str], User]
) -> None:
    ada, alan, mod = member("ada@example.org"), member("alan@example.org"), moderator(catalog, member)
    claim = comment(catalog, ada, "A bold claim")
    with write_session(catalog) as session:
        comments.report_comment(session, alan, claim, "I disagree")
    with write_session(catalog) as session:
        ((report, _),) = moderation.open_reports(session)
        with pytest.raises(moderation.NotAllowed):
            moderation.dismiss_report(session, ada, report.id)
    with write_session(catalog) as session:
        moderation.dismiss_report(session, mod, report.id)
    with read_session(catalog) as session:
        assert moderation.open_reports(session) == []
        ((entry, _),) = moderation.audit_log(session)
    assert (entry.action, entry.target, entry.reason) == (
        "dismiss report",
        f"report by alan on comment {claim}",
        "I disagree",
    )
    assert thread_bodies(catalog) == [("A bold claim", [])]
