"""Every setting is documented in the README's settings table, and nothing else is."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from dailypapers.settings import Settings

README = Path(__file__).parents[1] / "README.md"


def test_readme_documents_every_setting() -> None:
    documented = set(re.findall(r"^\| `DAILYPAPERS_([A-Z_]+)` \|", README.read_text(), flags=re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_categories_come_from_the_environment_as_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_LISTING_CATEGORIES", "cs.CV, cs.CL stat.ML")
    assert Settings().listing_categories == ["cs.CV", "cs.CL", "stat.ML"]


def test_a_broken_listing_filter_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        Settings(listing_include="(unclosed")
