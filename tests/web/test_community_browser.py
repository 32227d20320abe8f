"""Members use the site in a real browser (Debian's Chromium, driven by Playwright).

They sign in through the link the site mails them, submit, upvote, comment and reply; attackers try
script injection through every field a member or the catalog controls, forged and reused sign-in
links, and forms posted without the site's CSRF token. What the pages show is checked against what
the database holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from browser import BROWSER_MARKS, screenshot
from dailypapers.community.accounts import create_sign_in_link, grant_moderator, use_sign_in_link
from dailypapers.community.models import Comment, PaperActivity, SignInLink, User, UserSession, Vote
from dailypapers.community.tasks import fetch_submissions
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import read_session, write_session
from dailypapers.mail.transport import MaildirTransport
from dailypapers.papers.models import ListingEntry
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.search.service import update_search_index
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from factories import listed_paper
from fake_arxiv import FakeArxiv
from servers import free_port, serving, without_site_settings

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

pytestmark = BROWSER_MARKS

TODAY = dt.datetime.now(dt.UTC).date()
CATALOG = ["2508.00001", "2508.00002", "2508.00003"]
#: A catalog paper whose title is an attack: the site must show it as text.
EVIL_PAPER = "2508.00666"
EVIL_TITLE = "<script>window.__xss=4</script>"
EVIL_COMMENT = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
EVIL_NAME = "<img src=x onerror=window.__xss=3>"
SUBMITTED = "2306.09299"  # known to the fake arXiv, not to the catalog
SUBMITTED_TITLE = "Can Small Models Teach Larger Ones?"


NewPage = Callable[[], "playwright.Page"]


@dataclass(frozen=True)
class Site:
    url: str
    settings: Settings
    engine: sa.Engine
    arxiv: FakeArxiv

    def mails_to(self, address: str) -> list[tuple[str, str]]:
        """(Message-ID, text) of every message the site sent to ``address``."""
        mails = MaildirTransport(self.settings.data_dir / "maildir").messages()
        address = address.lower()
        return [(str(m["Message-ID"]), m.get_content()) for m in mails if str(m["To"]).lower() == address]

    def user(self, email: str) -> User:
        with read_session(self.engine) as session:
            return session.scalars(sa.select(User).where(User.email == email.lower())).one()

    def activity(self, paper_id: str) -> PaperActivity | None:
        with read_session(self.engine) as session:
            return session.get(PaperActivity, paper_id)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A fresh site on its own port: today's catalog, mail into its maildir, a fake arXiv behind it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with FakeArxiv() as arxiv, pytest.MonkeyPatch.context() as environment:
        without_site_settings(environment)
        environment.chdir(tmp_path_factory.mktemp("community-cwd"))
        settings = Settings(
            data_dir=tmp_path_factory.mktemp("community") / "data",
            public_url=url,
            arxiv_api_url=arxiv.api_url,
            arxiv_delay_seconds=0,
            # The worker lists submitted papers from outside the site, whose cached pages would
            # show them only when their seconds run out.
            page_cache_seconds=0,
        )
        engine = create_db_engine(settings)
        upgrade_database(engine)
        records = [listed_paper(arxiv_id, TODAY) for arxiv_id in CATALOG]
        records.append(listed_paper(EVIL_PAPER, TODAY, title=EVIL_TITLE))
        with write_session(engine) as session:
            store_papers(session, records, rules=ListingRules())
        update_search_index(engine)

        try:
            with serving(create_app(settings), port):
                yield Site(url, settings, engine, arxiv)
        finally:
            engine.dispose()


@pytest.fixture
def new_page(browser: playwright.Browser) -> Iterator[NewPage]:
    """``new_page()``: a page in a browser context of its own (its own cookies: another person)."""
    contexts: list[playwright.BrowserContext] = []

    def make() -> playwright.Page:
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in_link(page: playwright.Page, site: Site, email: str) -> str:
    """Ask for a sign-in link on /signin and read it from the one new mail to ``email``."""
    before = {message_id for message_id, _ in site.mails_to(email)}
    page.goto(site.url + "/signin")
    page.fill("#signin-email", email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    expect(page.locator("main")).to_contain_text(email.lower())
    new = [text for message_id, text in site.mails_to(email) if message_id not in before]
    assert len(new) == 1, "one mail per request"
    found = re.search(re.escape(site.url) + r"/signin/[A-Za-z0-9._-]+", new[0])
    assert found, f"the mail holds a link to this site: {new[0]!r}"
    return found.group(0)


def follow_link(page: playwright.Page, link: str) -> playwright.Response | None:
    """Open the mailed link and press its button; returns the answer to the button's POST."""
    page.goto(link)
    with page.expect_response(lambda answer: answer.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in to Daily Papers").click()
    page.wait_for_load_state()
    return answer.value


def sign_in(page: playwright.Page, site: Site, email: str) -> User:
    answer = follow_link(page, sign_in_link(page, site, email))
    assert answer is not None and answer.status == 303
    page.wait_for_url(site.url + "/")
    assert page.locator("header.site .me").is_visible(), "the header names the member"
    return site.user(email)


def paper_row(page: playwright.Page, paper_id: str) -> playwright.Locator:
    return page.locator("li.paper", has=page.locator(f'h2 a[href="/papers/{paper_id}"]'))


def upvote_in_place(page: playwright.Page, row: playwright.Locator, expected: str) -> None:
    """Click the row's upvote button and see its count change without the page being reloaded."""
    page.evaluate("window.__marker = 1")
    with page.expect_response(lambda answer: answer.url.endswith("/upvote")) as answer:
        row.locator("form.upvote button").click()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "application/json"
    expect(row.locator(".count")).to_have_text(expected)
    expect(row.locator("form.upvote button")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__marker") == 1, "the page was not reloaded"


def test_two_members_submit_upvote_and_discuss_a_paper(site: Site, new_page: NewPage) -> None:
    ada, bob = new_page(), new_page()
    ada_user = sign_in(ada, site, "ada@example.org")
    bob_user = sign_in(bob, site, "Bob@Example.org")
    assert bob_user.email == "bob@example.org"

    # Ada puts a paper that the catalog does not know yet on today's list, by its versioned URL: the
    # site answers at once that it is being fetched, and Bob, asking for it too, is told the same.
    for page in (ada, bob):
        page.goto(site.url + "/submit")
        page.fill("#submit-paper", f"https://arxiv.org/abs/{SUBMITTED}v2")
        page.get_by_role("button", name="Submit", exact=True).click()
        page.wait_for_url(f"{site.url}/submit?fetching={SUBMITTED}")
        expect(page.get_by_role("status")).to_have_text(
            f"Fetching {SUBMITTED} from arXiv; it will appear on today's list."
        )
        expect(page.locator(f'ul.requested li[data-paper="{SUBMITTED}"]')).to_have_text(
            f"{SUBMITTED} is waiting to be fetched from arXiv."
        )
    screenshot(ada, "community-submit-fetching")
    assert site.arxiv.requests_to("/api/query") == [], "nobody waited for arXiv"

    # The worker's round fetches it (one request) and lists it, crediting Ada, who asked first.
    assert fetch_submissions(site.engine, site.settings).listed == 1
    assert [request.params["id_list"] for request in site.arxiv.requests_to("/api/query")] == [SUBMITTED]
    for page in (ada, bob):
        page.reload()
        expect(page.get_by_role("status")).to_have_count(0)
        item = page.locator(f'ul.requested li[data-paper="{SUBMITTED}"]')
        expect(item).to_contain_text(f"is on the list of {TODAY.isoformat()}.")
        expect(item.get_by_role("link", name=re.compile(re.escape(SUBMITTED_TITLE)))).to_be_visible()
    ada.locator(f'ul.requested li[data-paper="{SUBMITTED}"]').get_by_role(
        "link", name=re.compile(re.escape(SUBMITTED_TITLE))
    ).click()
    ada.wait_for_url(f"{site.url}/papers/{SUBMITTED}")
    assert ada.locator("h1").inner_text().startswith(SUBMITTED_TITLE)
    with read_session(site.engine) as session:
        entry = session.scalars(sa.select(ListingEntry).where(ListingEntry.paper_id == SUBMITTED)).one()
        assert (entry.day, entry.source, entry.submitted_by_id) == (TODAY, "user", ada_user.id)

    # Both upvote it on the daily page: the count changes in place, 0 -> 1, then 2 in Bob's browser.
    ada.goto(site.url + "/")
    row = paper_row(ada, SUBMITTED)
    expect(row.locator(".count")).to_have_text("0")
    expect(row).to_contain_text(f"submitted by {ada_user.display_name}")
    upvote_in_place(ada, row, "1")
    bob.goto(site.url + "/")
    bob_row = paper_row(bob, SUBMITTED)
    expect(bob_row.locator(".count")).to_have_text("1")
    expect(bob_row.locator("form.upvote button")).to_have_attribute("aria-pressed", "false")
    upvote_in_place(bob, bob_row, "2")
    ada.reload()
    expect(paper_row(ada, SUBMITTED).locator(".count")).to_have_text("2")
    expect(paper_row(ada, SUBMITTED).locator("form.upvote button")).to_have_attribute("aria-pressed", "true")
    assert ada.locator("li.paper").first.locator("h2 a").get_attribute("href") == f"/papers/{SUBMITTED}"
    screenshot(ada, "community-daily-signed-in")
    with read_session(site.engine) as session:
        voters = session.scalars(sa.select(Vote.user_id).where(Vote.paper_id == SUBMITTED)).all()
        assert sorted(voters) == sorted([ada_user.id, bob_user.id])
    activity = site.activity(SUBMITTED)
    assert activity is not None and activity.upvotes == 2

    # Ada comments; Bob replies in the thread.
    ada.get_by_role("link", name=re.compile(re.escape(SUBMITTED_TITLE))).click()
    ada.wait_for_url(f"**/papers/{SUBMITTED}")
    ada.fill("#new-comment", "Worth reading: *explanations* help the student model.")
    ada.get_by_role("button", name="Post comment").click()
    ada.wait_for_url(re.compile(rf"/papers/{re.escape(SUBMITTED)}#comment-\d+$"))
    comment = ada.locator("#comments article.comment").first
    expect(comment.locator(".comment-body em")).to_have_text("explanations")
    expect(comment.locator(".meta a")).to_have_text(ada_user.display_name)

    bob.goto(f"{site.url}/papers/{SUBMITTED}")
    bob.locator("details.reply summary", has_text="Reply").click()
    bob.locator("details.reply textarea").fill("Agreed, and the **code** is out.")
    bob.get_by_role("button", name="Post reply").click()
    bob.wait_for_url(re.compile(r"#comment-\d+$"))
    reply = bob.locator("ol.replies article.comment")
    expect(reply).to_have_count(1)
    expect(reply.locator(".comment-body strong")).to_have_text("code")
    expect(reply.locator(".meta a")).to_have_text(bob_user.display_name)
    screenshot(bob, "community-paper-discussion")

    with read_session(site.engine) as session:
        stored = session.scalars(
            sa.select(Comment).where(Comment.paper_id == SUBMITTED).order_by(Comment.id)
        ).all()
        assert [(c.user_id, c.parent_id) for c in stored] == [
            (ada_user.id, None),
            (bob_user.id, stored[0].id),
        ]
    activity = site.activity(SUBMITTED)
    assert activity is not None and activity.comments == 2
    ada.goto(site.url + "/")
    expect(paper_row(ada, SUBMITTED).locator("a.comments")).to_have_text("2 comments")


NO_INLINE_SCRIPTS = "[...document.scripts].filter((script) => !script.src).length"


def assert_harmless(page: playwright.Page, dialogs: list[str], where: str) -> None:
    assert page.evaluate("window.__xss") is None, f"script ran on {where}"
    assert dialogs == [], f"a dialog opened on {where}"
    assert page.evaluate(NO_INLINE_SCRIPTS) == 0, f"an injected <script> element on {where}"
    assert page.locator("img").count() == 0, f"an injected <img> element on {where}"


def test_injected_markup_is_shown_as_text_and_never_runs(site: Site, new_page: NewPage) -> None:
    eve = new_page()
    dialogs: list[str] = []
    eve.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    eve_user = sign_in(eve, site, "eve@example.org")

    eve.goto(site.url + "/settings")
    eve.fill("#display-name", EVIL_NAME)
    eve.get_by_role("button", name="Save", exact=True).click()
    eve.wait_for_url(site.url + "/settings?saved=1")
    expect(eve.get_by_role("status")).to_have_text("Saved.")
    expect(eve.locator("#display-name")).to_have_value(EVIL_NAME)
    assert site.user("eve@example.org").display_name == EVIL_NAME

    # Eve submits a paper (her name shows as its submitter) and comments on the paper with the evil title.
    eve.goto(site.url + "/submit")
    eve.fill("#submit-paper", "2304.14118")
    eve.get_by_role("button", name="Submit", exact=True).click()
    eve.wait_for_url("**/submit?fetching=2304.14118")
    fetch_submissions(site.engine, site.settings)  # the worker's round
    eve.goto(f"{site.url}/papers/{EVIL_PAPER}")
    eve.fill("#new-comment", EVIL_COMMENT)
    eve.get_by_role("button", name="Post comment").click()
    eve.wait_for_url(re.compile(r"#comment-\d+$"))
    with read_session(site.engine) as session:
        stored = session.scalars(sa.select(Comment).where(Comment.paper_id == EVIL_PAPER)).one()
        assert stored.body == EVIL_COMMENT, "the comment is kept as written"
        assert "<script" not in stored.html and "<img" not in stored.html

    visitor = new_page()
    visitor.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for page, who in ((eve, "member"), (visitor, "visitor")):
        page.goto(site.url + "/")
        assert_harmless(page, dialogs, f"the daily page ({who})")
        expect(paper_row(page, EVIL_PAPER).locator("h2 a")).to_have_text(EVIL_TITLE)
        expect(paper_row(page, "2304.14118")).to_contain_text(f"submitted by {EVIL_NAME}")

        page.goto(f"{site.url}/papers/{EVIL_PAPER}")
        assert_harmless(page, dialogs, f"the paper page ({who})")
        expect(page.locator("h1")).to_have_text(EVIL_TITLE)
        assert page.title().startswith(EVIL_TITLE)
        comment = page.locator("#comments article.comment")
        expect(comment.locator(".comment-body")).to_have_text(EVIL_COMMENT)
        expect(comment.locator(".meta a")).to_have_text(EVIL_NAME)

        page.goto(f"{site.url}/u/{eve_user.username}")
        assert_harmless(page, dialogs, f"the profile page ({who})")
        expect(page.locator("h1")).to_have_text(EVIL_NAME)
        expect(page.locator("main .comment-body")).to_have_text(EVIL_COMMENT)

    expect(eve.locator("header.site .me")).to_have_text(EVIL_NAME)
    screenshot(eve, "community-escaped-profile")


def test_forged_and_reused_sign_in_links_and_forms_without_csrf_token_are_refused(
    site: Site, new_page: NewPage
) -> None:
    mallory = new_page()
    answer = mallory.goto(site.url + "/signin/garbage")
    assert answer is not None and answer.status == 404
    expect(mallory.locator("main")).to_contain_text("This sign-in link is not valid.")
    assert mallory.get_by_role("button", name="Sign in to Daily Papers").count() == 0

    # Carol signs in with her link; the same link, used again in another browser, is refused.
    carol = new_page()
    link = sign_in_link(carol, site, "carol@example.org")
    token_start = link.rindex("/") + 1
    tampered = link[:token_start] + ("A" if link[token_start] != "A" else "B") + link[token_start + 1 :]
    answer = mallory.goto(tampered)
    assert answer is not None and answer.status == 404
    first = follow_link(carol, link)
    assert first is not None and first.status == 303
    carol_user = site.user("carol@example.org")
    second = mallory.goto(link)  # a spent link offers no sign-in button at all
    assert second is not None and second.status == 404
    expect(mallory.locator("main")).to_contain_text("already used")
    assert mallory.get_by_role("button", name="Sign in to Daily Papers").count() == 0
    assert not [c for c in mallory.context.cookies() if c["name"] == "dailypapers_session"]
    with read_session(site.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).where(UserSession.user_id == carol_user.id)) == 1
        links = session.scalars(sa.select(SignInLink).where(SignInLink.email == "carol@example.org")).all()
        assert len(links) == 1 and links[0].used_at is not None

    # Carol's own browser posts without a token, and with a token of another browser: both 403.
    paper = CATALOG[0]
    upvote_url = f"{site.url}/papers/{paper}/upvote"
    refused = carol.request.post(upvote_url, form={"up": "1"}, max_redirects=0)
    assert refused.status == 403
    assert "Form expired" in refused.text()
    mallory.goto(site.url + "/")
    foreign_token = mallory.locator("form.upvote input[name=csrf_token]").first.input_value()
    refused = carol.request.post(upvote_url, form={"up": "1", "csrf_token": foreign_token}, max_redirects=0)
    assert refused.status == 403

    # A page on another site submits a form to the site in Carol's browser.
    carol.route(
        "http://evil.example/**",
        lambda route: route.fulfill(
            content_type="text/html",
            body=f'<form method="post" action="{upvote_url}"><input name="up" value="1"></form>'
            "<script>document.forms[0].submit()</script>",
        ),
    )
    with carol.expect_response(upvote_url) as forged:
        carol.goto("http://evil.example/")
    assert forged.value.status == 403

    with read_session(site.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).where(Vote.paper_id == paper)) == 0
    carol.goto(site.url + "/")
    expect(paper_row(carol, paper).locator(".count")).to_have_text("0")


