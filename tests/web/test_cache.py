"""The page micro-cache makes each page once, however many readers arrive at the same moment."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dailypapers.web.cache import TtlCache


class SlowPage:
    def __init__(self) -> None:
        self.made = 0
        self.lock = threading.Lock()

    def __call__(self) -> str:
        with self.lock:
            self.made += 1
            version = self.made
        time.sleep(0.2)
        return f"page {version}"


def read_together(cache: TtlCache[str], make: SlowPage, readers: int = 20) -> list[str]:
    with ThreadPoolExecutor(readers) as pool:
        return list(pool.map(lambda _: cache.get_or_make("home", make), range(readers)))


def test_readers_arriving_together_share_one_rendering() -> None:
    cache: TtlCache[str] = TtlCache(60)
    page = SlowPage()
    assert read_together(cache, page) == ["page 1"] * 20
    assert page.made == 1


def test_an_expired_page_is_remade_once_while_readers_get_the_previous_copy() -> None:
    cache: TtlCache[str] = TtlCache(0.1)
    page = SlowPage()
    cache.get_or_make("home", page)
    time.sleep(0.15)
    started = time.monotonic()
    seen = read_together(cache, page)
    assert page.made == 2
    assert seen.count("page 2") == 1 and seen.count("page 1") == 19
    assert time.monotonic() - started < 0.4  # nobody waited for more than the one rendering


def test_a_failed_rendering_is_tried_again_by_the_next_reader() -> None:
    cache: TtlCache[str] = TtlCache(60)

    def broken() -> str:
        raise LookupError("no such page")

    with pytest.raises(LookupError):
        cache.get_or_make("home", broken)
    assert cache.get_or_make("home", lambda: "fixed") == "fixed"


def test_lookup_never_waits_and_picks_one_caller_to_refresh_a_stale_value() -> None:
    cache: TtlCache[str] = TtlCache(0.05)
    assert cache.lookup("home") == (None, False)  # nothing yet: the caller makes it the slow way
    cache.get_or_make("home", lambda: "page 1")
    assert cache.lookup("home") == ("page 1", False)
    time.sleep(0.06)
    assert cache.lookup("home") == ("page 1", True)  # stale: this caller refreshes
    assert cache.lookup("home") == ("page 1", False)  # the others answer with the old copy
    assert cache.refresh("home", lambda: "page 2") == "page 2"
    assert cache.lookup("home") == ("page 2", False)
