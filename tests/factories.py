"""Builders of test data and helpers for forms, importable from any test module (``conftest`` names collide
across folders)."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from dailypapers.papers.records import PaperRecord


def listed_paper(arxiv_id: str, day: dt.date, **changes: object) -> PaperRecord:
    fields: dict[str, object] = {
        "id": arxiv_id,
        "title": f"Paper {arxiv_id} on $\\alpha$-divergences",
        "authors": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"],
        "abstract": "We study things.\n\nA second paragraph. Code: https://github.com/org/repo",
        "categories": ["cs.LG", "stat.ML"],
        "versions": {1: dt.datetime(2025, 8, 1, 17, 59, 33), 2: dt.datetime(2025, 8, 3, 9, 0)},
        "doi": "10.1000/xyz",
        "listed_on": day,
    }
    fields.update(changes)
    return PaperRecord.build(**fields)  # type: ignore[arg-type]


def form_token(client: TestClient, path: str = "/") -> str:
    """The CSRF token of the forms on ``path``, as a browser would find it (the cookie comes along)."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match is not None, f"no form on {path}"
    return match.group(1)
