"""Members on the site, through the ASGI app: signing in by email, voting, commenting, submitting,
moderating, and every state-changing request refused without its CSRF token or beyond its limits."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from dailypapers.community.accounts import grant_moderator
from dailypapers.community.tasks import fetch_submissions
from dailypapers.db.engine import create_db_engine
from dailypapers.db.write import write_session
from dailypapers.mail.transport import MaildirTransport
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.queue import build_queue
from dailypapers.runtime import Runtime
from dailypapers.search.service import update_search_index
from dailypapers.settings import Settings
from dailypapers.web import members
from dailypapers.web.app import create_app
from factories import form_token, listed_paper
from fake_arxiv import FakeArxiv

DAY = dt.date(2025, 8, 11)


@pytest.fixture
def site_settings(arxiv_settings: Settings) -> Settings:
    settings = arxiv_settings.model_copy(
        update={"public_url": "http://testserver", "comment_rate_limit": 3, "page_cache_seconds": 0}
    )
    engine = create_db_engine(settings)
    create_app(settings)  # migrates
    papers = [listed_paper(f"2508.0000{n}", DAY) for n in (1, 2, 3)]
    papers.append(listed_paper("2508.00009", DAY, title="<script>alert('title')</script> Attention"))
    with write_session(engine) as session:
        store_papers(session, papers, rules=ListingRules())
    update_search_index(engine)
    return settings


@pytest.fixture
def app(site_settings: Settings) -> object:
    return create_app(site_settings)


@pytest.fixture
def browser(app: object) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:  # type: ignore[arg-type]
        yield client


def new_browser(app: object) -> TestClient:
    return TestClient(app, follow_redirects=False)  # type: ignore[arg-type]


def sign_in_links(settings: Settings, email: str) -> set[str]:
    """The links of every sign-in mail to ``email``, read from the maildir like a mail client."""
    links = set()
    for mail in MaildirTransport(settings.data_dir / "maildir").messages():
        if mail["To"] == email:
            body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            links.update(re.findall(r"http://testserver(/signin/\S+)", body))
    return links


def sign_in(client: TestClient, settings: Settings, email: str) -> str:
    """Sign in as ``email`` the way a person does; returns the link the mail brought."""
    before = sign_in_links(settings, email)
    sent = client.post("/signin", data={"email": email, "csrf_token": form_token(client, "/signin")})
    assert sent.status_code == 200 and "Check your inbox" in sent.text
    (link,) = sign_in_links(settings, email) - before
    confirmed = client.post(link, data={"csrf_token": form_token(client, link)})
    assert confirmed.status_code == 303, confirmed.text
    return link


def upvote(client: TestClient, paper: str, up: str = "1", json: bool = True) -> object:
    headers = {"Accept": "application/json"} if json else {}
    token = form_token(client, f"/papers/{paper}")
    return client.post(f"/papers/{paper}/upvote", data={"csrf_token": token, "up": up}, headers=headers)


def test_signing_in_by_email_link_then_voting_in_place(browser: TestClient, site_settings: Settings) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    assert "ada" in browser.get("/").text and "Sign out" in browser.get("/").text
    answer = upvote(browser, "2508.00002")
    assert answer.json() == {"paper": "2508.00002", "upvotes": 1, "upvoted": True}  # type: ignore[attr-defined]
    assert upvote(browser, "2508.00002").json()["upvotes"] == 1  # type: ignore[attr-defined]
    page = browser.get("/papers/date/2025-08-11").text
    assert page.index("2508.00002") < page.index("2508.00001")  # ranked by upvotes
    assert 'aria-pressed="true"' in page
    assert browser.get("/papers/date/2025-08-11").headers["cache-control"] == "private, no-store"


def test_voting_without_javascript_redirects_back(browser: TestClient, site_settings: Settings) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    answer = upvote(browser, "2508.00001", json=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/papers/2508.00001"  # type: ignore[attr-defined]
    assert upvote(browser, "2508.00001", up="0").json()["upvotes"] == 0  # type: ignore[attr-defined]


def test_a_sign_in_link_works_once_and_forgeries_never(
    app: object, browser: TestClient, site_settings: Settings
) -> None:
    link = sign_in(browser, site_settings, "ada@example.org")
    other = new_browser(app)
    reused = other.post(link, data={"csrf_token": form_token(other, "/signin")})
    assert reused.status_code == 404 and "already used" in reused.text
    assert other.get(link).status_code == 404  # a spent link shows no sign-in button
    assert other.get("/signin/forged-token").status_code == 404
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert other.get(tampered).status_code == 404
    assert "Sign in</a>" in other.get("/").text  # still signed out


def test_sign_out_everywhere(app: object, site_settings: Settings) -> None:
    laptop, phone = new_browser(app), new_browser(app)
    sign_in(laptop, site_settings, "ada@example.org")
    sign_in(phone, site_settings, "ada@example.org")
    laptop.post("/signout", data={"csrf_token": form_token(laptop, "/settings"), "everywhere": "1"})
    assert phone.get("/settings").status_code == 303  # sent to sign in again


def test_anonymous_visitors_are_sent_to_sign_in(browser: TestClient) -> None:
    token = form_token(browser, "/papers/2508.00001")
    form = browser.post("/papers/2508.00001/upvote", data={"csrf_token": token})
    assert form.status_code == 303 and form.headers["location"].startswith("/signin?next=")
    script = browser.post(
        "/papers/2508.00001/upvote", data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert script.status_code == 401 and "error" in script.json()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/papers/2508.00001/upvote", {"up": "1"}),
        ("/papers/2508.00001/comments", {"body": "hi"}),
        ("/submit", {"paper": "2306.09299"}),
        ("/settings", {"display_name": "Mallory"}),
        ("/signin", {"email": "victim@example.org"}),
        ("/signout", {"everywhere": "1"}),
    ],
)
def test_state_changing_requests_need_the_csrf_token(
    browser: TestClient, site_settings: Settings, path: str, data: dict[str, str]
) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    refused = browser.post(path, data=data)
    forged = browser.post(path, data={**data, "csrf_token": "forged"})
    assert refused.status_code == forged.status_code == 403
    assert "Sign out" in browser.get("/settings").text  # still signed in, nothing changed
    assert "Mallory" not in browser.get("/settings").text
    assert browser.get("/papers/2508.00001").text.count("No comments yet") == 1


def test_comments_replies_and_escaping(browser: TestClient, site_settings: Settings) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    token = form_token(browser, "/settings")
    browser.post("/settings", data={"csrf_token": token, "display_name": "<img src=x onerror=alert(1)>"})
    posted = browser.post(
        "/papers/2508.00001/comments",
        data={"csrf_token": token, "body": "**Great** <script>alert(2)</script> [x](javascript:alert(3))"},
    )
    assert posted.status_code == 303 and "#comment-" in posted.headers["location"]
    comment_id = posted.headers["location"].rsplit("-", 1)[1]
    browser.post(
        "/papers/2508.00001/comments", data={"csrf_token": token, "body": "A reply", "reply_to": comment_id}
    )
    page = browser.get("/papers/2508.00001").text
    assert "<strong>Great</strong> &lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "<script>alert" not in page and 'href="javascript:' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    assert 'class="replies"' in page and "A reply" in page
    day = browser.get("/papers/date/2025-08-11").text
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; Attention" in day
    assert "2 comments" in day


@pytest.fixture
def talkative_app(site_settings: Settings) -> object:
    """The site with room for the comments of a whole conversation from one test client's address."""
    return create_app(site_settings.model_copy(update={"comment_rate_limit": 50}))


