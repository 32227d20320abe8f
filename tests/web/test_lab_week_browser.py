"""A lab's first week on the site, walked in Chromium with the site's default settings.

Twenty members sign in from the lab's one address (every request here comes from 127.0.0.1) by the
links the site mails them; they read page 2 of a day of 290 papers from the front page, narrow it to a
category and switch to the community's list, upvote, comment and reply; one deletes her comment and
the reply stays under "[deleted]"; a moderator, made one with ``dailypapers admin grant``, hides a
paper after confirming and undoes it; a member submits a paper the catalog lacks and the worker lists
it; and the members' tools, the ``huggingface_hub`` client and ``hf papers``, read what they did.
Three members act in a browser, the seventeen others through HTTP as a script of theirs would. The
pages are read for what they say, and screenshots at 1280 and 390 px wide go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from huggingface_hub import HfApi
from typer.testing import CliRunner

from big_day import BIG_DAY, BIG_DAY_PAPERS, BIG_DAY_PATH, UPVOTED, fill_big_day
from browser import BROWSER_MARKS, screenshot
from dailypapers.cli import app as cli
from dailypapers.community.models import User
from dailypapers.community.tasks import fetch_submissions
from dailypapers.db.engine import create_db_engine
from dailypapers.db.write import read_session
from dailypapers.mail.transport import MaildirTransport
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from dailypapers.web.members import SESSION_MEMORY_SECONDS
from fake_arxiv import FakeArxiv
from servers import free_port, serving, without_site_settings

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

pytestmark = BROWSER_MARKS

TODAY = dt.datetime.now(dt.UTC).date()
ADA, BEN, MIA = "ada@lab.example.org", "ben@lab.example.org", "mia@lab.example.org"
#: The members who only sign in and upvote, through HTTP: twenty in the lab with the three above.
SCRIPTED = [f"member{n:02d}@lab.example.org" for n in range(4, 21)]
#: Known to the fake arXiv, not to the catalog.
SUBMITTED = "2306.09299"
#: A listing of the big day the moderator hides as a duplicate (on its first page).
DUPLICATE = BIG_DAY_PAPERS[1]
#: A member's token for the real Hub, sent by their tools to whatever endpoint they point at.
HUB_TOKEN = "hf_" + "x" * 34
#: Ben's reply, with an address as long as those of shared slides are, pasted as it is.
SLIDES = (
    "https://docs.google.com/presentation/d/1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghij/edit#slide=id.p1"
)
REPLY = f"I will present the method section; the slides: {SLIDES}"
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Lab:
    """The served site, its settings and database."""

    url: str
    settings: Settings
    engine: sa.Engine

    def mails_to(self, address: str) -> list[str]:
        mails = MaildirTransport(self.settings.data_dir / "maildir").messages()
        return [mail.get_content() for mail in mails if str(mail["To"]) == address]

    def sign_in_link(self, address: str) -> str:
        """The link of the one sign-in mail ``address`` has got."""
        texts = self.mails_to(address)
        assert len(texts) == 1, f"one sign-in mail to {address}"
        found = re.search(re.escape(self.url) + r"/signin/[A-Za-z0-9._-]+", texts[0])
        assert found, texts[0]
        return found.group(0)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The big day (big_day.BIG_DAY, 290 papers) on a site with every default the operator would
    keep: rate limits, page cache, the front page's list; mail goes to its maildir, arXiv is fake."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with FakeArxiv() as arxiv, pytest.MonkeyPatch.context() as environment:
        without_site_settings(environment)
        environment.chdir(tmp_path_factory.mktemp("lab-week-cwd"))
        settings = Settings(
            data_dir=tmp_path_factory.mktemp("lab-week") / "data", public_url=url, arxiv_api_url=arxiv.api_url
        )
        fill_big_day(settings)
        engine = create_db_engine(settings)
        try:
            with serving(create_app(settings), port):
                yield Lab(url, settings, engine)
        finally:
            engine.dispose()


@pytest.fixture
def new_page(browser: playwright.Browser) -> Iterator[Callable[[int, int], playwright.Page]]:
    """``new_page(width, height)``: a member's own browser (own cookies) with a screen of that size;
    every answer of 400 or more fails the test at its end, as nothing in the walk should be refused."""
    contexts: list[playwright.BrowserContext] = []
    refused: list[str] = []

    def make(width: int, height: int) -> playwright.Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("response", lambda a: refused.append(f"{a.status} {a.url}") if a.status >= 400 else None)
        return page

    yield make
    for context in contexts:
        context.close()
    assert refused == []


def screenshots(page: playwright.Page, name: str) -> None:
    """The page as a laptop (1280 px wide) and a phone (390 px) show it, neither scrolling sideways."""
    size = page.viewport_size
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} at {width} px"
    if size:
        page.set_viewport_size(size)


def sign_in_in_browser(page: playwright.Page, lab: Lab, address: str, back_to: str = "/") -> None:
    """Sign in on the sign-in page (opened unless the page is on it) and come back to ``back_to``."""
    if not page.url.startswith(lab.url + "/signin"):
        page.goto(lab.url + "/signin")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    page.goto(lab.sign_in_link(address))
    expect(page.locator("main")).to_contain_text(f"This link signs you in as {address}.")
    page.get_by_role("button", name="Sign in to Daily Papers").click()
    page.wait_for_url(lab.url + back_to)
    expect(page.locator("header.site .me")).to_be_visible()


def form_token(answer: httpx.Response) -> str:
    found = CSRF_TOKEN.search(answer.text)
    assert found, "a form with the site's CSRF token"
    return found.group(1)


def sign_in_over_http(lab: Lab, address: str) -> httpx.Client:
    """A member's script signing in as a browser does: the form, the mailed link, its button."""
    member = httpx.Client(base_url=lab.url, timeout=10)
    token = form_token(member.get("/signin"))
    sent = member.post("/signin", data={"csrf_token": token, "email": address})
    assert sent.status_code == 200 and "Check your inbox" in sent.text
    link = lab.sign_in_link(address)
    signed_in = member.post(link, data={"csrf_token": form_token(member.get(link))})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    return member


