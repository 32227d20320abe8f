"""What the real ``huggingface_hub`` client reads from a lab's week: every field it knows, the trending
order over a whole period, dates given as timestamps, and the pages it asks for by address."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi

from lab_week import POPULAR, UNDATED


@pytest.fixture(scope="module")
def hub(lab_week: str) -> HfApi:
    return HfApi(endpoint=lab_week, token=False)


def test_every_item_says_when_it_was_listed_and_published(hub: HfApi) -> None:
    papers = {paper.id: paper for paper in hub.list_daily_papers(date="2026-05-20")}
    undated = papers[UNDATED]
    assert undated.submitted_at == dt.datetime(2026, 5, 20, tzinfo=dt.UTC)
    assert undated.published_at == undated.submitted_at, "no arXiv date: the listing time"
    dated = papers["2605.00003"]
    assert dated.published_at == dt.datetime(2025, 8, 1, 17, 59, 33, tzinfo=dt.UTC)
    assert dated.submittedOnDailyAt == "2026-05-20T00:00:00.000Z"  # type: ignore[attr-defined]


def test_trending_ranks_the_whole_week_by_score(hub: HfApi) -> None:
    ranked = [paper.id for paper in hub.list_daily_papers(week="2026-W21", sort="trending")]
    assert ranked[:2] == [POPULAR, "2605.00003"], "Monday's paper with three votes leads the week"
    by_day = [paper.id for paper in hub.list_daily_papers(week="2026-W21")]
    assert by_day[:2] == ["2605.00003", UNDATED], "the default order stays newest day first"


def test_a_day_can_be_named_by_a_timestamp(hub: HfApi) -> None:
    by_timestamp = [paper.id for paper in hub.list_daily_papers(date="2026-05-20T00:00:00.000Z")]
    assert by_timestamp == [paper.id for paper in hub.list_daily_papers(date="2026-05-20")]
    assert len(by_timestamp) == 2


def test_paper_info_fills_the_fields_the_client_knows(hub: HfApi) -> None:
    paper = hub.paper_info(UNDATED)
    assert paper.comments == 1
    assert paper.project_page == "https://lab.example.org/undated"
    assert (paper.linked_models, paper.linked_datasets, paper.linked_spaces) == ([], [], [])
    assert (paper.num_total_models, paper.num_total_datasets) == (0, 0)
    assert paper.numTotalSpaces == 0  # type: ignore[attr-defined]
    assert paper.mediaUrls == []  # type: ignore[attr-defined]
    assert paper.ai_keywords == [] and paper.organization is None and paper.github_stars is None
    author = (paper.authors or [])[0]
    assert (author.name, author.user, author.status, author.status_last_changed_at) == (
        "Ada Lovelace",
        None,
        None,
        None,
    )


def test_thumbnails_are_addresses_that_answer(hub: HfApi, lab_week: str) -> None:
    (paper, *_) = hub.list_daily_papers(date="2026-05-18")
    thumbnail = paper.thumbnail  # type: ignore[attr-defined]
    assert thumbnail.startswith(lab_week + "/")
    answer = httpx.get(thumbnail)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")


def test_a_page_of_daily_papers_holds_as_many_as_on_the_hub(lab_week: str) -> None:
    """``HfApi.list_daily_papers`` documents the Hub's default page as 50 papers."""
    schema = httpx.get(f"{lab_week}/openapi.json").json()
    parameters = schema["paths"]["/api/daily_papers"]["get"]["parameters"]
    (limit,) = [parameter for parameter in parameters if parameter["name"] == "limit"]
    assert limit["schema"]["default"] == 50


def test_the_paper_page_answers_markdown_to_who_asks(lab_week: str) -> None:
    answer = httpx.get(f"{lab_week}/papers/{POPULAR}", headers={"Accept": "text/markdown"})
    assert answer.headers["content-type"].startswith("text/markdown")
    assert answer.text.startswith("# Attention for labs\n")
    assert httpx.get(f"{lab_week}/papers/{POPULAR}").headers["content-type"].startswith("text/html")
    unknown = httpx.get(f"{lab_week}/papers/2605.09999", headers={"Accept": "text/markdown"})
    assert unknown.status_code == 404


def test_the_hubs_trending_address_shows_the_trending_page(lab_week: str) -> None:
    answer = httpx.get(f"{lab_week}/papers/trending")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "Attention for labs" in answer.text


def test_hf_papers_ls_shows_when_each_paper_was_published(lab_week: str, tmp_path: Path) -> None:
    """The ``hf`` command line, pointed at the site through ``HF_ENDPOINT``."""
    environment = {
        **os.environ,
        "HF_ENDPOINT": lab_week,
        "HF_HOME": str(tmp_path),
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "hf"), "papers", "ls", "--date", "2026-05-20", "--format", "json"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows["2605.00003"]["published_at"].startswith("2025-08-01")
    assert rows[UNDATED]["published_at"].startswith("2026-05-20")
    assert rows[UNDATED]["submitted_at"].startswith("2026-05-20")