def test_deleting_a_comment_asks_first_and_keeps_the_replies_of_others(site: Site, new_page: NewPage) -> None:
    ada, bob, carol = new_page(), new_page(), new_page()
    sign_in(ada, site, "ada.delete@example.org")
    bob_user = sign_in(bob, site, "bob.delete@example.org")
    sign_in(carol, site, "carol.delete@example.org")
    paper = CATALOG[1]
    ada.goto(f"{site.url}/papers/{paper}")
    ada.fill("#new-comment", "A hasty take I will regret. ![chart](https://example.org/chart.png)")
    ada.get_by_role("button", name="Post comment").click()
    ada.wait_for_url(re.compile(r"#comment-\d+$"))
    first = ada.locator("#comments article.comment").first
    expect(first.locator(".comment-body")).to_have_text("A hasty take I will regret. chart")  # no stray "!"
    expect(first.locator(".comment-body a")).to_have_attribute("href", "https://example.org/chart.png")
    bob.goto(f"{site.url}/papers/{paper}")
    bob.locator("details.reply summary", has_text="Reply").click()
    bob.locator("details.reply textarea").fill("A reply worth keeping.")
    bob.get_by_role("button", name="Post reply").click()
    bob.wait_for_url(re.compile(r"#comment-\d+$"))

    # Carol reports the reply, and hears that it reached the moderators.
    carol.goto(f"{site.url}/papers/{paper}")
    reply = carol.locator("ol.replies article.comment")
    reply.locator("summary", has_text="Report").click()
    reply.get_by_label("What is wrong with it?").fill("Off topic")
    reply.get_by_role("button", name="Report to moderators").click()
    expect(carol.get_by_role("status")).to_have_text("Reported, thank you; a moderator will look at it.")

    # Ada deletes her comment: the site asks first, and Cancel keeps it.
    ada.locator("#comments article.comment").first.get_by_role("button", name="Delete").click()
    expect(ada.locator("h1")).to_have_text("Delete your comment?")
    expect(ada.locator("main blockquote")).to_contain_text("A hasty take I will regret.")
    screenshot(ada, "community-delete-confirmation")
    ada.get_by_role("link", name="Cancel").click()
    expect(ada.locator("#comments")).to_contain_text("A hasty take I will regret.")
    ada.locator("#comments article.comment").first.get_by_role("button", name="Delete").click()
    ada.get_by_role("button", name="Delete comment").click()
    expect(ada.get_by_role("status")).to_have_text("Your comment is deleted.")

    # The thread stays for everyone, under "[deleted]", with Bob's reply, and it is counted once.
    for page in (ada, carol):
        page.goto(f"{site.url}/papers/{paper}")
        expect(page.locator("#comments article.comment.placeholder")).to_have_text("[deleted]")
        expect(page.locator("#comments")).not_to_contain_text("A hasty take")
        expect(page.locator("#comments")).not_to_contain_text("No comments yet")
        expect(page.locator("ol.replies article.comment .comment-body")).to_have_text(
            "A reply worth keeping."
        )
        expect(page.locator("ol.replies .meta a")).to_have_text(bob_user.display_name)
    screenshot(carol, "community-deleted-comment-keeps-replies")
    carol.goto(site.url + "/")
    expect(paper_row(carol, paper).locator("a.comments")).to_have_text("1 comment")
    carol.goto(f"{site.url}/u/{bob_user.username}")
    expect(carol.locator("main .comment .meta a")).to_have_text(re.compile(r"^Paper 2508\.00002 on"))

    # A comment of spaces comes back with the error beside the form, not on a page of its own.
    carol.goto(f"{site.url}/papers/{paper}")
    carol.fill("#new-comment", "   ")
    carol.get_by_role("button", name="Post comment").click()
    expect(carol.locator("form.comment-form [role=alert]")).to_have_text("A comment cannot be empty.")
    expect(carol.locator("h1")).to_have_text(re.compile(r"^Paper 2508\.00002"))


