"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests: it records what it accepts, and refuses two
chosen addresses, one for now (451) and one for good (550)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from servers import free_port


@dataclass
class RecordingHandler:
    """Accepts every recipient but two: one refused for now (451), one for good (550).

    ``peers`` holds the client end of each connection a message came over.
    """

    try_later: str = "busy@example.org"
    no_such_user: str = "nobody@example.org"
    messages: list[EmailMessage] = field(default_factory=list)
    peers: set[tuple[str, int]] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address == self.try_later:
            return "451 4.3.0 try later"
        if address == self.no_such_user:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = BytesParser(_class=EmailMessage, policy=default).parsebytes(envelope.content)
        self.messages.append(message)
        self.peers.add(session.peer)
        return "250 2.0.0 accepted"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler


def running_smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpServer("127.0.0.1", controller.port, handler)
    controller.stop()
