"""What an ingestion run did, for the operator: counts, and every skipped record with its reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from dailypapers.db.write import write_session
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import StoreCounts, store_papers

MAX_REASONS_KEPT = 1000


@dataclass(slots=True)
class Skipped:
    where: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    stored: StoreCounts = field(default_factory=StoreCounts)
    deleted: int = 0
    skipped_count: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def skip(self, where: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_REASONS_KEPT:
            self.skipped.append(Skipped(where, reason))

    @property
    def seen(self) -> int:
        counts = self.stored
        return counts.inserted + counts.updated + counts.unchanged

    def summary(self) -> str:
        counts = self.stored
        return (
            f"{counts.inserted} new, {counts.updated} updated, {counts.unchanged} unchanged, "
            f"{counts.listed} added to daily lists, {self.deleted} deleted, {self.skipped_count} skipped"
        )


def store_batch(
    engine: sa.Engine, records: Iterable[PaperRecord], rules: ListingRules, report: IngestReport
) -> None:
    """Store one batch in one transaction: all of it lands, or none of it."""
    with write_session(engine) as session:
        report.stored.add(store_papers(session, records, rules=rules))