def post_comment(client: TestClient, body: str, reply_to: str | None = None) -> str:
    """Comment (or reply to ``reply_to``) on 2508.00001; the new comment's id."""
    data = {"csrf_token": form_token(client, "/papers/2508.00001"), "body": body}
    posted = client.post(
        "/papers/2508.00001/comments", data={**data, **({"reply_to": reply_to} if reply_to else {})}
    )
    assert posted.status_code == 303, posted.text
    return str(posted.headers["location"].rsplit("-", 1)[1])


def test_deleting_asks_first_and_keeps_the_replies_of_others(
    talkative_app: object, site_settings: Settings
) -> None:
    browser, bob = new_browser(talkative_app), new_browser(talkative_app)
    sign_in(browser, site_settings, "ada@example.org")
    sign_in(bob, site_settings, "bob@example.org")
    first = post_comment(browser, "My hasty take")
    post_comment(bob, "A reply worth keeping", reply_to=first)
    token = form_token(browser, "/papers/2508.00001")

    asked = browser.post(f"/comments/{first}/delete", data={"csrf_token": token})
    assert asked.status_code == 200 and "Delete your comment?" in asked.text
    assert "My hasty take" in asked.text and f'href="/papers/2508.00001#comment-{first}">Cancel' in asked.text
    assert "My hasty take" in browser.get("/papers/2508.00001").text  # nothing deleted yet

    deleted = browser.post(f"/comments/{first}/delete", data={"csrf_token": token, "confirmed": "1"})
    assert deleted.headers["location"] == "/papers/2508.00001?note=deleted#comments"
    page = bob.get("/papers/2508.00001").text
    assert "My hasty take" not in page and "No comments yet" not in page
    assert "[deleted]" in page and "A reply worth keeping" in page
    assert 'name="reply_to"' in page  # the thread goes on
    post_comment(bob, "Still here", reply_to=first)
    assert "2 comments" in bob.get("/papers/date/2025-08-11").text  # the two replies shown
    assert "A reply worth keeping" in bob.get("/u/bob").text


