"""Changes that every web process must see at its next request, whichever process made them.

Each process keeps pages and signed-in sessions in memory for a few seconds (``web/cache.py``,
``web/members.py``). When a moderator hides a paper, or a member signs out, on one server, the others
must forget too. A ``ChangeSignal`` is a counter: the process that changes something bumps it, and a
process that finds it moved since it last looked empties its memory of that kind. With
``DAILYPAPERS_REDIS_URL`` the counter lives in Redis (one GET per look, a fraction of a millisecond on
a local network); without it, in this process, as a single-machine site needs nothing more.

If Redis does not answer, a process keeps what it has (a page at most ``DAILYPAPERS_PAGE_CACHE_SECONDS``
old, a session at most ``SESSION_MEMORY_SECONDS``) and logs a warning: the memories expire on their
own, while refusing every page would take the site down with Redis.
"""

from __future__ import annotations

import threading

import redis

from dailypapers.settings import Settings
from dailypapers.web.redis_pause import REDIS_TIMEOUT_SECONDS, RedisPause


class ChangeSignal:
    def __init__(self, settings: Settings, kind: str) -> None:
        self._key = f"{settings.redis_prefix}:changes:{kind}"
        self._redis = (
            redis.Redis.from_url(
                settings.redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            if settings.redis_url
            else None
        )
        self._local = 0
        self._redis_pause = RedisPause(f"Other web processes may keep {kind} they should forget")
        self._lock = threading.Lock()

    def current(self) -> int:
        """The number of changes so far: when it moved, what was kept may be out of date."""
        if self._redis is None or self._redis_pause.paused:
            return self._local
        try:
            self._local = int(self._redis.get(self._key) or 0)
        except redis.RedisError as error:
            self._redis_pause.failed(error)
        return self._local

    def bump(self) -> int:
        """Tell every process that something of this kind changed; the number of changes now."""
        with self._lock:
            self._local += 1
        if self._redis is not None:
            try:
                self._local = int(self._redis.incr(self._key))
            except redis.RedisError as error:
                self._redis_pause.failed(error)
        return self._local
