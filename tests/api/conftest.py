"""A lab's week on a served site, for the clients that read the API: the real ``huggingface_hub`` client
and the calls of third-party tools replayed from their source."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from lab_week import build_lab_week
from servers import serving


@pytest.fixture(scope="module")
def lab_week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The lab's week served by uvicorn; yields its base URL."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("lab-week") / "data")
    build_lab_week(settings)
    with serving(create_app(settings)) as url:
        yield url
