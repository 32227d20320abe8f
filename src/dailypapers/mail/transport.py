"""Sending emails: into a local maildir by default, or through an SMTP server.

Callers (sign-in links, the digest) only see ``MailTransport`` and the two failure kinds, which tell
them whether to try a message again later or give up on it.
"""

from __future__ import annotations

import asyncio
import email.policy
import mailbox
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Sequence
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Protocol

import aiosmtplib

from dailypapers.mail.message import OutgoingMail
from dailypapers.settings import Settings


class TemporaryFailure(Exception):
    """Not sent, but may go through later (4xx reply, timeout, server unreachable)."""


class PermanentFailure(Exception):
    """Refused for good (5xx reply): sending it again would fail the same way."""


class MailTransport(Protocol):
    def send(self, message: OutgoingMail) -> None:
        """Send one message from sync code; raises ``TemporaryFailure`` or ``PermanentFailure``."""
        ...

    async def send_many(self, messages: Sequence[OutgoingMail]) -> list[Exception | None]:
        """Send a batch; one result per message, in order: None when accepted, else the failure.

        One refused message must not cost the others their delivery, hence results, not raising.
        """
        ...


def transport_from_settings(settings: Settings) -> MailTransport:
    if settings.smtp_host is None:
        return MaildirTransport(settings.data_dir / "maildir")
    return SmtpTransport(
        settings.smtp_host,
        settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        starttls=settings.smtp_starttls,
        use_tls=settings.smtp_tls,
        timeout=settings.smtp_timeout_seconds,
        connections=settings.smtp_connections,
    )


class MaildirTransport:
    """Keeps every message as a file, so a site without an SMTP server still works and can be inspected.

    Delivery follows the maildir convention: the message is written to ``tmp/`` under a unique
    name, synced, then renamed into ``new/``, so several threads and processes may deliver at once
    and a reader never sees half a message. The name ends in ``.eml`` so that a file manager opens
    it with a mail client; ``mailbox.Maildir.add`` cannot choose the name (its names end with the
    host name, ``.vm`` on some machines), hence the few lines of delivery here.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._maildir = mailbox.Maildir(path, create=True)
        # The maildir convention escapes "/" and ":" in the host part of a name.
        self._host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")

    def send(self, message: OutgoingMail) -> None:
        name = f"{int(time.time())}.{uuid.uuid4().hex}.{self._host}.eml"
        temporary, delivered = self.path / "tmp" / name, self.path / "new" / name
        try:
            with open(temporary, "xb") as file:
                # Files in a maildir have the local line ends.
                file.write(message.data.replace(b"\r\n", b"\n"))
                file.flush()
                os.fsync(file.fileno())
            os.rename(temporary, delivered)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise TemporaryFailure(f"cannot write to the maildir {self.path}: {error}") from error

    async def send_many(self, messages: Sequence[OutgoingMail]) -> list[Exception | None]:
        results: list[Exception | None] = []
        for message in messages:
            try:
                self.send(message)
            except TemporaryFailure as failure:
                results.append(failure)
            else:
                results.append(None)
        return results

    def messages(self) -> list[EmailMessage]:
        """The stored messages, in no particular order."""
        parser = BytesParser(_class=EmailMessage, policy=email.policy.default)
        return [parser.parsebytes(self._maildir.get_bytes(key)) for key in self._maildir.iterkeys()]


class SmtpTransport:
    """Sends through an SMTP server over a small pool of connections that a batch shares.

    A digest goes to many subscribers at once: reusing connections saves a TCP and TLS handshake
    and a login per message, and a few connections side by side hide the server's round trips.
    Messages are meant to have one recipient each (``build_message`` makes them so): a message
    refused for any of its recipients counts as failed.
    """

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        use_tls: bool = False,
        timeout: float = 30.0,
        connections: int = 4,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.use_tls = use_tls
        self.timeout = timeout
        self.connections = connections

    def send(self, message: OutgoingMail) -> None:
        """Run from sync code with no event loop (worker threads), hence ``asyncio.run``."""
        [result] = asyncio.run(self.send_many([message]))
        if result is not None:
            raise result

    async def send_many(self, messages: Sequence[OutgoingMail]) -> list[Exception | None]:
        results: list[Exception | None] = [None] * len(messages)
        pending = deque(range(len(messages)))
        workers = min(self.connections, len(messages))
        stops = await asyncio.gather(*(self._deliver(messages, pending, results) for _ in range(workers)))
        # Messages are left over only when every connection failed to open: they share its failure.
        for index in pending:
            results[index] = next(stop for stop in stops if stop is not None)
        return results

    async def _deliver(
        self, messages: Sequence[OutgoingMail], pending: deque[int], results: list[Exception | None]
    ) -> TemporaryFailure | None:
        """Take messages from the shared queue and send them over one connection, until none is left.

        Returns the failure that stopped it when the connection could not be (re)opened, so that a
        server that is down costs one attempt per connection rather than one per message.
        """
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.starttls and not self.use_tls,
            timeout=self.timeout,
        )
        try:
            while pending:
                if not client.is_connected:
                    try:
                        await client.connect()
                    except (aiosmtplib.SMTPException, OSError) as error:
                        # Even a 5xx here (a refused login, say) is about the server, not the recipient.
                        failure = TemporaryFailure(f"SMTP server {self.host}:{self.port}: {error}")
                        failure.__cause__ = error
                        return failure
                    if not pending:
                        break
                index = pending.popleft()
                results[index] = await _send_one(client, messages[index])
        finally:
            await _close(client)
        return None


async def _send_one(client: aiosmtplib.SMTP, message: OutgoingMail) -> Exception | None:
    try:
        refused, _ = await client.sendmail(
            message.sender,
            [message.recipient],
            message.data,
            mail_options=["SMTPUTF8"] if message.smtputf8 else [],
        )
    except (aiosmtplib.SMTPException, OSError, ValueError) as error:
        failure = _failure(error)
        failure.__cause__ = error
        return failure
    return _refusal(refused) if refused else None


def _failure(error: Exception) -> Exception:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return _refusal(
            {each.recipient: aiosmtplib.SMTPResponse(each.code, each.message) for each in error.recipients}
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        detail = f"{error.code} {error.message}"
        return PermanentFailure(detail) if error.code >= 500 else TemporaryFailure(detail)
    if isinstance(error, aiosmtplib.SMTPNotSupported | ValueError):
        # No From or To header, or an address this server cannot take: no retry will help.
        return PermanentFailure(str(error))
    return TemporaryFailure(f"SMTP connection lost: {error}")


def _refusal(refused: dict[str, aiosmtplib.SMTPResponse]) -> Exception:
    """Permanent only when every refusal is: a recipient refused for now may be accepted later."""
    detail = "; ".join(f"{recipient}: {reply.code} {reply.message}" for recipient, reply in refused.items())
    if all(reply.code >= 500 for reply in refused.values()):
        return PermanentFailure(detail)
    return TemporaryFailure(detail)


async def _close(client: aiosmtplib.SMTP) -> None:
    if client.is_connected:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()
