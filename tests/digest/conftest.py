"""Subscribers and a sender wired to a real SMTP server, over the topical catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dailypapers.db.write import write_session
from dailypapers.digest.render import DigestRenderer
from dailypapers.digest.sender import Sender
from dailypapers.digest.service import DigestLinks, confirm, subscribe, unsubscribe
from dailypapers.mail.transport import transport_from_settings
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from smtp_sink import SmtpServer

SECRET = "digest-test-secret"


@pytest.fixture
def mail_settings(db_settings: Settings, smtp_server: SmtpServer) -> Settings:
    return db_settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port, "smtp_starttls": False}
    )


@pytest.fixture
def make_sender(engine: sa.Engine, mail_settings: Settings) -> Callable[..., Sender]:
    def make(**changes: object) -> Sender:
        settings = mail_settings.model_copy(update=changes)
        sender = Sender(
            engine, settings, transport_from_settings(settings), DigestRenderer(settings, DigestLinks(SECRET))
        )
        sender.retry_base = sender.retry_base * 0  # retries are due at once in tests
        return sender

    return make


@pytest.fixture
def subscriber(engine: sa.Engine) -> Callable[..., int]:
    def add(email: str, *, confirmed: bool = True, left: bool = False, **preferences: object) -> int:
        with write_session(engine) as session:
            subscription = subscribe(session, email, **preferences)  # type: ignore[arg-type]
            if confirmed:
                confirm(session, subscription.subscriber_id)
            if left:
                unsubscribe(session, subscription.subscriber_id)
        return subscription.subscriber_id

    return add


@pytest.fixture
def digest_site(mail_settings: Settings) -> Iterator[TestClient]:
    """The site the digest's links lead to, signing with the senders' secret."""
    with TestClient(create_app(mail_settings.model_copy(update={"secret_key": SECRET}))) as client:
        yield client
