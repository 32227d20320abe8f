"""The subscribe box on the home page: stores the address once, answers alike for every address,
lets a person come back after unsubscribing, CSRF-protected and rate-limited per address and client."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dailypapers.db.engine import create_db_engine
from dailypapers.mail.transport import MaildirTransport
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from factories import form_token


@pytest.fixture
def settings_with_limit(settings: Settings) -> Settings:
    return settings.model_copy(update={"subscribe_rate_limit": 3, "subscribe_client_rate_limit": 5})


@pytest.fixture
def browser(settings_with_limit: Settings) -> TestClient:
    return TestClient(create_app(settings_with_limit))


def stored_addresses(settings: Settings) -> list[tuple[str, str]]:
    with create_db_engine(settings).connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text("select email, frequency from subscribers"))]


def mails_to(settings: Settings, address: str) -> list[str]:
    return [
        m.get_content()
        for m in MaildirTransport(settings.data_dir / "maildir").messages()
        if m["To"] == address
    ]


def test_an_address_is_stored_once_and_mailed_once_an_hour(
    browser: TestClient, settings_with_limit: Settings
) -> None:
    token = form_token(browser)
    first = browser.post(
        "/digest/subscribe", data={"email": "Ada@Example.ORG", "frequency": "weekly", "csrf_token": token}
    )
    assert first.status_code == 200
    assert "we sent a message to <strong>ada@example.org</strong>" in first.text
    again = browser.post("/digest/subscribe", data={"email": " ada@example.org ", "csrf_token": token})
    assert again.status_code == 200 and answer_text(again) == answer_text(first)
    assert stored_addresses(settings_with_limit) == [("ada@example.org", "weekly")]
    [mail] = mails_to(settings_with_limit, "ada@example.org")  # one confirmation, not two
    assert "/digest/confirm/" in mail


def answer_text(answer: object) -> str:
    """What a subscribe answer says, without the page's form token."""
    return re.sub(r'value="[^"]+" name="csrf_token"|name="csrf_token" value="[^"]+"', "", answer.text)  # type: ignore[attr-defined]


def test_the_answer_tells_no_one_whether_an_address_is_subscribed(
    browser: TestClient, settings_with_limit: Settings
) -> None:
    """A stranger typing addresses into the box learns nothing: the owner of a subscribed address
    gets a mail with the way to their preferences instead."""
    browser.post("/digest/subscribe", data={"email": "old@example.org", "csrf_token": form_token(browser)})
    browser.post(confirmation_link(settings_with_limit, "old@example.org"))
    with create_db_engine(settings_with_limit).begin() as connection:  # an hour later
        connection.execute(sa.text("update subscribers set confirmation_sent_at = '2020-01-01 00:00:00'"))

    stranger = TestClient(browser.app)
    token = form_token(stranger)
    answers = {
        address: answer_text(stranger.post("/digest/subscribe", data={"email": address, "csrf_token": token}))
        for address in ("old@example.org", "new@example.org")
    }
    assert answers["old@example.org"] == answers["new@example.org"].replace(
        "new@example.org", "old@example.org"
    )
    assert "is already subscribed" not in answers["old@example.org"]
    [note] = [text for text in mails_to(settings_with_limit, "old@example.org") if "It already" in text]
    assert "/digest/preferences/" in note
    api = [
        stranger.post("/api/digest/subscribe", json={"email": address}).json()["status"]
        for address in ("old@example.org", "other@example.org")
    ]
    assert api[0] == api[1]


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "<script>alert(1)</script>@x.org", ""])
def test_a_bad_address_is_refused_and_nothing_is_stored(
    browser: TestClient, settings_with_limit: Settings, email: str
) -> None:
    answer = browser.post("/digest/subscribe", data={"email": email, "csrf_token": form_token(browser)})
    assert answer.status_code == 400
    assert re.search(r'class="error" role="alert">[A-Z]', answer.text), "a sentence says why"
    assert "<script>alert(1)</script>" not in answer.text
    assert stored_addresses(settings_with_limit) == []


def test_a_post_without_the_sites_token_is_refused(
    browser: TestClient, settings_with_limit: Settings
) -> None:
    form_token(browser)  # the browser has its cookie...
    forged = browser.post("/digest/subscribe", data={"email": "eve@example.org", "csrf_token": "forged"})
    assert forged.status_code == 403
    missing = browser.post("/digest/subscribe", data={"email": "eve@example.org"})
    assert missing.status_code == 403
    other_browser = TestClient(browser.app)
    stolen = other_browser.post(
        "/digest/subscribe", data={"email": "eve@example.org", "csrf_token": form_token(browser)}
    )
    assert stolen.status_code == 403, "a token is only good with the cookie it was made for"
    assert stored_addresses(settings_with_limit) == []


