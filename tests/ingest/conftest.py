"""Fixtures for the `dailypapers ingest` commands; the fake arXiv itself is in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_arxiv import FakeArxiv


@pytest.fixture
def data_dir(tmp_path: Path, fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of the ``dailypapers ingest`` commands: a data dir and the fake arXiv."""
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("DAILYPAPERS_ARXIV_API_URL", fake_arxiv.api_url)
    monkeypatch.setenv("DAILYPAPERS_ARXIV_OAI_URL", fake_arxiv.oai_url)
    monkeypatch.setenv("DAILYPAPERS_ARXIV_DELAY_SECONDS", "0")
    return tmp_path / "cli-data"
