"""The mail transports against a real maildir and a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email
import email.utils
import mailbox
import socket
from collections import Counter
from typing import Any

import pytest

from dailypapers.mail.message import OutgoingMail, build_message
from dailypapers.mail.transport import (
    MaildirTransport,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    transport_from_settings,
)
from dailypapers.settings import Settings
from smtp_sink import SmtpServer

SENDER = "Daily Papers <papers@example.org>"


def message_to(address: str, subject: str = "Your sign-in link") -> OutgoingMail:
    return build_message(sender=SENDER, to=address, subject=subject, text=f"Hello {address}")


def test_without_an_smtp_host_mail_goes_to_the_maildir_readable(settings: Settings) -> None:
    transport = transport_from_settings(settings)
    assert isinstance(transport, MaildirTransport)
    assert transport.path == settings.data_dir / "maildir"

    transport.send(
        build_message(
            sender=SENDER,
            to="reader@example.org",
            subject="Today's papers: Ünïcode",
            text="Three new papers.",
            html="<p>Three new papers.</p>",
            headers={"List-Unsubscribe": "<https://papers.example.org/unsubscribe/abc>"},
        )
    )
    assert asyncio.run(transport.send_many([message_to("a@example.org"), message_to("b@example.org")])) == [
        None,
        None,
    ]

    assert len(list((transport.path / "new").iterdir())) == 3
    [stored] = [message for message in transport.messages() if message["To"] == "reader@example.org"]
    assert stored["From"] == SENDER
    assert stored["Subject"] == "Today's papers: Ünïcode"
    assert stored["List-Unsubscribe"] == "<https://papers.example.org/unsubscribe/abc>"
    assert stored["Message-ID"].endswith("@example.org>")
    body = stored.get_body(("plain",))
    assert body is not None
    assert body.get_content().strip() == "Three new papers."


def test_each_mail_in_the_maildir_is_an_eml_file_mail_programs_read(settings: Settings) -> None:
    transport = MaildirTransport(settings.data_dir / "maildir")
    transport.send(message_to("reader@example.org"))
    transport.send(message_to("writer@example.org"))

    files = list((transport.path / "new").iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]
    assert list((transport.path / "tmp").iterdir()) == [], "delivered files are renamed out of tmp/"
    with files[0].open("rb") as file:
        assert email.message_from_binary_file(file)["To"] in {"reader@example.org", "writer@example.org"}
    assert sorted(str(message["To"]) for message in mailbox.Maildir(transport.path)) == [
        "reader@example.org",
        "writer@example.org",
    ]


def test_build_message_offers_text_and_html_as_alternatives() -> None:
    mail = build_message(
        sender=SENDER,
        to="reader@example.org",
        subject="Sign in",
        text="Open https://papers.example.org/login/xyz",
        html='<a href="https://papers.example.org/login/xyz">Sign in</a>',
        message_id="<fixed@example.org>",
    )
    message = mail.parsed()
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and "login/xyz" in text.get_content()
    assert html is not None and "<a href=" in html.get_content()
    assert message["Message-ID"] == "<fixed@example.org>"
    assert email.utils.parsedate_to_datetime(message["Date"]).tzinfo is not None


def test_a_text_only_message_is_not_multipart() -> None:
    assert message_to("reader@example.org").parsed().get_content_type() == "text/plain"


def test_what_is_sent_reads_back_exactly_through_a_real_server(smtp_server: SmtpServer) -> None:
    """Long lines, a leading dot (SMTP's end of data), trailing spaces and non-ASCII survive the wire."""
    text = ".starts with a dot\ntrailing spaces   \n" + "é long line " * 40 + "\n"
    html = "<p>" + '<a href="https://papers.example.org/papers/2501.00001">Résumé</a> · ' * 30 + "</p>\n"
    mail = build_message(
        sender=SENDER, to="reader@example.org", subject="Naïve Bayes ▲", text=text, html=html
    )
    transport = SmtpTransport(smtp_server.host, smtp_server.port, starttls=False)

    transport.send(mail)

    [received] = smtp_server.handler.messages
    assert received["Subject"] == "Naïve Bayes ▲"
    for subtype, sent in (("plain", text), ("html", html)):
        part = received.get_body((subtype,))
        assert part is not None and part.get_content().replace("\r\n", "\n") == sent


def test_international_addresses_ask_the_server_for_smtputf8() -> None:
    assert build_message(sender=SENDER, to="léa@exämple.org", subject="Hi", text="x").smtputf8
    assert not message_to("lea@example.org").smtputf8


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "Hello\r\nBcc: victim@example.org"},
        {"to": "reader@example.org\nBcc: victim@example.org"},
        {"sender": "Eve\r <eve@example.org>"},
        {"headers": {"List-Unsubscribe": "<https://x>\nBcc: victim@example.org"}},
        {"headers": {"Bcc: victim@example.org\nX-Y": "z"}},
        {"message_id": "<a@b>\r\nBcc: victim@example.org"},
    ],
)
def test_build_message_refuses_header_injection(fields: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"sender": SENDER, "to": "reader@example.org", "subject": "Hi", "text": "x"}
    with pytest.raises(ValueError):
        build_message(**arguments | fields)


