"""Every domain's tables, imported in one place so Alembic and the tests see the whole schema."""

from typing import Any

from dailypapers.community.models import (
    ApiToken,
    AuditEntry,
    Comment,
    Dismissal,
    PaperActivity,
    Report,
    SignInLink,
    SubmissionFetch,
    SubmissionRequest,
    User,
    UserSession,
    Vote,
)
from dailypapers.db.base import Base
from dailypapers.digest.models import Edition, OutboxMessage, Subscriber
from dailypapers.ingest.models import HarvestCheckpoint
from dailypapers.papers.models import ListingEntry, Paper
from dailypapers.search.keyword import SEARCH_OBJECTS
from dailypapers.search.models import VECTOR_OBJECTS, PaperEmbedding

metadata = Base.metadata


def include_object(_object: Any, name: str | None, _type: str, reflected: bool, _compare_to: Any) -> bool:
    """Alembic's filter: leave alone the search index objects that no model describes."""
    unmapped = name in SEARCH_OBJECTS | VECTOR_OBJECTS or (name or "").startswith("papers_fts_")
    return not (reflected and unmapped)


__all__ = [
    "ApiToken",
    "AuditEntry",
    "Comment",
    "Dismissal",
    "Edition",
    "HarvestCheckpoint",
    "ListingEntry",
    "OutboxMessage",
    "Paper",
    "PaperActivity",
    "PaperEmbedding",
    "Report",
    "SignInLink",
    "SubmissionFetch",
    "SubmissionRequest",
    "Subscriber",
    "User",
    "UserSession",
    "Vote",
    "include_object",
    "metadata",
]
