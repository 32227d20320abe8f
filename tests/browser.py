"""What the browser tests share: where Chromium is, how to launch it quietly, and screenshots.

Importable from any test module (``tests/`` is on ``sys.path`` through its ``conftest.py``); it does
not import Playwright itself, so that test modules can still skip when Playwright is missing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = os.environ.get("DAILYPAPERS_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
# Without these, Chromium keeps trying to reach Google's servers, which this network refuses.
QUIET_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

#: ``pytestmark`` of every browser test module: slow, and skipped without a browser.
BROWSER_MARKS: list[Any] = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"no browser at {CHROMIUM} (scripts/ensure-chromium.sh)"
    ),
]


def launch(driver: Playwright) -> Browser:
    return driver.chromium.launch(executable_path=CHROMIUM, args=QUIET_FLAGS)


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
