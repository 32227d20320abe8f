"""How the site treats a Redis server that does not answer: the state it shares there (rate limits,
cleared caches, sign-outs) is a convenience of several web processes, so a process goes on without
it rather than going down with it, and leaves it alone for a while so that an unreachable server
neither holds every request for its timeout nor fills the log.
"""

from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)

#: How long one question to Redis may take: it answers a local network in well under a millisecond,
#: and a request waiting longer would cost more than what Redis gives it.
REDIS_TIMEOUT_SECONDS = 0.5


class RedisPause:
    """After Redis failed to answer, ``paused`` for ``PAUSE_SECONDS``, with one warning that says
    what goes without it (``consequence``)."""

    #: Long enough that a Redis that is down costs one timeout and one warning per process every
    #: few seconds; short enough that what it shares holds again soon after Redis is back.
    PAUSE_SECONDS = 10.0

    def __init__(self, consequence: str) -> None:
        self.consequence = consequence
        self._until = 0.0

    @property
    def paused(self) -> bool:
        return time.monotonic() < self._until

    def failed(self, error: object) -> None:
        self._until = time.monotonic() + self.PAUSE_SECONDS
        logger.warning(
            "%s for %.0f s: Redis did not answer (%s)", self.consequence, self.PAUSE_SECONDS, error
        )
