"""Building the emails the site sends: one recipient each, plain text with an optional HTML part."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

# RFC 5322 field names: printable ASCII except the colon.
_FIELD_NAME = re.compile(r"[!-9;-~]+")


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """An email ready for any transport; ``message_id`` lets a caller that retries keep one id.

    Values come from users (names, addresses, paper titles), so a line break in any header is refused
    rather than folded: it could otherwise smuggle in headers such as Bcc.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    fields = {
        "From": sender,
        "To": to,
        "Subject": subject,
        "Date": format_datetime(dt.datetime.now(dt.UTC)),
        "Message-ID": message_id or make_msgid(domain=domain),
    }
    message = EmailMessage()
    for name, value in [*fields.items(), *(headers or {}).items()]:
        if not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"not a valid header name: {name!r}")
        if "\r" in value or "\n" in value:
            raise ValueError(f"line break in the {name} header")
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message