def test_a_moderator_hides_a_paper_after_confirming_then_unhides_it(site: Site, new_page: NewPage) -> None:
    with write_session(site.engine) as session:
        use_sign_in_link(session, create_sign_in_link(session, "mod.browser@example.org"))
        grant_moderator(session, "mod.browser@example.org")
    mod, visitor = new_page(), new_page()
    sign_in(mod, site, "mod.browser@example.org")
    paper = CATALOG[2]
    mod.goto(f"{site.url}/papers/{paper}")
    mod.get_by_label("Reason").fill("duplicate listing")
    mod.get_by_role("button", name="Hide this paper").click()
    expect(mod.locator("h1")).to_have_text(re.compile(r"^Hide the paper “Paper 2508\.00003"))
    expect(mod.locator("#confirm-reason")).to_have_value("duplicate listing")
    screenshot(mod, "community-hide-confirmation")
    answer = visitor.goto(f"{site.url}/papers/{paper}")
    assert answer is not None and answer.status == 200, "nothing is hidden before the moderator confirms"
    mod.get_by_role("button", name="Hide", exact=True).click()

    # The moderator is back on the paper, which only moderators can open now.
    mod.wait_for_url(f"{site.url}/papers/{paper}")
    expect(mod.locator(".hidden-banner")).to_contain_text("This paper is hidden")
    screenshot(mod, "community-moderator-hidden-paper")
    answer = visitor.goto(f"{site.url}/papers/{paper}")
    assert answer is not None and answer.status == 404
    visitor.goto(site.url + "/")
    expect(paper_row(visitor, paper)).to_have_count(0)
    assert paper not in {
        item["paper"]["id"] for item in visitor.request.get(f"{site.url}/api/daily_papers").json()
    }

    mod.get_by_role("button", name="Unhide this paper").click()
    mod.wait_for_url(f"{site.url}/papers/{paper}")
    expect(mod.locator(".hidden-banner")).to_have_count(0)
    visitor.goto(site.url + "/")
    expect(paper_row(visitor, paper)).to_have_count(1)
    assert paper in {
        item["paper"]["id"] for item in visitor.request.get(f"{site.url}/api/daily_papers").json()
    }
    mod.goto(site.url + "/moderation")
    log = mod.locator("table tbody")
    expect(log.locator("tr").nth(0)).to_contain_text("unhide paper")
    expect(log.locator("tr").nth(1)).to_contain_text("hide paper")
    expect(log.locator("tr").nth(1)).to_contain_text("duplicate listing")


