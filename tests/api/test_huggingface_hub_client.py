"""The real ``huggingface_hub`` client, pointed at our server, reads our API as it reads the Hub's."""

import datetime as dt

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError


@pytest.fixture(scope="module")
def hub(live_server: str) -> HfApi:
    return HfApi(endpoint=live_server, token=False)


def test_list_daily_papers(hub: HfApi) -> None:
    papers = list(hub.list_daily_papers(date="2025-08-11"))
    assert [paper.id for paper in papers] == ["2508.00002", "2508.00005"]
    paper = papers[0]
    assert paper.title == "Paper 2508.00002 on α-divergences"
    assert paper.summary.startswith("We study things.")
    assert [author.name for author in paper.authors][:2] == ["Ada Lovelace", "Alan Turing"]
    assert paper.published_at == dt.datetime(2025, 8, 1, 17, 59, 33, tzinfo=dt.UTC)
    assert paper.submitted_at == dt.datetime(2025, 8, 11, tzinfo=dt.UTC)
    assert paper.submitted_by is not None and paper.submitted_by.username == "dailypapers"
    assert (paper.upvotes, paper.comments, paper.discussion_id) == (0, 0, "2508.00002")
    assert paper.github_repo == "https://github.com/org/repo"
    assert paper.ai_keywords == [] and paper.categories == ["cs.LG", "stat.ML"]


def test_list_daily_papers_by_week_month_and_page(hub: HfApi) -> None:
    assert len(list(hub.list_daily_papers(week="2025-W33"))) == 5
    assert [p.id for p in hub.list_daily_papers(month="2025-08", p=3, limit=2)] == [
        "2508.00004",
        "hep-th/9901001",
    ]


def test_paper_info(hub: HfApi) -> None:
    paper = hub.paper_info("2508.00001")
    assert paper.id == "2508.00001"
    assert paper.title == "Paper 2508.00001 on α-divergences"
    assert paper.submitted_at == dt.datetime(2025, 8, 4, tzinfo=dt.UTC)
    assert len(paper.authors or []) == 5


def test_paper_info_of_an_unknown_paper_raises_404(hub: HfApi) -> None:
    with pytest.raises(HfHubHTTPError) as raised:
        hub.paper_info("2508.99999")
    assert raised.value.response.status_code == 404


def test_read_paper_as_markdown(hub: HfApi) -> None:
    text = hub.read_paper("2508.00001")
    assert text.startswith("# Paper 2508.00001 on α-divergences\n")
    assert "**On the daily list:** 2025-08-04" in text


def test_list_papers_searches(hub: HfApi) -> None:
    papers = list(hub.list_papers(query="old style", limit=5))
    assert [paper.id for paper in papers] == ["hep-th/9901001"]
    assert papers[0].title == "Old <b>style</b> id"
    assert papers[0].submitted_at == dt.datetime(2025, 8, 4, tzinfo=dt.UTC)
    assert len(list(hub.list_papers(query="divergences", limit=4))) == 4