def test_an_empty_comment_shows_the_paper_again_with_the_error_beside_the_form(
    talkative_app: object, site_settings: Settings
) -> None:
    browser = new_browser(talkative_app)
    sign_in(browser, site_settings, "ada@example.org")
    token = form_token(browser, "/papers/2508.00001")
    refused = browser.post("/papers/2508.00001/comments", data={"csrf_token": token, "body": "   "})
    assert refused.status_code == 400
    form = refused.text[refused.text.index('<form class="comment-form"') :]
    assert 'id="new-error">A comment cannot be empty.</p>' in form[: form.index("</form>")]
    assert "<h1>Paper 2508.00001" in refused.text and "No comments yet" in refused.text

    first = post_comment(browser, "A thought")
    too_long = "x" * 5001
    refused = browser.post(
        "/papers/2508.00001/comments", data={"csrf_token": token, "body": too_long, "reply_to": first}
    )
    assert refused.status_code == 400 and '<details class="reply" open>' in refused.text
    assert f'id="reply-{first}-error">A comment holds at most 5000 characters.' in refused.text
    assert too_long in refused.text  # what they wrote is still there
    gone = browser.post(
        "/papers/2508.00001/comments", data={"csrf_token": token, "body": "Hello?", "reply_to": "99999"}
    )
    assert gone.status_code == 400  # the thread is not on the page: the main form tells why
    assert 'id="new-error">The comment you reply to is not there any more.' in gone.text
    refused = browser.post(f"/comments/{first}/edit", data={"csrf_token": token, "body": ""})
    assert refused.status_code == 400 and f'id="edit-{first}-error">' in refused.text
    assert "A thought" in browser.get("/papers/2508.00001").text


def test_profiles_name_the_papers_commented_on(browser: TestClient, site_settings: Settings) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    comment_id = post_comment(browser, "Read this")
    profile = browser.get("/u/ada").text
    assert (
        f'On <a href="/papers/2508.00001#comment-{comment_id}">Paper 2508.00001 on α-divergences</a>'
        in profile
    )


def test_comments_are_rate_limited(browser: TestClient, site_settings: Settings) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    token = form_token(browser, "/papers/2508.00001")
    answers = [
        browser.post("/papers/2508.00001/comments", data={"csrf_token": token, "body": f"Comment {n}"})
        for n in range(4)
    ]
    assert [answer.status_code for answer in answers] == [303, 303, 303, 429]
    assert int(answers[-1].headers["retry-after"]) > 0
    assert browser.get("/papers/2508.00001").text.count('class="comment"') == 3


