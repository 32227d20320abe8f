"""The digest end to end in Chromium: subscribe on the home page, confirm from the mail, receive the
digest (screenshots of its HTML, wide and narrow), and unsubscribe from its footer link."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from browser import BROWSER_MARKS, screenshot
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import read_session, write_session
from dailypapers.digest.editions import build_edition
from dailypapers.digest.models import Subscriber
from dailypapers.digest.render import DigestRenderer
from dailypapers.digest.sender import Sender
from dailypapers.digest.service import DigestLinks
from dailypapers.mail.transport import MaildirTransport, transport_from_settings
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.settings import Settings, site_secret
from dailypapers.web.app import create_app
from search_papers import TOPICS, paper
from servers import free_port, serving, without_site_settings

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = BROWSER_MARKS


@dataclass(frozen=True)
class Site:
    url: str
    settings: Settings
    engine: sa.Engine

    def mails(self) -> list[tuple[str, object]]:
        return [
            (str(m["Subject"]), m) for m in MaildirTransport(self.settings.data_dir / "maildir").messages()
        ]

    def subscriber(self) -> Subscriber:
        with read_session(self.engine) as session:
            found = session.scalars(sa.select(Subscriber)).one()
            session.expunge(found)
            return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as environment:
        without_site_settings(environment)
        settings = Settings(data_dir=tmp_path_factory.mktemp("digest") / "data", public_url=url)
        engine = create_db_engine(settings)
        upgrade_database(engine)
        with write_session(engine) as session:
            store_papers(session, [paper(i, *fields) for i, fields in TOPICS.items()], rules=ListingRules())
        try:
            with serving(create_app(settings), port):
                yield Site(url, settings, engine)
        finally:
            engine.dispose()


def link_in(text: str, path: str) -> str:
    match = re.search(rf"(http://127\.0\.0\.1:\d+{path}\S+)", text)
    assert match is not None, text
    return match.group(1)


def test_subscribe_confirm_receive_and_unsubscribe(site: Site, browser: playwright.Browser) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(site.url + "/")
    page.get_by_label("Email address").fill("Reader@Example.org")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("status")).to_contain_text("we sent a message to reader@example.org")

    [(subject, confirmation)] = site.mails()
    assert subject.startswith("Confirm your")
    page.goto(link_in(confirmation.get_content(), "/digest/confirm/"))  # type: ignore[attr-defined]
    assert site.subscriber().confirmed_at is None  # opening the link is not confirming
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("status")).to_contain_text("Confirmed")
    assert site.subscriber().confirmed_at is not None

    with write_session(site.engine) as session:
        build_edition(session, "daily", dt.date(2025, 1, 3), sender=site.settings.mail_from)
    renderer = DigestRenderer(site.settings, DigestLinks(site_secret(site.settings)))
    sender = Sender(site.engine, site.settings, transport_from_settings(site.settings), renderer)
    with ThreadPoolExecutor(1) as thread:  # Playwright's own event loop runs in this one
        assert thread.submit(asyncio.run, sender.send_due()).result().sent == 1
    # Nobody upvoted on this site: the digest names itself "New papers of ..." (a fresh site's digest).
    [digest] = [mail for subject, mail in site.mails() if "New papers of" in subject]
    html = digest.get_body(("html",)).get_content()  # type: ignore[attr-defined]
    for width in (1000, 375):  # a desktop client and a phone
        page.set_viewport_size({"width": width, "height": 1200})
        page.set_content(html)
        expect(
            page.get_by_role("link", name="Teaching robot arms to pick up household items")
        ).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
        screenshot(page, f"digest-{width}px")

    page.goto(link_in(digest.get_body(("plain",)).get_content(), "/digest/unsubscribe/"))  # type: ignore[attr-defined]
    assert site.subscriber().unsubscribed_at is None
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("status")).to_contain_text("You are unsubscribed")
    assert site.subscriber().unsubscribed_at is not None

    # The preferences of an unsubscribed address say so, and offer to subscribe again.
    page.get_by_role("link", name="Changed your mind? Subscribe again").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("This address receives no digest: it unsubscribed.")
    expect(page.get_by_role("button", name="Unsubscribe")).to_have_count(0)

    # Back on the home page, the same answer as the first time, and a real confirmation mail.
    page.goto(site.url + "/")
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("status")).to_contain_text("we sent a message to reader@example.org")
    confirmations = [mail for subject, mail in site.mails() if subject.startswith("Confirm your")]
    assert len(confirmations) == 2
    assert site.subscriber().unsubscribed_at is None and site.subscriber().confirmed_at is None
    page.close()
