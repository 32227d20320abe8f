"""The JSON API through the ASGI app: shapes, periods, pagination bounds and errors."""

import pytest
from fastapi.testclient import TestClient


def test_daily_papers_default_to_the_newest_day(site: TestClient) -> None:
    items = site.get("/api/daily_papers").json()
    assert [item["paper"]["id"] for item in items] == ["2508.00003", "2508.00006", "2508.00007"]
    item = items[0]
    assert item["publishedAt"] == "2025-08-12T00:00:00.000Z"
    assert item["title"] == item["paper"]["title"] == "Paper 2508.00003 on α-divergences"
    assert item["paper"]["publishedAt"] == "2025-08-01T17:59:33.000Z"
    assert item["paper"]["authors"][0] == {
        "_id": "2508.00003-0",
        "name": "Ada Lovelace",
        "hidden": False,
        "status": None,
        "statusLastChangedAt": None,
        "user": None,
    }
    assert item["submittedBy"]["user"] == "dailypapers"
    assert item["githubRepo"] == "https://github.com/org/repo"
    assert (item["numComments"], item["paper"]["upvotes"], item["listedOn"]) == (0, 0, "2025-08-12")


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"date": "2025-08-04"}, ["2508.00001", "2508.00004", "hep-th/9901001"]),
        ({"week": "2025-W33"}, ["2508.00003", "2508.00006", "2508.00007", "2508.00002", "2508.00005"]),
        ({"month": "2025-08", "limit": 2, "p": 1}, ["2508.00007", "2508.00002"]),
        ({"date": "2025-08-05"}, []),
        ({"submitter": "someone-else"}, []),
    ],
)
def test_daily_papers_by_period_and_page(site: TestClient, params: dict[str, object], ids: list[str]) -> None:
    assert [item["paper"]["id"] for item in site.get("/api/daily_papers", params=params).json()] == ids


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date": "2025-02-30"}, "date must look like 2025-08-11"),
        ({"week": "2025-33"}, "week must look like 2025-W33"),
        ({"date": "2025-08-04", "month": "2025-08"}, "at most one of date, week and month"),
        ({"limit": 101}, "limit"),
        ({"p": -1}, "p"),
        ({"p": 500, "limit": 100}, "pages end at item 10000"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_bad_requests_are_400_with_a_message(
    site: TestClient, params: dict[str, object], message: str
) -> None:
    answer = site.get("/api/daily_papers", params=params)
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_paper_info_is_flat(site: TestClient) -> None:
    paper = site.get("/api/papers/2508.00002v2").json()
    assert paper["id"] == "2508.00002"
    assert paper["submittedOnDailyAt"] == "2025-08-11T00:00:00.000Z"
    assert paper["summary"].startswith("We study things.")
    assert paper["categories"] == ["cs.LG", "stat.ML"] and paper["version"] == 2


def test_unknown_papers_are_404_json(site: TestClient) -> None:
    for path in [
        "/api/papers/2508.99999",
        "/api/papers/garbage",
        "/api/papers/2508.99999/bibtex",
        "/papers/2508.99999.md",
    ]:
        answer = site.get(path)
        assert answer.status_code == 404, path
        assert "error" in answer.json()


def test_bibtex_export(site: TestClient) -> None:
    answer = site.get("/api/papers/hep-th/9901001/bibtex")
    assert answer.headers["content-type"].startswith("application/x-bibtex")
    assert answer.text.startswith("@misc{lovelace2025old,\n")
    assert (
        "  eprint = {hep-th/9901001},\n  archivePrefix = {arXiv},\n  primaryClass = {cs.LG}," in answer.text
    )
    assert "  author = {Ada Lovelace and Alan Turing and" in answer.text


def test_openapi_documents_the_api(site: TestClient) -> None:
    paths = site.get("/openapi.json").json()["paths"]
    assert {
        "/api/daily_papers",
        "/api/papers/search",
        "/api/papers/{arxiv_id}",
        "/api/papers/{arxiv_id}/bibtex",
        "/api/arxiv/{arxiv_id}/repos",
    } <= set(paths)
    assert "post" in paths["/api/digest/subscribe"]
    assert "/digest/subscribe" not in paths, "pages stay out of the API's description"


def test_search_answers_daily_items_best_first(site: TestClient) -> None:
    items = site.get("/api/papers/search", params={"q": "old style"}).json()
    assert [item["paper"]["id"] for item in items] == ["hep-th/9901001"]
    assert items[0]["title"] == "Old <b>style</b> id" and items[0]["listedOn"] == "2025-08-04"
    assert len(site.get("/api/papers/search", params={"q": "divergences", "limit": 3}).json()) == 3
    assert site.get("/api/papers/search", params={"q": ""}).json() == []


def test_search_by_arxiv_url(site: TestClient) -> None:
    items = site.get("/api/papers/search", params={"q": "https://arxiv.org/abs/2508.00003v1"}).json()
    assert [item["paper"]["id"] for item in items] == ["2508.00003"]


def test_search_refuses_unbounded_requests(site: TestClient) -> None:
    answer = site.get("/api/papers/search", params={"q": "a", "limit": 121})
    assert answer.status_code == 400
    assert "limit" in answer.json()["error"]


def test_search_takes_a_pasted_abstract_and_cuts_longer_input(site: TestClient) -> None:
    answer = site.get("/api/papers/search", params={"q": "second paragraph " * 200})
    assert answer.status_code == 200 and len(answer.json()) == 8
