"""The browser the browser tests share: Debian's Chromium, launched once per test module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser import launch


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        chromium = launch(driver)
        yield chromium
        chromium.close()
