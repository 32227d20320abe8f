"""Building the emails the site sends: one recipient each, plain text with an optional HTML part.

A message is encoded to its bytes once, where it is built: a digest sender builds thousands a
minute, and the ``email`` package's header objects and flattening cost more than rendering them
(bench/digest_send.py). Headers are written as they are when they are plain ASCII and only fall
back to the ``email`` package's folding and RFC 2047 encoding when they are not.
"""

from __future__ import annotations

import binascii
import datetime as dt
import email.policy
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parseaddr

# RFC 5322 field names: printable ASCII except the colon.
_FIELD_NAME = re.compile(r"[!-9;-~]+")
#: Longest header line written as it is (RFC 5322 allows 998 characters).
_LONGEST_LINE = 900
_LINE_ENDS = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class OutgoingMail:
    """A message as it goes on the wire: envelope addresses and the encoded bytes (CRLF lines)."""

    sender: str
    recipient: str
    data: bytes
    #: The addresses are not ASCII: the server must offer SMTPUTF8 (RFC 6531).
    smtputf8: bool = False

    def parsed(self) -> EmailMessage:
        """The message as a mail client reads it (for previews and tests), with local line ends."""
        parser = BytesParser(_class=EmailMessage, policy=email.policy.default)
        return parser.parsebytes(self.data.replace(b"\r\n", b"\n"))  # type: ignore[return-value]


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
) -> OutgoingMail:
    """An email ready for any transport; ``message_id`` lets a caller that retries keep one id.

    Values come from users (names, addresses, paper titles), so a line break in any header is refused
    rather than folded: it could otherwise smuggle in headers such as Bcc.
    """
    sender_address, recipient = parseaddr(sender)[1], parseaddr(to)[1]
    domain = sender_address.rpartition("@")[2] or "localhost"
    fields = {
        "From": sender,
        "To": to,
        "Subject": subject,
        "Date": format_datetime(dt.datetime.now(dt.UTC)),
        "Message-ID": message_id or make_msgid(domain=domain),
        **(headers or {}),
    }
    smtputf8 = not (sender_address.isascii() and recipient.isascii())
    policy = email.policy.SMTPUTF8 if smtputf8 else email.policy.SMTP
    lines = [_header_line(name, value, policy) for name, value in fields.items()]
    lines.append("MIME-Version: 1.0\r\n")
    if html is None:
        body = _text_part("plain", text)
    else:
        # "=_" cannot occur in quoted-printable text, so the boundary cannot occur in the parts.
        boundary = f"=_{secrets.token_hex(12)}"
        lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n')
        body = (
            f"\r\n--{boundary}\r\n".encode()
            + _text_part("plain", text)
            + f"\r\n--{boundary}\r\n".encode()
            + _text_part("html", html)
            + f"\r\n--{boundary}--\r\n".encode()
        )
    head = "".join(lines).encode("utf-8" if smtputf8 else "ascii")
    return OutgoingMail(sender_address, recipient, head + body, smtputf8)


def _header_line(name: str, value: str, policy: email.policy.EmailPolicy[EmailMessage]) -> str:
    if not _FIELD_NAME.fullmatch(name):
        raise ValueError(f"not a valid header name: {name!r}")
    if "\r" in value or "\n" in value:
        raise ValueError(f"line break in the {name} header")
    if value.isascii() and len(name) + len(value) < _LONGEST_LINE:
        return f"{name}: {value}\r\n"
    return policy.fold_binary(name, policy.header_factory(name, value)).decode()


def _text_part(subtype: str, content: str) -> bytes:
    """A UTF-8 text part in quoted-printable: readable where it is ASCII, and lines stay short."""
    crlf = _LINE_ENDS.sub("\r\n", content)
    if not crlf.endswith("\r\n"):
        crlf += "\r\n"
    encoded = binascii.b2a_qp(crlf.encode(), istext=True)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + encoded
