"""Fixtures for the ingestion paths that talk to arXiv: a fake arXiv server and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_arxiv import FakeArxiv

from dailypapers.settings import Settings


@pytest.fixture
def fake_arxiv() -> Iterator[FakeArxiv]:
    """A fake arXiv (API and OAI-PMH) on 127.0.0.1, serving tests/fixtures/arxiv; stopped after the test."""
    with FakeArxiv() as server:
        yield server


@pytest.fixture
def arxiv_settings(settings: Settings, fake_arxiv: FakeArxiv) -> Settings:
    """Settings whose arXiv endpoints are the fake's, with no pause between requests."""
    return settings.model_copy(
        update={
            "arxiv_api_url": fake_arxiv.api_url,
            "arxiv_oai_url": fake_arxiv.oai_url,
            "arxiv_delay_seconds": 0,
        }
    )


@pytest.fixture
def data_dir(tmp_path: Path, fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of the ``dailypapers ingest`` commands: a data dir and the fake arXiv."""
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("DAILYPAPERS_ARXIV_API_URL", fake_arxiv.api_url)
    monkeypatch.setenv("DAILYPAPERS_ARXIV_OAI_URL", fake_arxiv.oai_url)
    monkeypatch.setenv("DAILYPAPERS_ARXIV_DELAY_SECONDS", "0")
    return tmp_path / "cli-data"