def test_subscriptions_are_limited_per_address_and_generously_per_client(browser: TestClient) -> None:
    token = form_token(browser)

    def subscribe(email: str) -> int:
        return browser.post("/digest/subscribe", data={"email": email, "csrf_token": token}).status_code

    assert [subscribe("ada@example.org") for _ in range(4)] == [200, 200, 200, 429]
    assert subscribe("bob@example.org") == 200, "another address has its own limit"
    assert subscribe("cy@example.org") == 429, "five from one client in an hour"
    limited = browser.post("/digest/subscribe", data={"email": "Dee@example.org", "csrf_token": token})
    assert 3000 < int(limited.headers["Retry-After"]) <= 3600
    assert re.search(r"Too many requests in a short time. Try again in (59|60) minutes.", limited.text)
    assert 'value="Dee@example.org"' in limited.text, "the address typed is kept, ready to send again"


def test_the_secret_is_generated_once_and_kept_private(settings: Settings) -> None:
    create_app(settings)
    secret = Path(settings.data_dir) / "secret_key"
    assert secret.stat().st_mode & 0o777 == 0o600
    first = secret.read_text()
    create_app(settings)
    assert secret.read_text() == first


def confirmation_link(settings: Settings, address: str | None = None) -> str:
    """The link of a confirmation mail (to ``address``); while the subscription waits, any of them works."""
    mails = MaildirTransport(settings.data_dir / "maildir").messages()
    texts = [m.get_content() for m in mails if address is None or m["To"] == address]
    links = [
        match.group(1)
        for t in texts
        if (match := re.search(r"http://127\.0\.0\.1:8000(/digest/confirm/\S+)", t))
    ]
    assert links, texts
    return links[0]


def subscriber_state(settings: Settings) -> tuple[bool, bool]:
    with create_db_engine(settings).connect() as connection:
        confirmed, left = connection.execute(
            sa.text("select confirmed_at, unsubscribed_at from subscribers")
        ).one()
    return confirmed is not None, left is not None


