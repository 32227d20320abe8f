"""A micro-cache for what every visitor sees alike: the daily lists and paper pages.

Each process keeps a rendered page for ``ttl`` seconds, so a burst of readers costs one query and
one render instead of one per request; what a page shows is at most ``ttl`` seconds old
(``DAILYPAPERS_PAGE_CACHE_SECONDS``; 0 turns it off).

A page is made by one request at a time: while it is re-made, the others get the previous copy
(or, the first time, wait for the one being made). Without that, every expiry would start dozens
of identical renders at once and stall all of them. ``lookup`` goes further for the event loop:
it never waits, and picks one caller to re-make a stale value after answering with it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from dailypapers.web.changes import ChangeSignal

Value = TypeVar("Value")


class TtlCache(Generic[Value]):
    """``cleared_with``: another cache whose ``clear`` empties this one too (the API's answers
    are cleared with the pages, so what a moderator hides leaves both at once). ``changes``: the
    signal by which a ``clear`` in one web process empties the caches of every other."""

    def __init__(
        self,
        ttl: float,
        max_entries: int = 2048,
        *,
        cleared_with: TtlCache[Any] | None = None,
        changes: ChangeSignal | None = None,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._cleared_too: list[TtlCache[Any]] = []
        if cleared_with is not None:
            cleared_with._cleared_too.append(self)
        self._entries: OrderedDict[Hashable, tuple[float, Value]] = OrderedDict()
        #: Keys being made right now, with an event set when the making ends.
        self._making: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self._changes = changes
        self._seen = changes.current() if changes is not None and ttl > 0 else 0

    def _follow_changes(self) -> None:
        """Forget every entry when another process cleared its cache since this one last looked."""
        if self._changes is None:
            return
        changes = self._changes.current()
        if changes != self._seen:
            self._seen = changes
            self._forget()

    def lookup(self, key: Hashable) -> tuple[Value | None, bool]:
        """The value for ``key`` without waiting: fresh, or stale while it is re-made, or ``None``.

        When the value is stale and nobody re-makes it yet, the caller is chosen to (the second item
        is then ``True``) and must call ``refresh``, typically after answering with the stale value.
        """
        if self.ttl <= 0:
            return None, False
        self._follow_changes()
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None, False
            if hit[0] > time.monotonic() or key in self._making:
                return hit[1], False
            self._making[key] = threading.Event()
            return hit[1], True

    def refresh(self, key: Hashable, make: Callable[[], Value]) -> Value:
        """Make and store the value for ``key``; for the caller ``lookup`` chose."""
        try:
            value = make()  # outside the lock: a slow render must not hold up other pages
            with self._lock:
                self._entries[key] = (time.monotonic() + self.ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._making.pop(key).set()

    def get_or_make(self, key: Hashable, make: Callable[[], Value]) -> Value:
        if self.ttl <= 0:
            return make()
        self._follow_changes()
        while True:
            with self._lock:
                hit = self._entries.get(key)
                making = self._making.get(key)
                if hit is not None and (hit[0] > time.monotonic() or making is not None):
                    self._entries.move_to_end(key)
                    return hit[1]
                if making is None:
                    self._making[key] = threading.Event()
                    break
            making.wait(timeout=30)  # then look again: made, or failed and ours to try
        return self.refresh(key, make)

    def clear(self) -> None:
        """Forget every page, and every entry of the caches cleared with this one: after a moderator
        hides something it must leave the pages and the API at once, on every web process."""
        if self._changes is not None and self.ttl > 0:
            self._seen = self._changes.bump()
        self._forget()

    def _forget(self) -> None:
        with self._lock:
            self._entries.clear()
        for other in self._cleared_too:
            other._forget()