def test_a_lab_of_six_behind_one_address_signs_in_and_comments(site: Site, new_page: NewPage) -> None:
    """Every browser here comes from 127.0.0.1, as a lab's members come from its one public address:
    six sign in within the hour, and one member's comments do not use up another's."""
    lab = [new_page() for _ in range(6)]
    members = [sign_in(page, site, f"member{n}@lab.example.org") for n, page in enumerate(lab)]
    ana, ben = lab[0], lab[1]
    paper = f"{site.url}/papers/{CATALOG[1]}"

    def comment(page: playwright.Page, text: str) -> None:
        page.goto(paper)
        page.fill("#new-comment", text)
        page.get_by_role("button", name="Post comment").click()
        page.wait_for_load_state()

    for n in range(site.settings.comment_rate_limit):
        comment(ana, f"Note {n} on the method.")
        expect(ana.locator("#comments")).to_contain_text(f"Note {n} on the method.")
    with ana.expect_response(lambda answer: answer.request.method == "POST") as refused:
        comment(ana, "A *long* thought I do not want to type again.")
    assert refused.value.status == 429
    expect(ana.locator("h1")).to_have_text("Slow down")
    expect(ana.get_by_role("alert")).to_contain_text(
        re.compile(r"^Too many requests in a short time\. Try again")
    )
    expect(ana.locator("header.site .me")).to_have_text(members[0].display_name)
    kept = ana.get_by_label("Your comment")
    expect(kept).to_have_value("A *long* thought I do not want to type again.")
    screenshot(ana, "community-rate-limited-keeps-the-comment")
    ana.get_by_role("link", name="Back to the page you were on").click()
    ana.wait_for_url(paper)

    comment(ben, "Ben's first comment of the day.")
    expect(ben.locator("#comments article.comment").last).to_contain_text("Ben's first comment of the day.")
    expect(ben.locator("#comments article.comment").last.locator(".meta a")).to_have_text(
        members[1].display_name
    )