def test_two_web_processes_count_a_members_comments_against_one_budget_in_redis(
    site_settings: Settings, redis_sharing: dict[str, str]
) -> None:
    """Two apps built from the same settings are two web processes of one site: with
    ``DAILYPAPERS_REDIS_URL`` a member's three comments an hour are three across both, not six."""
    settings = site_settings.model_copy(update=redis_sharing)
    first, second = create_app(settings), create_app(settings)
    on_first = new_browser(first)
    sign_in(on_first, settings, "ada@example.org")
    on_second = TestClient(second, cookies=on_first.cookies, follow_redirects=False)
    token = form_token(on_first, "/papers/2508.00001")

    def comment(client: TestClient, body: str) -> Response:
        return client.post("/papers/2508.00001/comments", data={"csrf_token": token, "body": body})

    sent = [comment(on_first, "One"), comment(on_first, "Two"), comment(on_second, "Three")]
    assert [answer.status_code for answer in sent] == [303] * 3
    refused = comment(on_second, "Four")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 600, "the first comment counts for 10 minutes"
    assert comment(on_first, "Five").status_code == 429
    assert on_first.get("/papers/2508.00001").text.count('class="comment"') == 3


def fetch_submitted_papers(settings: Settings) -> None:
    """What the worker's round does for the papers members submitted (``dailypapers submissions fetch``)."""
    engine = create_db_engine(settings)
    try:
        fetch_submissions(engine, settings)
    finally:
        engine.dispose()


