"""An HTTP session that keeps arXiv's terms: one request at a time, a pause between requests, a
User-Agent that names us, and patience when throttled (``Retry-After`` on 503 and 429).

Both arXiv clients (the ``arxiv`` package and ``sickle``) send their requests through it.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from dailypapers.settings import Settings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Longest Retry-After we honour; a server asking for more is treated as down.
MAX_RETRY_AFTER_SECONDS = 600.0


class ArxivUnavailable(RuntimeError):
    """arXiv kept refusing after every retry; the message says what it answered last."""


class PoliteSession(requests.Session):
    def __init__(
        self,
        *,
        user_agent: str,
        delay_seconds: float,
        max_retries: int,
        timeout_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.headers["User-Agent"] = user_agent
        self.delay_seconds = delay_seconds
        self.max_retries = max_retries
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_request = -float("inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> PoliteSession:
        return cls(
            user_agent=settings.user_agent,
            delay_seconds=settings.arxiv_delay_seconds,
            max_retries=settings.arxiv_max_retries,
            timeout_seconds=settings.arxiv_timeout_seconds,
        )

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        # Our User-Agent wins over one a client library sets per request.
        headers = {k: v for k, v in (kwargs.pop("headers", None) or {}).items() if k.lower() != "user-agent"}
        kwargs["headers"] = headers
        kwargs.setdefault("timeout", self.timeout_seconds)
        with self._lock:
            for attempt in range(self.max_retries + 1):
                self._wait_turn()
                try:
                    response = super().request(method, url, *args, **kwargs)
                except (requests.ConnectionError, requests.Timeout) as error:
                    if attempt == self.max_retries:
                        raise ArxivUnavailable(f"{url!s}: {error}") from error
                    self._back_off(attempt, None)
                    continue
                if response.status_code not in RETRY_STATUSES:
                    return response
                if attempt == self.max_retries:
                    raise ArxivUnavailable(f"{url!s}: HTTP {response.status_code} after {attempt + 1} tries")
                log.warning("arXiv answered %s; retrying", response.status_code)
                self._back_off(attempt, response.headers.get("Retry-After"))
        raise AssertionError("unreachable")

    def _wait_turn(self) -> None:
        wait = self._last_request + self.delay_seconds - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last_request = time.monotonic()

    def _back_off(self, attempt: int, retry_after: str | None) -> None:
        seconds = _parse_retry_after(retry_after)
        if seconds is None:
            seconds = max(self.delay_seconds, 1.0) * 2**attempt
        self._sleep(min(seconds, MAX_RETRY_AFTER_SECONDS))


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
