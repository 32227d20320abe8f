"""Who a request comes from, for the per-client limits: the connecting address, or behind a trusted
reverse proxy the address that proxy reports, never what a client claims about itself."""

from __future__ import annotations

import pytest
from fastapi import Request
from pydantic import ValidationError

from dailypapers.settings import Settings
from dailypapers.web.security import ClientAddresses

PROXY = "10.0.0.5"


def request_from(peer: str, **headers: str) -> Request:
    raw = [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "client": (peer, 40000), "headers": raw})


@pytest.mark.parametrize(
    ("peer", "headers", "client"),
    [
        # No proxy configured: the headers are anybody's to write.
        ("203.0.113.7", {"x_forwarded_for": "198.51.100.1"}, "203.0.113.7"),
        # From the proxy: the address it appended, whatever the client wrote before it.
        (PROXY, {"x_forwarded_for": "1.1.1.1, 198.51.100.1"}, "198.51.100.1"),
        (PROXY, {"x_forwarded_for": "198.51.100.1:5123"}, "198.51.100.1"),
        # Through two trusted proxies: the first address that is not one of them.
        (PROXY, {"x_forwarded_for": "198.51.100.1, 10.0.0.9"}, "198.51.100.1"),
        # RFC 7239, with a quoted IPv6 address and port; an IPv6 client counts as its /64.
        (
            PROXY,
            {"forwarded": 'for=198.51.100.1;proto=https, for="[2001:db8:1:2::7]:4711"'},
            "2001:db8:1:2::/64",
        ),
        (PROXY, {"forwarded": "For=198.51.100.2"}, "198.51.100.2"),
        # A proxy that says nothing: the proxy itself is the client, the safe side.
        (PROXY, {}, PROXY),
    ],
)
def test_the_client_is_read_from_trusted_proxies_only(
    peer: str, headers: dict[str, str], client: str
) -> None:
    trusted = ["10.0.0.0/24"] if peer == PROXY else []
    assert ClientAddresses(trusted).of(request_from(peer, **headers)) == client


def test_trusted_proxies_come_from_the_environment_and_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8 ::1")
    assert Settings().trusted_proxies == ["127.0.0.1", "10.0.0.0/8", "::1"]
    monkeypatch.delenv("DAILYPAPERS_TRUSTED_PROXIES")
    assert Settings().trusted_proxies == [], "by default no header is believed"
    with pytest.raises(ValidationError, match="not an address or network"):
        Settings(trusted_proxies=["proxy.example.org"])