def upvote_over_http(member: httpx.Client, paper_id: str) -> None:
    """Open a paper's page and press its upvote button."""
    page = member.get(f"/papers/{paper_id}")
    form = re.search(rf'<form class="upvote" id="upvote-{paper_id}".*?</form>', page.text, re.DOTALL)
    assert form and 'aria-pressed="false"' in form.group(0)
    voted = member.post(f"/papers/{paper_id}/upvote", data={"csrf_token": form_token(page), "up": "1"})
    assert voted.status_code == 303


def subscribe_over_http(member: httpx.Client, address: str) -> str:
    """Fill the front page's subscribe box; the page that answers."""
    front = member.get("/")
    answer = member.post(
        "/digest/subscribe",
        data={"csrf_token": form_token(front), "email": address, "frequency": "daily"},
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def hf_papers(lab: Lab, home: Path, *arguments: str) -> str:
    """What ``hf papers ARGUMENTS`` prints, pointed at the site through ``HF_ENDPOINT``; the
    member's environment holds their token for the real Hub, which the client sends along."""
    environment = {
        **os.environ,
        "HF_ENDPOINT": lab.url,
        "HF_TOKEN": HUB_TOKEN,
        "HF_HOME": str(home),
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    command = [str(Path(sys.executable).parent / "hf"), "papers", *arguments]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=True, timeout=60)
    return done.stdout


def test_a_labs_first_week(lab: Lab, new_page: Callable[[int, int], playwright.Page], tmp_path: Path) -> None:
    ada, mia = new_page(1280, 800), new_page(1280, 800)
    ben = new_page(390, 844)  # on his phone

    # Monday: Ada opens the site, reads page 2 of the day from the front page, and signs in there.
    ada.goto(lab.url + "/")
    pages = ada.get_by_role("navigation", name="Pages", exact=True)
    count = pages.locator(".count")
    expect(count).to_have_text("290 papers · page 1 of 3")
    ada.get_by_role("navigation", name="More pages").get_by_role("link", name="Next page →").click()
    ada.wait_for_url(f"{lab.url}{BIG_DAY_PATH}?page=1")
    expect(count).to_have_text("290 papers · page 2 of 3")
    ada.get_by_role("navigation", name="Site").get_by_role("link", name="Sign in").click()
    sign_in_in_browser(ada, lab, ADA, back_to=f"{BIG_DAY_PATH}?page=1")
    expect(count).to_have_text("290 papers · page 2 of 3")
    expect(ada.locator("ol.papers > li")).to_have_count(100)
    screenshots(ada, "lab-week-page-2")

    # The nineteen others sign in from the lab's one address too, each by the link mailed to them.
    # Ben, on his phone, finds "Sign in" on the first screen, and his name there once signed in;
    # he reads page 2 too.
    ben.goto(lab.url + "/")
    sign_in = ben.get_by_role("navigation", name="Site").get_by_role("link", name="Sign in")
    expect(sign_in).to_be_in_viewport()
    sign_in.click()
    sign_in_in_browser(ben, lab, BEN)
    expect(ben.locator("header.site .me")).to_be_in_viewport()
    ben.get_by_role("navigation", name="More pages").get_by_role("link", name="Next page →").click()
    ben.wait_for_url(f"{lab.url}{BIG_DAY_PATH}?page=1")
    expect(ben.get_by_role("navigation", name="Pages", exact=True).locator(".count")).to_have_text(
        "290 papers · page 2 of 3"
    )
    sign_in_in_browser(mia, lab, MIA)
    scripted = [sign_in_over_http(lab, address) for address in SCRIPTED]
    with read_session(lab.engine) as session:
        signed_in = session.scalars(sa.select(User.email).where(User.email.like("%@lab.example.org"))).all()
    assert len(signed_in) == 20
    # The operator makes Mia a moderator (she has signed in once, as the command asks).
    granted = CliRunner().invoke(
        cli, ["admin", "grant", MIA], env={"DAILYPAPERS_DATA_DIR": str(lab.settings.data_dir)}
    )
    assert granted.exit_code == 0, granted.output
    granted_at = time.monotonic()

    # The lab's pick, a vision paper on page 2, shared in the lab's chat, gets the upvotes of the
    # seventeen scripted members.
    vision_row = ada.locator("li.paper", has=ada.locator(".category", has_text="cs.CV")).first
    pick = str(vision_row.locator("form.upvote").get_attribute("id")).removeprefix("upvote-")
    pick_title = vision_row.locator("h2 a").inner_text()
    for member in scripted:
        upvote_over_http(member, pick)

    # They subscribe to the daily digest from the box on the front page, all from the one address.
    for member, address in zip(scripted, SCRIPTED, strict=True):
        subscribed = subscribe_over_http(member, address)
        assert f"Check your inbox: we sent a message to <strong>{address}</strong>" in subscribed
    assert all(len(lab.mails_to(address)) == 2 for address in SCRIPTED), "a sign-in link and a confirmation"

    # Ada narrows the day to computer vision, then switches to the community's list.
    ada.get_by_label("Category").select_option("cs.CV")
    ada.get_by_role("button", name="Show").click()
    ada.wait_for_url(f"**{BIG_DAY_PATH}?category=cs.CV")
    expect(count).to_have_text("58 papers")
    ada.get_by_role("navigation", name="List").get_by_role("link", name="Community").click()
    ada.wait_for_url(f"**{BIG_DAY_PATH}?list=community&category=cs.CV")
    expect(count).to_have_text("1 paper")
    expect(ada.locator("li.paper h2 a")).to_have_text(pick_title)
    expect(ada.locator("li.paper .count")).to_have_text(str(len(SCRIPTED)))
    ada.get_by_label("Category").select_option("")
    ada.get_by_role("button", name="Show").click()
    expect(ada.locator("main")).to_contain_text("The community's list: papers members submitted or upvoted")
    expect(count).to_have_text(f"{len(UPVOTED) + 1} papers")
    expect(ada.locator("li.paper").first.locator("h2 a")).to_have_text(pick_title)
    screenshots(ada, "lab-week-community-list")

    # Ada comments on the pick; Ben replies from his phone.
    ada.locator("li.paper").first.locator("h2 a").click()
    ada.wait_for_url(f"{lab.url}/papers/{pick}")
    ada.locator("#new-comment").fill("Our reading group takes this one on Friday.")
    ada.get_by_role("button", name="Post comment").click()
    ada.wait_for_url(re.compile(r"#comment-\d+$"))
    ben.goto(f"{lab.url}/papers/{pick}")
    expect(ben.locator("#comments article.comment")).to_contain_text("Our reading group takes this one")
    ben.locator("details.reply summary", has_text="Reply").click()
    ben.locator("details.reply textarea").fill(REPLY)
    ben.get_by_role("button", name="Post reply").click()
    ben.wait_for_url(re.compile(r"#comment-\d+$"))
    expect(ben.locator("ol.replies article.comment .comment-body")).to_have_text(REPLY)
    expect(ben.locator("ol.replies .comment-body").get_by_role("link", name=SLIDES)).to_have_attribute(
        "href", SLIDES
    )

    # Ada deletes her comment after the site asks; Ben's reply stays, under "[deleted]".
    ada.reload()
    ada.locator("#comments article.comment").first.get_by_role("button", name="Delete").click()
    expect(ada.locator("h1")).to_have_text("Delete your comment?")
    screenshots(ada, "lab-week-delete-confirmation")
    ada.get_by_role("button", name="Delete comment").click()
    expect(ada.get_by_role("status")).to_have_text("Your comment is deleted.")
    ben.goto(f"{lab.url}/papers/{pick}")
    expect(ben.locator("#comments article.comment.placeholder")).to_have_text("[deleted]")
    expect(ben.locator("#comments")).not_to_contain_text("Our reading group")
    expect(ben.locator("ol.replies article.comment .comment-body")).to_have_text(REPLY)
    screenshots(ben, "lab-week-deleted-comment-keeps-the-reply")
    ada.goto(f"{lab.url}{BIG_DAY_PATH}")
    pick_row = ada.locator("li.paper", has=ada.locator(f'h2 a[href="/papers/{pick}"]'))
    expect(pick_row.locator("a.comments")).to_have_text("1 comment")
    # Ben finds his reply on his profile, through his name in the phone's header.
    ben.locator("header.site .me").click()
    ben.wait_for_url(f"{lab.url}/u/ben")
    expect(ben.locator("main .comment .meta")).to_have_text(f"On {pick_title}")
    expect(ben.locator("main .comment .comment-body")).to_have_text(REPLY)
    screenshots(ben, "lab-week-profile")

    # Mia, a moderator now, hides a duplicate listing after confirming, then undoes it.
    time.sleep(max(0.0, granted_at + SESSION_MEMORY_SECONDS - time.monotonic()))  # what the site remembers
    visitor = httpx.Client(base_url=lab.url, timeout=10)
    hub = HfApi(endpoint=lab.url, token=HUB_TOKEN)
    day = BIG_DAY.isoformat()
    assert "290 papers · page 1 of 3" in visitor.get("/").text
    assert DUPLICATE in {paper.id for paper in hub.list_daily_papers(date=day, limit=100)}
    mia.goto(f"{lab.url}/papers/{DUPLICATE}")
    mia.get_by_label("Reason").fill(f"duplicate listing of {BIG_DAY_PAPERS[0]}")
    mia.get_by_role("button", name="Hide this paper").click()
    expect(mia.locator("h1")).to_contain_text("Hide the paper")
    reason = mia.get_by_label("Reason (kept in the audit log)")
    expect(reason).to_have_value(f"duplicate listing of {BIG_DAY_PAPERS[0]}")
    assert reason.evaluate("field => field.scrollWidth <= field.clientWidth"), "the reason shows whole"
    screenshots(mia, "lab-week-hide-confirmation")
    mia.get_by_role("button", name="Hide", exact=True).click()
    mia.wait_for_url(f"{lab.url}/papers/{DUPLICATE}")
    expect(mia.locator(".hidden-banner")).to_contain_text("This paper is hidden")
    screenshots(mia, "lab-week-moderator-hid-a-paper")
    ada.goto(lab.url + "/")
    expect(count).to_have_text("289 papers · page 1 of 3")
    expect(ada.locator(f'li.paper h2 a[href="/papers/{DUPLICATE}"]')).to_have_count(0)
    assert "289 papers · page 1 of 3" in visitor.get("/").text
    assert visitor.get(f"/papers/{DUPLICATE}").status_code == 404
    assert DUPLICATE not in {paper.id for paper in hub.list_daily_papers(date=day, limit=100)}
    mia.get_by_role("button", name="Unhide this paper").click()
    mia.wait_for_url(f"{lab.url}/papers/{DUPLICATE}")
    expect(mia.locator(".hidden-banner")).to_have_count(0)
    ada.reload()
    expect(count).to_have_text("290 papers · page 1 of 3")
    expect(ada.locator(f'li.paper h2 a[href="/papers/{DUPLICATE}"]')).to_have_count(1)
    assert "290 papers · page 1 of 3" in visitor.get("/").text
    assert DUPLICATE in {paper.id for paper in hub.list_daily_papers(date=day, limit=100)}
    mia.goto(lab.url + "/moderation")
    log = mia.locator("table tbody tr")
    when = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
    expect(log.nth(0).locator("td")).to_have_text([when, "mia", "unhide paper", DUPLICATE, ""])
    expect(log.nth(1).locator("td")).to_have_text(
        [when, "mia", "hide paper", DUPLICATE, f"duplicate listing of {BIG_DAY_PAPERS[0]}"]
    )
    expect(log.nth(2).locator("td")).to_have_text([when, "operator", "grant moderator", "mia", ""])
    screenshots(mia, "lab-week-moderation-log")

    # Ben submits a paper the catalog lacks: the site answers at once, and the worker lists it.
    ben.goto(lab.url + "/submit")
    ben.get_by_label("arXiv id or URL").fill(SUBMITTED)
    ben.get_by_role("button", name="Submit", exact=True).click()
    ben.wait_for_url(f"{lab.url}/submit?fetching={SUBMITTED}")
    expect(ben.get_by_role("status")).to_have_text(
        f"Fetching {SUBMITTED} from arXiv; it will appear on today's list."
    )
    screenshots(ben, "lab-week-submission-fetching")
    assert fetch_submissions(lab.engine, lab.settings).listed == 1
    ben.reload()
    expect(ben.locator(f'ul.requested li[data-paper="{SUBMITTED}"]')).to_contain_text(
        f"is on the list of {TODAY.isoformat()}."
    )
    ben.goto(lab.url + "/")
    expect(ben.locator("h1")).to_have_text(f"{TODAY:%A}, {TODAY.day} {TODAY:%B %Y}")
    expect(ben.locator("li.paper", has=ben.locator(f'h2 a[href="/papers/{SUBMITTED}"]'))).to_contain_text(
        "submitted by ben"
    )

    # The members' tools read the week: the Hub client pages through the day, ranks it, finds today.
    assert [len(list(hub.list_daily_papers(date=day, p=p, limit=100))) for p in range(3)] == [100, 100, 90]
    (first, *_) = hub.list_daily_papers(date=day, sort="trending")
    assert (first.id, first.upvotes, first.comments) == (pick, len(SCRIPTED), 1)
    assert SUBMITTED in {paper.id for paper in hub.list_daily_papers(date=TODAY.isoformat())}
    assert [paper.id for paper in hub.list_daily_papers(submitter="ben")] == [SUBMITTED]
    info = hub.paper_info(pick)
    assert (info.upvotes, info.comments) == (len(SCRIPTED), 1)
    rows = json.loads(hf_papers(lab, tmp_path, "ls", "--date", day, "--sort", "trending", "--format", "json"))
    assert (rows[0]["id"], rows[0]["upvotes"], rows[0]["comments"]) == (pick, len(SCRIPTED), 1)
    by_ben = json.loads(hf_papers(lab, tmp_path, "ls", "--submitter", "ben", "--format", "json"))
    assert [row["id"] for row in by_ben] == [SUBMITTED]
    assert hf_papers(lab, tmp_path, "read", pick).startswith(f"# {pick_title}\n")