def test_a_batch_goes_over_shared_connections_each_message_once(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(smtp_server.host, smtp_server.port, starttls=False, connections=2)
    messages = [message_to(f"reader{n}@example.org", subject=f"Digest {n}") for n in range(50)]

    assert asyncio.run(transport.send_many(messages)) == [None] * 50

    received = Counter(message["Message-ID"] for message in smtp_server.handler.messages)
    assert received == Counter(message.parsed()["Message-ID"] for message in messages)
    assert len(smtp_server.handler.peers) == 2


def test_a_refused_recipient_fails_alone(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(smtp_server.host, smtp_server.port, starttls=False, connections=2)
    addresses = [
        "first@example.org",
        smtp_server.handler.try_later,
        "second@example.org",
        smtp_server.handler.no_such_user,
        "third@example.org",
    ]

    results = asyncio.run(transport.send_many([message_to(address) for address in addresses]))

    assert [type(result) for result in results] == [
        type(None),
        TemporaryFailure,
        type(None),
        PermanentFailure,
        type(None),
    ]
    assert "451" in str(results[1]) and "550" in str(results[3])
    assert sorted(message["To"] for message in smtp_server.handler.messages) == [
        "first@example.org",
        "second@example.org",
        "third@example.org",
    ]


def test_send_works_from_sync_code_and_raises_the_failure(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(smtp_server.host, smtp_server.port, starttls=False)

    transport.send(message_to("reader@example.org"))
    assert [message["To"] for message in smtp_server.handler.messages] == ["reader@example.org"]

    with pytest.raises(PermanentFailure, match="no such user"):
        transport.send(message_to(smtp_server.handler.no_such_user))
    with pytest.raises(TemporaryFailure, match="try later"):
        transport.send(message_to(smtp_server.handler.try_later))


def test_a_server_that_is_down_fails_every_message_for_now() -> None:
    with socket.socket() as nobody_listening:
        nobody_listening.bind(("127.0.0.1", 0))
        transport = SmtpTransport("127.0.0.1", nobody_listening.getsockname()[1], starttls=False)
        results = asyncio.run(transport.send_many([message_to(f"r{n}@example.org") for n in range(10)]))
        with pytest.raises(TemporaryFailure):
            transport.send(message_to("reader@example.org"))
    assert all(isinstance(result, TemporaryFailure) for result in results)


def test_a_server_that_never_answers_times_out_as_a_temporary_failure() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        transport = SmtpTransport("127.0.0.1", silent.getsockname()[1], starttls=False, timeout=0.2)
        with pytest.raises(TemporaryFailure):
            transport.send(message_to("reader@example.org"))


def test_an_smtp_host_in_the_settings_selects_smtp(settings: Settings) -> None:
    settings = settings.model_copy(
        update={"smtp_host": "mail.example.org", "smtp_username": "papers", "smtp_connections": 8}
    )
    transport = transport_from_settings(settings)
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port, transport.username, transport.connections) == (
        "mail.example.org",
        587,
        "papers",
        8,
    )