def test_a_member_is_told_whom_a_link_signs_in_and_what_settings_were_saved(
    site: Site, new_page: NewPage
) -> None:
    fay = new_page()
    fay.goto(sign_in_link(fay, site, "Fay@Example.org"))
    expect(fay.locator("main")).to_contain_text("This link signs you in as fay@example.org.")
    fay.get_by_role("button", name="Sign in to Daily Papers").click()
    fay.wait_for_url(site.url + "/")

    fay.goto(site.url + "/settings")
    fay.get_by_label("Categories you follow").fill("computer vision, cs.XX")
    fay.get_by_role("button", name="Save", exact=True).click()
    expect(fay.get_by_role("alert")).to_contain_text(
        "Nothing was saved. These are not arXiv categories: “computer vision” (did you mean cs.CV"
    )
    expect(fay.get_by_label("Categories you follow")).to_have_value("computer vision, cs.XX")
    screenshot(fay, "settings-unknown-category")
    assert site.user("fay@example.org").followed_categories == []

    fay.get_by_label("Categories you follow").fill("cs.cv, cs.CL")
    fay.get_by_role("button", name="Save", exact=True).click()
    expect(fay.get_by_role("status")).to_have_text("Saved.")
    expect(fay.get_by_label("Categories you follow")).to_have_value("cs.CL cs.CV")
    assert site.user("fay@example.org").followed_categories == ["cs.CL", "cs.CV"]