def test_confirming_then_unsubscribing_in_one_click(
    browser: TestClient, settings_with_limit: Settings
) -> None:
    browser.post("/digest/subscribe", data={"email": "ada@example.org", "csrf_token": form_token(browser)})
    link = confirmation_link(settings_with_limit)
    assert "Confirm my subscription" in browser.get(link).text  # a mail scanner's GET changes nothing
    assert subscriber_state(settings_with_limit) == (False, False)
    confirmed = browser.post(link)
    assert "Confirmed" in confirmed.text and subscriber_state(settings_with_limit) == (True, False)
    manage = re.search(r'href="/digest/preferences/([^"]+)"', confirmed.text)
    assert manage is not None
    stranger = TestClient(browser.app)  # a mail provider's one-click POST: no cookies, no CSRF token
    answer = stranger.post(
        f"/digest/unsubscribe/{manage.group(1)}",
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200 and "You are unsubscribed" in answer.text
    assert subscriber_state(settings_with_limit) == (True, True)


def test_preferences_change_by_the_mailed_link(browser: TestClient, settings_with_limit: Settings) -> None:
    browser.post("/digest/subscribe", data={"email": "bo@example.org", "csrf_token": form_token(browser)})
    confirmed = browser.post(confirmation_link(settings_with_limit)).text
    manage = re.search(r'href="(/digest/preferences/[^"]+)"', confirmed)
    assert manage is not None
    token = form_token(browser, manage.group(1))
    saved = browser.post(
        manage.group(1), data={"frequency": "weekly", "categories": "cs.CV, cs.CL", "csrf_token": token}
    )
    assert "Saved." in saved.text
    bad = browser.post(manage.group(1), data={"categories": "<b>x</b>", "csrf_token": token})
    assert bad.status_code == 400 and "<b>x</b>" not in bad.text
    with create_db_engine(settings_with_limit).connect() as connection:
        row = connection.execute(sa.text("select frequency, categories from subscribers")).one()
    assert row[0] == "weekly" and "cs.CL" in row[1] and "cs.CV" in row[1]


@pytest.mark.parametrize(
    "path", ["/digest/confirm/forged", "/digest/unsubscribe/MQ.forged", "/digest/preferences/x"]
)
def test_forged_links_are_400_and_change_nothing(browser: TestClient, path: str) -> None:
    answer = browser.post(path) if "preferences" not in path else browser.get(path)
    assert answer.status_code == 400 and "not one we sent" in answer.text


def test_the_api_subscribes_with_double_opt_in(browser: TestClient, settings_with_limit: Settings) -> None:
    answer = browser.post("/api/digest/subscribe", json={"email": "Api@Example.org", "frequency": "weekly"})
    assert answer.status_code == 202
    assert answer.json() == {"email": "api@example.org", "status": "check your inbox"}
    assert browser.post("/api/digest/subscribe", json={"email": "nope"}).status_code == 400
    nonsense = browser.post(
        "/api/digest/subscribe", json={"email": "x@example.org", "categories": ["nonsense"]}
    )
    assert nonsense.status_code == 400 and "“nonsense”" in nonsense.json()["error"]
    assert stored_addresses(settings_with_limit) == [("api@example.org", "weekly")]


def unsubscribed_reader(browser: TestClient, settings: Settings, email: str) -> str:
    """Subscribe ``email``, confirm, unsubscribe; returns the preferences path of the digest's links."""
    browser.post("/digest/subscribe", data={"email": email, "csrf_token": form_token(browser)})
    confirmed = browser.post(confirmation_link(settings, email)).text
    manage = re.search(r'href="(/digest/preferences/([^"]+))"', confirmed)
    assert manage is not None
    browser.post(f"/digest/unsubscribe/{manage.group(2)}")
    assert subscriber_state(settings) == (True, True)
    return manage.group(1)


def test_after_unsubscribing_subscribing_again_sends_a_real_confirmation(
    browser: TestClient, settings_with_limit: Settings
) -> None:
    unsubscribed_reader(browser, settings_with_limit, "ada@example.org")
    again = browser.post(
        "/digest/subscribe", data={"email": "ada@example.org", "csrf_token": form_token(browser)}
    )
    assert "we sent a message to <strong>ada@example.org</strong>" in again.text
    confirmations = [
        text for text in mails_to(settings_with_limit, "ada@example.org") if "/digest/confirm/" in text
    ]
    assert len(confirmations) == 2, "the second subscription has its own confirmation, sent at once"
    assert subscriber_state(settings_with_limit) == (False, False)
    browser.post(confirmation_link(settings_with_limit, "ada@example.org"))
    assert subscriber_state(settings_with_limit) == (True, False)


def test_the_preferences_of_an_unsubscribed_address_offer_to_subscribe_again(
    browser: TestClient, settings_with_limit: Settings
) -> None:
    preferences = unsubscribed_reader(browser, settings_with_limit, "bo@example.org")
    page = browser.get(preferences).text
    assert "This address receives no digest: it unsubscribed." in page and "Subscribe again" in page
    answer = browser.post(
        preferences,
        data={"frequency": "weekly", "categories": "cs.CL", "csrf_token": form_token(browser, preferences)},
    )
    assert "Saved." not in answer.text
    assert "we sent a message to <strong>bo@example.org</strong>" in answer.text
    confirmations = [
        text for text in mails_to(settings_with_limit, "bo@example.org") if "/digest/confirm/" in text
    ]
    assert len(confirmations) == 2
    browser.post(confirmation_link(settings_with_limit, "bo@example.org"))
    assert subscriber_state(settings_with_limit) == (True, False)
    with create_db_engine(settings_with_limit).connect() as connection:
        row = connection.execute(sa.text("select frequency, categories from subscribers")).one()
    assert row[0] == "weekly" and "cs.CL" in row[1]


def test_preferences_accept_only_arxiv_categories_and_keep_what_was_typed(
    browser: TestClient, settings_with_limit: Settings
) -> None:
    browser.post("/digest/subscribe", data={"email": "cy@example.org", "csrf_token": form_token(browser)})
    confirmed = browser.post(confirmation_link(settings_with_limit)).text
    manage = re.search(r'href="(/digest/preferences/[^"]+)"', confirmed)
    assert manage is not None
    token = form_token(browser, manage.group(1))
    refused = browser.post(
        manage.group(1), data={"frequency": "weekly", "categories": "cs.CV nonsense", "csrf_token": token}
    )
    assert refused.status_code == 400
    assert "Nothing was saved. This is not an arXiv category: “nonsense”." in refused.text
    assert 'value="cs.CV nonsense"' in refused.text and '<option value="weekly" selected>' in refused.text
    with create_db_engine(settings_with_limit).connect() as connection:
        row = connection.execute(sa.text("select frequency, categories from subscribers")).one()
    assert row[0] == "daily" and "cs.CV" not in row[1]
    saved = browser.post(
        manage.group(1), data={"frequency": "weekly", "categories": "cs.cv", "csrf_token": token}
    )
    assert "Saved." in saved.text and 'value="cs.CV"' in saved.text
