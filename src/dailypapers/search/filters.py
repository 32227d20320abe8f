"""Narrowing a search, in SQL for both dialects: keyword and semantic candidates pass the same test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SearchFilters:
    """A category (``cs.CV``), a range of days, and part of an author's name.

    The days are those of arXiv's first version; a paper whose arXiv date is not known (listed
    before its metadata came) is dated by the first day it was listed, so that it is not lost to
    every range.
    """

    category: str | None = None
    since: dt.date | None = None
    #: Inclusive: papers submitted on this day still match.
    until: dt.date | None = None
    author: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "since": self.since.isoformat() if self.since else None,
            "until": (self.until + dt.timedelta(days=1)).isoformat() if self.until else None,
            "author": self.author.lower() if self.author else None,
        }


#: The day a range of days reads: arXiv's first version, else the first day the paper was listed.
_FIRST_LISTED = (
    "(SELECT MIN(listing_entries.day) FROM listing_entries WHERE listing_entries.paper_id = papers.id)"
)
_SQLITE_DATED = f"COALESCE(papers.submitted_at, {_FIRST_LISTED})"
_POSTGRES_DATED = f"COALESCE(papers.submitted_at, CAST({_FIRST_LISTED} AS timestamp))"

#: Papers that moderators hid are left out before a page of results is cut, so that pages stay full.
_SHOWN = """NOT EXISTS (
        SELECT 1 FROM paper_activity WHERE paper_activity.paper_id = papers.id AND paper_activity.hidden)"""
#: Conditions on the ``papers`` table, filled from ``SearchFilters.params``; a NULL filter passes all.
SQLITE_CONDITIONS = f"""
    NOT papers.deleted
    AND {_SHOWN}
    AND (:category IS NULL OR EXISTS (SELECT 1 FROM json_each(papers.categories) WHERE value = :category))
    AND (:since IS NULL OR {_SQLITE_DATED} >= :since)
    AND (:until IS NULL OR {_SQLITE_DATED} < :until)
    AND (:author IS NULL OR EXISTS (
        SELECT 1 FROM json_each(papers.authors) WHERE instr(lower(value), :author) > 0))
"""
POSTGRES_CONDITIONS = f"""
    NOT papers.deleted
    AND {_SHOWN}
    AND (CAST(:category AS text) IS NULL
         OR papers.categories @> jsonb_build_array(CAST(:category AS text)))
    AND (CAST(:since AS timestamp) IS NULL OR {_POSTGRES_DATED} >= CAST(:since AS timestamp))
    AND (CAST(:until AS timestamp) IS NULL OR {_POSTGRES_DATED} < CAST(:until AS timestamp))
    AND (CAST(:author AS text) IS NULL OR EXISTS (
        SELECT 1 FROM jsonb_array_elements_text(papers.authors) AS name
        WHERE strpos(lower(name), CAST(:author AS text)) > 0))
"""


def conditions(dialect: str) -> str:
    return SQLITE_CONDITIONS if dialect == "sqlite" else POSTGRES_CONDITIONS
