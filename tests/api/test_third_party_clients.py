"""Third-party tools pointed at the site: their HTTP calls replayed as their source makes them, reading
the fields they read.

- the Hugging Face MCP server of shreyaskarnik/huggingface-mcp-server (``src/huggingface/server.py``:
  tools ``get-paper-info`` and ``get-daily-papers``, prompt ``summarize-paper``);
- the Obsidian plugin "Paper Daily", astrajwt/obsidian-paper-daily (``src/sources/hfSource.ts``,
  ``HFSource.fetchForDate``).
"""

from typing import Any

import httpx

from lab_week import POPULAR, UNDATED


def mcp_request(base: str, endpoint: str) -> Any:
    """The MCP server's ``make_hf_request``: GET ``{api}/{endpoint}``; any failure becomes ``{"error"}``."""
    try:
        answer = httpx.get(f"{base}/api/{endpoint}", timeout=30)
        answer.raise_for_status()
        return answer.json()
    except Exception as error:  # as the MCP server does: a failure is shown, not raised
        return {"error": str(error)}


def test_mcp_paper_info_with_its_implementations(lab_week: str) -> None:
    data = mcp_request(lab_week, f"papers/{POPULAR}")
    assert "error" not in data
    assert (data["title"], data["summary"][:16]) == ("Attention for labs", "We study things.")
    assert [author["name"] for author in data["authors"]][:2] == ["Ada Lovelace", "Alan Turing"]
    implementations = mcp_request(lab_week, f"arxiv/{POPULAR}/repos")
    assert implementations == {"models": [], "datasets": [], "spaces": []}
    assert "error" in mcp_request(lab_week, "arxiv/2605.09999/repos")


def test_mcp_daily_papers(lab_week: str) -> None:
    data = mcp_request(lab_week, "daily_papers")
    assert "error" not in data
    papers = [(item["paper"]["title"], item["paper"]["authors"], item["paper"]["summary"]) for item in data]
    assert len(papers) == 2 and all(title and authors and summary for title, authors, summary in papers)


def obsidian_fetch_for_date(base: str, date: str) -> list[dict[str, Any]]:
    """``HFSource.fetchForDate``: one GET of ``daily_papers?date=``, entries without ``paper.id`` skipped,
    then sorted by upvotes, highest first."""
    entries = httpx.get(f"{base}/api/daily_papers?date={date}").json()
    assert isinstance(entries, list)
    papers = []
    for entry in entries:
        paper = entry["paper"]
        if not paper.get("id"):
            continue
        published = paper.get("publishedAt") or ""
        papers.append(
            {
                "id": f"arxiv:{paper['id'].strip()}",
                "title": paper.get("title") or "",
                "abstract": paper.get("summary") or "",
                "authors": [author["name"] for author in paper.get("authors") or [] if author.get("name")],
                "published": published,
                "hfUpvotes": paper.get("upvotes") or 0,
            }
        )
    return sorted(papers, key=lambda paper: -paper["hfUpvotes"])


def test_obsidian_daily_note(lab_week: str) -> None:
    papers = obsidian_fetch_for_date(lab_week, "2026-05-20")
    assert [paper["id"] for paper in papers] == ["arxiv:2605.00003", f"arxiv:{UNDATED}"]
    assert papers[0]["hfUpvotes"] == 1 and papers[0]["published"] == "2025-08-01T17:59:33.000Z"
    undated = papers[1]
    assert undated["published"] == "2026-05-20T00:00:00.000Z", "a date, even before arXiv's is known"
    assert undated["authors"][0] == "Ada Lovelace" and undated["abstract"].startswith("We study things.")