def test_submitting_an_unknown_paper_answers_at_once_and_shows_how_its_fetch_stands(
    browser: TestClient, site_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    token = form_token(browser, "/submit")
    fake_arxiv.hold_after(0)  # an arXiv that never answers: the member must not wait for it
    jobs = build_queue(site_settings, lambda: Runtime.from_settings(site_settings))
    queued_before = jobs.pending_count()
    started = time.monotonic()
    new = browser.post("/submit", data={"csrf_token": token, "paper": "https://arxiv.org/abs/2306.09299v2"})
    assert time.monotonic() - started < 2
    assert new.status_code == 303 and new.headers["location"] == "/submit?fetching=2306.09299"
    assert fake_arxiv.requests == [], "arXiv is never called while a member waits"
    assert jobs.pending_count() == queued_before + 1, "a worker is asked to fetch it at once"
    waiting = browser.get(new.headers["location"]).text
    assert "Fetching 2306.09299 from arXiv; it will appear on today's list." in waiting
    assert '2306.09299 <span class="meta">is waiting to be fetched from arXiv.</span>' in waiting
    assert "Fetching" not in browser.get("/submit?fetching=%3Cscript%3E").text

    fake_arxiv.release_held()
    fetch_submitted_papers(site_settings)
    done = browser.get("/submit?fetching=2306.09299").text
    assert "Fetching" not in done
    assert "Can Small Models Teach Larger Ones?" in done and "is on the list of" in done
    assert "2306.09299" in browser.get("/u/ada").text


def test_submitting_a_listed_paper_points_to_its_list_and_bad_ids_are_refused(
    browser: TestClient, site_settings: Settings
) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    token = form_token(browser, "/submit")
    again = browser.post("/submit", data={"csrf_token": token, "paper": "2508.00001"})
    assert again.headers["location"] == "/papers/2508.00001?note=already-listed-2025-08-11"
    bad = browser.post("/submit", data={"csrf_token": token, "paper": "not a paper"})
    assert bad.status_code == 400 and "arXiv id" in bad.text


def test_api_tokens_vote_for_scripts(browser: TestClient, site_settings: Settings) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    created = browser.post(
        "/settings/tokens", data={"csrf_token": form_token(browser, "/settings"), "name": "cli"}
    )
    secret = re.search(r'<code id="new-token">([^<]+)</code>', created.text).group(1)  # type: ignore[union-attr]
    anonymous = browser.post("/api/papers/2508.00003/upvote")
    assert anonymous.status_code == 401
    headers = {"Authorization": f"Bearer {secret}"}
    assert browser.post("/api/papers/2508.00003/upvote", headers=headers).json()["upvotes"] == 1
    items = browser.get("/api/daily_papers", params={"date": "2025-08-11"}).json()
    assert (items[0]["paper"]["id"], items[0]["paper"]["upvotes"]) == ("2508.00003", 1)
    assert browser.delete("/api/papers/2508.00003/upvote", headers=headers).json()["upvotes"] == 0
    token_id = re.search(r"/settings/tokens/(\d+)/revoke", created.text).group(1)  # type: ignore[union-attr]
    browser.post(f"/settings/tokens/{token_id}/revoke", data={"csrf_token": form_token(browser, "/settings")})
    assert browser.post("/api/papers/2508.00003/upvote", headers=headers).status_code == 401


@pytest.fixture
def moderator(browser: TestClient, site_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """``browser``, signed in as mod@example.org, whom the operator made a moderator."""
    # The grant comes from outside the server (the CLI); without this the server would trust what
    # it knew of the session for a few more seconds.
    monkeypatch.setattr(members, "SESSION_MEMORY_SECONDS", 0)
    sign_in(browser, site_settings, "mod@example.org")
    assert browser.get("/moderation").status_code == 403
    with write_session(create_db_engine(site_settings)) as session:
        grant_moderator(session, "mod@example.org")
    return browser


def moderate(client: TestClient, action: str, kind: str, target: str, **fields: str) -> object:
    token = form_token(client, "/moderation")
    data = {"csrf_token": token, "kind": kind, "target": target, **fields}
    return client.post(f"/moderation/{action}", data=data)


def test_moderators_hide_after_confirming_and_the_audit_log_says_so(
    app: object, moderator: TestClient, site_settings: Settings
) -> None:
    troll = new_browser(app)
    sign_in(troll, site_settings, "troll@example.org")
    token = form_token(troll, "/papers/2508.00001")
    troll.post("/papers/2508.00001/comments", data={"csrf_token": token, "body": "Buy cheap pills"})
    page = moderator.get("/papers/2508.00001").text  # the buttons the posts below stand for
    assert 'name="kind" value="paper"><input type="hidden" name="target" value="2508.00001">' in page
    assert 'name="kind" value="comment">' in page and "Hide this paper" in page
    profile = moderator.get("/u/troll").text
    assert 'name="kind" value="user"><input type="hidden" name="target" value="troll">' in profile

    # The hide buttons ask first, on a page saying what goes; nothing is hidden until it is confirmed.
    asked = moderate(moderator, "hide", "user", "troll", reason="spam")
    assert asked.status_code == 200 and "Hide the member troll (@troll)?" in asked.text  # type: ignore[attr-defined]
    assert 'name="confirmed" value="1"' in asked.text and 'value="spam"' in asked.text  # type: ignore[attr-defined]
    assert "Buy cheap pills" in moderator.get("/papers/2508.00001").text
    assert moderate(moderator, "hide", "paper", "2508.00002").status_code == 200  # type: ignore[attr-defined]
    assert new_browser(app).get("/papers/2508.00002").status_code == 200

    moderate(moderator, "hide", "user", "troll", reason="spam", confirmed="1")
    hidden = moderate(moderator, "hide", "paper", "2508.00002", confirmed="1")
    assert hidden.headers["location"] == "/papers/2508.00002"  # type: ignore[attr-defined]
    assert "Buy cheap pills" not in moderator.get("/papers/2508.00001").text
    assert "0 comments" in new_browser(app).get("/papers/date/2025-08-11").text
    assert new_browser(app).get("/papers/2508.00002").status_code == 404
    assert new_browser(app).get("/u/troll").status_code == 404
    assert "Sign out" not in troll.get("/").text  # signed out
    log = moderator.get("/moderation").text
    assert "hide user" in log and "troll" in log and "hide paper" in log


def test_moderators_open_hidden_papers_and_undo_every_hiding(
    app: object, moderator: TestClient, site_settings: Settings
) -> None:
    ada = new_browser(app)
    sign_in(ada, site_settings, "ada@example.org")
    token = form_token(ada, "/papers/2508.00001")
    posted = ada.post("/papers/2508.00001/comments", data={"csrf_token": token, "body": "Spam? No, data."})
    comment_id = posted.headers["location"].rsplit("-", 1)[1]
    moderate(moderator, "hide", "paper", "2508.00002", confirmed="1")
    moderate(moderator, "hide", "comment", comment_id, confirmed="1")
    moderate(moderator, "hide", "user", "ada", confirmed="1")

    # The moderator still opens the hidden paper, under a banner with the way back.
    page = moderator.get("/papers/2508.00002").text
    assert "This paper is hidden" in page and "Unhide this paper" in page and "Hide this paper" not in page
    listed = moderator.get("/moderation").text
    assert all(label in listed for label in ("Unhide paper", "Unhide comment", "Unhide member"))
    assert "Spam? No, data." in listed

    assert moderate(moderator, "unhide", "paper", "2508.00002").headers["location"] == "/papers/2508.00002"  # type: ignore[attr-defined]
    moderate(moderator, "unhide", "user", "ada")
    visitor = new_browser(app)
    assert visitor.get("/papers/2508.00002").status_code == 200
    assert "This paper is hidden" not in moderator.get("/papers/2508.00002").text
    assert visitor.get("/u/ada").status_code == 200
    assert "Spam? No, data." not in visitor.get("/papers/2508.00001").text  # hidden on its own
    moderate(moderator, "unhide", "comment", comment_id)
    assert "Spam? No, data." in visitor.get("/papers/2508.00001").text
    assert "1 comment<" in visitor.get("/papers/date/2025-08-11").text
    log = moderator.get("/moderation").text
    assert all(f"unhide {kind}" in log for kind in ("paper", "comment", "user"))
    assert "No hidden papers." in log and "No hidden comments." in log and "No hidden members." in log


def test_moderators_dismiss_a_report_and_the_comment_stays(
    app: object, moderator: TestClient, site_settings: Settings
) -> None:
    ada, bob = new_browser(app), new_browser(app)
    sign_in(ada, site_settings, "ada@example.org")
    sign_in(bob, site_settings, "bob@example.org")
    token = form_token(ada, "/papers/2508.00001")
    posted = ada.post("/papers/2508.00001/comments", data={"csrf_token": token, "body": "A bold claim"})
    comment_id = posted.headers["location"].rsplit("-", 1)[1]
    reported = bob.post(
        f"/comments/{comment_id}/report", data={"csrf_token": form_token(bob, "/"), "reason": "rude"}
    )
    assert reported.headers["location"] == f"/papers/2508.00001?note=reported#comment-{comment_id}"
    assert "Reported, thank you; a moderator will look at it." in bob.get(reported.headers["location"]).text
    page = moderator.get("/moderation").text
    (report_id,) = re.findall(r"/moderation/reports/(\d+)/dismiss", page)
    moderator.post(f"/moderation/reports/{report_id}/dismiss", data={"csrf_token": form_token(moderator)})
    page = moderator.get("/moderation").text
    assert "No open reports." in page and "dismiss report" in page and "rude" in page
    assert "A bold claim" in moderator.get("/papers/2508.00001").text


def test_a_hidden_paper_leaves_the_cached_api_answers_at_once(
    site_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(members, "SESSION_MEMORY_SECONDS", 0)
    cached = site_settings.model_copy(update={"page_cache_seconds": 60})
    app = create_app(cached)
    visitor, mod = new_browser(app), new_browser(app)

    def listed() -> list[str]:
        answer = visitor.get("/api/daily_papers", params={"date": "2025-08-11"})
        return [item["paper"]["id"] for item in answer.json()]

    assert "2508.00002" in listed() and "2508.00002" in visitor.get("/papers/date/2025-08-11").text
    sign_in(mod, cached, "mod@example.org")
    with write_session(create_db_engine(cached)) as session:
        grant_moderator(session, "mod@example.org")
    moderate(mod, "hide", "paper", "2508.00002", confirmed="1")
    assert "2508.00002" not in listed()
    assert "2508.00002" not in visitor.get("/papers/date/2025-08-11").text
    moderate(mod, "unhide", "paper", "2508.00002")
    assert "2508.00002" in listed()


def test_what_one_web_process_hides_or_signs_out_is_gone_from_the_other_at_once(
    site_settings: Settings, redis_sharing: dict[str, str]
) -> None:
    """Two apps sharing one Redis are two web servers of one site, each caching pages and the API
    for a minute and remembering sessions: a moderator's hiding and a member's sign-out on the first
    reach the second at its next request."""
    cached = site_settings.model_copy(update={"page_cache_seconds": 60, **redis_sharing})
    first, second = create_app(cached), create_app(cached)
    reader = new_browser(second)

    def listed() -> list[str]:
        answer = reader.get("/api/daily_papers", params={"date": "2025-08-11"})
        return [item["paper"]["id"] for item in answer.json()]

    assert "2508.00002" in listed() and "2508.00002" in reader.get("/papers/date/2025-08-11").text
    mod = new_browser(first)
    sign_in(mod, cached, "mod@example.org")
    with write_session(create_db_engine(cached)) as session:
        grant_moderator(session, "mod@example.org")
    mod_on_second = TestClient(second, cookies=mod.cookies, follow_redirects=False)
    assert "mod" in mod_on_second.get("/settings").text  # the second server remembers the session
    assert moderate(mod, "hide", "paper", "2508.00002", confirmed="1").status_code == 303  # type: ignore[attr-defined]
    assert "2508.00002" not in listed()
    assert "2508.00002" not in reader.get("/papers/date/2025-08-11").text

    token = form_token(mod, "/settings")
    mod.post("/signout", data={"csrf_token": token})
    assert mod_on_second.get("/settings").status_code == 303, "signed out on every server"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_redirects_never_leave_the_site(browser: TestClient, site_settings: Settings, target: str) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    token = form_token(browser, "/papers/2508.00001")
    answer = browser.post("/papers/2508.00001/upvote", data={"csrf_token": token, "next": target})
    assert answer.headers["location"] == "/papers/2508.00001"


def test_the_api_ranks_by_trend_and_filters_by_submitter(
    browser: TestClient, site_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    token = form_token(browser, "/submit")
    browser.post("/submit", data={"csrf_token": token, "paper": "2306.09299"})
    fetch_submitted_papers(site_settings)
    upvote(browser, "2508.00003")
    day = {"date": "2025-08-11"}
    trending = browser.get("/api/daily_papers", params={**day, "sort": "trending"}).json()
    assert trending[0]["paper"]["id"] == "2508.00003" and trending[0]["trendingScore"] > 0.99
    assert trending[1]["trendingScore"] == 0
    mine = browser.get("/api/daily_papers", params={"submitter": "ada"}).json()
    assert [item["paper"]["id"] for item in mine] == ["2306.09299"]
    assert mine[0]["submittedBy"]["user"] == "ada"
    catalog = browser.get("/api/daily_papers", params={**day, "submitter": "dailypapers"}).json()
    assert (
        len(catalog) == 4
        and browser.get("/api/daily_papers", params={**day, "submitter": "ada"}).json() == []
    )


def test_a_lab_behind_one_address_signs_in_and_comments_as_many_members(
    app: object, site_settings: Settings
) -> None:
    """Six members from one address each get their sign-in mail, and one member's comments do not
    spend another's budget; the limits that remain are per member and per email address."""
    lab = [new_browser(app) for _ in range(6)]
    for n, member in enumerate(lab):
        sign_in(member, site_settings, f"member{n}@lab.example.org")
    token = form_token(lab[0], "/papers/2508.00001")
    for n in range(3):
        lab[0].post("/papers/2508.00001/comments", data={"csrf_token": token, "body": f"Comment {n}"})
    other = lab[1].post(
        "/papers/2508.00001/comments",
        data={"csrf_token": form_token(lab[1], "/papers/2508.00001"), "body": "My own budget"},
    )
    assert other.status_code == 303, "a second member of the lab still comments"

    signin = form_token(lab[0], "/signin")
    answers = [
        lab[0].post("/signin", data={"email": "ada@example.org", "csrf_token": signin}) for _ in range(6)
    ]
    assert [answer.status_code for answer in answers] == [200] * 5 + [429], "5 mails an hour to one address"


def test_sign_in_mail_has_a_per_client_limit_that_fits_an_institution(site_settings: Settings) -> None:
    app = create_app(site_settings.model_copy(update={"sign_in_client_rate_limit": 3}))
    client = new_browser(app)
    token = form_token(client, "/signin")
    answers = [
        client.post("/signin", data={"email": f"m{n}@example.org", "csrf_token": token}) for n in range(4)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert Settings().sign_in_client_rate_limit >= 60, "twenty members signing in at once, thrice each"


def test_behind_a_trusted_proxy_each_client_is_the_address_it_reports(site_settings: Settings) -> None:
    settings = site_settings.model_copy(
        update={"sign_in_client_rate_limit": 2, "trusted_proxies": ["10.0.0.5"]}
    )
    proxy = TestClient(create_app(settings), client=("10.0.0.5", 5000), follow_redirects=False)
    token = form_token(proxy, "/signin")

    def ask(email: str, forwarded_for: str) -> int:
        headers = {"X-Forwarded-For": forwarded_for}
        return proxy.post("/signin", data={"email": email, "csrf_token": token}, headers=headers).status_code

    assert [ask(f"a{n}@example.org", "198.51.100.1") for n in range(3)] == [200, 200, 429]
    assert ask("b@example.org", "198.51.100.2") == 200, "another client behind the same proxy"
    assert ask("c@example.org", "198.51.100.2, 198.51.100.1") == 429, "a client cannot name itself"


def test_the_429_page_keeps_the_member_signed_in_and_what_they_wrote(
    browser: TestClient, site_settings: Settings
) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    token = form_token(browser, "/papers/2508.00001")
    for n in range(3):
        browser.post("/papers/2508.00001/comments", data={"csrf_token": token, "body": f"Comment {n}"})
    parent = re.findall(r'id="comment-(\d+)"', browser.get("/papers/2508.00001").text)[0]
    refused = browser.post(
        "/papers/2508.00001/comments",
        data={"csrf_token": token, "body": "A <long> reply, typed with care", "reply_to": parent},
    )
    assert refused.status_code == 429
    assert "Sign out" in refused.text and 'class="me"' in refused.text, "the header still names Ada"
    assert refused.headers["cache-control"] == "private, no-store"
    assert re.search(r"Too many requests in a short time\. Try again in \d+ minutes\.", refused.text)
    assert 'action="/papers/2508.00001/comments"' in refused.text
    assert ">A &lt;long&gt; reply, typed with care</textarea>" in refused.text
    assert f'name="reply_to" value="{parent}"' in refused.text
    assert "Your reply" in refused.text


def test_settings_say_saved_and_accept_only_arxiv_categories(
    browser: TestClient, site_settings: Settings
) -> None:
    sign_in(browser, site_settings, "ada@example.org")
    token = form_token(browser, "/settings")
    saved = browser.post(
        "/settings", data={"csrf_token": token, "display_name": "Ada", "categories": "cs.cv, stat.ML"}
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/settings?saved=1"
    page = browser.get(saved.headers["location"]).text
    assert '<p class="note" role="status">Saved.</p>' in page and 'value="cs.CV stat.ML"' in page

    refused = browser.post(
        "/settings",
        data={"csrf_token": token, "display_name": "Ada L.", "categories": "computer vision, cs.XX"},
    )
    assert refused.status_code == 400
    assert "Nothing was saved. These are not arXiv categories: “computer vision” (did you mean cs.CV" in (
        refused.text
    )
    assert "“cs.XX”" in refused.text
    assert 'value="computer vision, cs.XX"' in refused.text and 'value="Ada L."' in refused.text
    unchanged = browser.get("/settings").text
    assert 'value="cs.CV stat.ML"' in unchanged and 'value="Ada"' in unchanged and "Saved." not in unchanged


def test_the_sign_in_page_of_a_link_names_the_address_it_signs_in(
    browser: TestClient, site_settings: Settings
) -> None:
    browser.post("/signin", data={"email": "Ada@Example.org", "csrf_token": form_token(browser, "/signin")})
    (link,) = sign_in_links(site_settings, "ada@example.org")
    assert "This link signs you in as <strong>ada@example.org</strong>." in browser.get(link).text


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        (
            "post",
            "/papers/2508.00001/comments",
            "This form has expired or did not come from this site. Reload",
        ),
        ("post", "/digest/unsubscribe/MQ.forged", "This link is not one we sent."),
        ("get", "/papers/9913.00001", "No such arXiv id"),  # written in lower case, shown as a sentence
        ("get", "/search?q=attention&page=99", "Results are shown up to page"),
    ],
)
def test_messages_to_people_are_capitalised_sentences(
    browser: TestClient, method: str, path: str, message: str
) -> None:
    answer = browser.request(method, path, data={"body": "hi"} if method == "post" else None)
    assert f">{message}" in answer.text
