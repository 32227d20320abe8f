"""The subscribe box on the home page: stores the address once, CSRF-protected and rate-limited."""

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
    return settings.model_copy(update={"subscribe_rate_limit": 3})


@pytest.fixture
def browser(settings_with_limit: Settings) -> TestClient:
    return TestClient(create_app(settings_with_limit))


def stored_addresses(settings: Settings) -> list[tuple[str, str]]:
    with create_db_engine(settings).connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text("select email, frequency from subscribers"))]


def test_an_address_is_stored_once_and_the_answer_is_honest(
    browser: TestClient, settings_with_limit: Settings
) -> None:
    token = form_token(browser)
    first = browser.post(
        "/digest/subscribe", data={"email": "Ada@Example.ORG", "frequency": "weekly", "csrf_token": token}
    )
    assert first.status_code == 200
    assert "we sent a message to <strong>ada@example.org</strong>" in first.text
    again = browser.post("/digest/subscribe", data={"email": " ada@example.org ", "csrf_token": token})
    assert "was sent to <strong>ada@example.org</strong> within the last hour" in again.text
    assert stored_addresses(settings_with_limit) == [("ada@example.org", "weekly")]
    mails = MaildirTransport(settings_with_limit.data_dir / "maildir").messages()
    assert [mail["To"] for mail in mails] == ["ada@example.org"]  # one confirmation, not two
    assert "/digest/confirm/" in mails[0].get_content()


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "<script>alert(1)</script>@x.org", ""])
def test_a_bad_address_is_refused_and_nothing_is_stored(
    browser: TestClient, settings_with_limit: Settings, email: str
) -> None:
    answer = browser.post("/digest/subscribe", data={"email": email, "csrf_token": form_token(browser)})
    assert answer.status_code == 400
    assert "That did not work" in answer.text
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


def test_too_many_subscriptions_from_one_client_get_429(browser: TestClient) -> None:
    token = form_token(browser)
    for n in range(3):
        assert (
            browser.post(
                "/digest/subscribe", data={"email": f"u{n}@example.org", "csrf_token": token}
            ).status_code
            == 200
        )
    limited = browser.post("/digest/subscribe", data={"email": "u4@example.org", "csrf_token": token})
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 600


def test_the_secret_is_generated_once_and_kept_private(settings: Settings) -> None:
    create_app(settings)
    secret = Path(settings.data_dir) / "secret_key"
    assert secret.stat().st_mode & 0o777 == 0o600
    first = secret.read_text()
    create_app(settings)
    assert secret.read_text() == first


def confirmation_link(settings: Settings) -> str:
    (mail,) = MaildirTransport(settings.data_dir / "maildir").messages()
    match = re.search(r"http://127\.0\.0\.1:8000(/digest/confirm/\S+)", mail.get_content())
    assert match is not None
    return match.group(1)


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
    assert answer.json() == {"email": "api@example.org", "status": "awaiting confirmation"}
    assert browser.post("/api/digest/subscribe", json={"email": "nope"}).status_code == 400
    assert stored_addresses(settings_with_limit) == [("api@example.org", "weekly")]
