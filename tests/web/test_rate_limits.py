"""Rate limits counted in this process's memory by default, and in Redis when
``DAILYPAPERS_REDIS_URL`` is set, so that every web process of a site spends one budget."""

from __future__ import annotations

import logging
import socket

import pytest
import redis

from dailypapers.settings import Settings
from dailypapers.web.security import MINUTE, LimitCounts, Limits, RateLimited, RateLimiter


def test_a_limit_refuses_until_the_oldest_action_leaves_its_window(settings: Settings) -> None:
    twice_a_minute = RateLimiter(LimitCounts(settings), "votes", 2, MINUTE)
    twice_a_minute.hit("user:1")
    twice_a_minute.hit("user:1")
    with pytest.raises(RateLimited) as refused:
        twice_a_minute.hit("user:1")
    assert refused.value.retry_after == 60, "the first vote counts for a minute"
    twice_a_minute.hit("user:2")


def test_limits_of_two_kinds_count_apart_even_with_the_same_numbers(settings: Settings) -> None:
    counts = LimitCounts(settings)
    sign_in_mails = RateLimiter(counts, "sign-in-address", 1, MINUTE)
    subscriptions = RateLimiter(counts, "subscribe-address", 1, MINUTE)
    sign_in_mails.hit("ada@example.org")
    subscriptions.hit("ada@example.org")
    with pytest.raises(RateLimited):
        sign_in_mails.hit("ada@example.org")


def test_without_redis_each_process_counts_on_its_own(settings: Settings) -> None:
    settings = settings.model_copy(update={"vote_rate_limit": 1})
    first, second = Limits(settings), Limits(settings)
    first.subscriber(7)
    second.subscriber(7)
    with pytest.raises(RateLimited):
        first.subscriber(7)


def test_with_redis_every_process_spends_one_budget(
    settings: Settings, redis_sharing: dict[str, str]
) -> None:
    settings = settings.model_copy(update={"vote_rate_limit": 3, **redis_sharing})
    first, second = Limits(settings), Limits(settings)
    first.subscriber(7)
    first.subscriber(7)
    second.subscriber(7)
    for process in (first, second):
        with pytest.raises(RateLimited) as refused:
            process.subscriber(7)
        assert refused.value.retry_after in (59, 60)
    prefix = redis_sharing["redis_prefix"]
    with redis.Redis.from_url(redis_sharing["redis_url"]) as server:
        keys = server.keys(f"{prefix}:*")
    assert keys == [f"{prefix}:limits:votes/subscriber:7/3/60/second".encode()], "several sites share a Redis"


def test_an_unreachable_redis_lets_actions_through_and_says_so(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Failing open: the site keeps working without its limits rather than going down with Redis,
    and asks Redis again only after a pause, so that the log gets one warning, not one a request."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
    limits = Limits(settings.model_copy(update={"vote_rate_limit": 1, "redis_url": url}))
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            limits.subscriber(7)
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "Rate limits not enforced for 10 s"
    ]
