"""The catalog's write path: merge incoming records into the stored papers and the daily lists.

``store_papers`` is idempotent: storing the same records twice changes nothing the second time,
an older version never overwrites a newer one, and every version ever seen is kept in ``versions``.
It runs inside the caller's write transaction (see ``dailypapers.db.write``), one batch at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dailypapers.db.upsert import DriverRows, driver_values, excluded, insert_ignore, upsert
from dailypapers.papers.calendar import listing_day
from dailypapers.papers.models import LISTING_ENTRIES, PAPERS, ListingEntry, Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.rules import ListingRules

# Columns a source may not know (the API has no licence); an update without them keeps the old value.
_KEEP_IF_MISSING = ("comments", "journal_ref", "doi", "report_no", "license", "submitted_at", "updated_at")


# What merging needs of the stored papers; rows are locked until the batch commits (PostgreSQL).
_MERGE_STATE = (
    sa.select(
        PAPERS.c.id, PAPERS.c.version, PAPERS.c.versions, PAPERS.c.content_hash, PAPERS.c.primary_category
    )
    .where(PAPERS.c.id.in_(sa.bindparam("ids", expanding=True)))
    .with_for_update()
)


@dataclass(slots=True)
class StoreCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    listed: int = 0

    def add(self, other: StoreCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.listed += other.listed


@dataclass(slots=True)
class PreparedPapers:
    """Records merged by id, with each one's row built and converted as if it were new.

    Preparing needs no database, so bulk importers do it before they take the write lock, which
    they then hold only for what depends on the stored rows.
    """

    records: dict[str, PaperRecord]
    new_rows: dict[str, tuple[Any, ...]]
    names: list[str]
    now: dt.datetime


def prepare_papers(
    records: Iterable[PaperRecord], dialect: sa.Dialect, now: dt.datetime | None = None
) -> PreparedPapers:
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    incoming: dict[str, PaperRecord] = {}
    for record in records:
        earlier = incoming.get(record.id)
        incoming[record.id] = record if earlier is None else _newer_of(earlier, record)
    rows = driver_values(
        dialect,
        PAPERS,
        _PAPER_COLUMNS,
        [_paper_row(r, _versions_json(r.versions), now) for r in incoming.values()],
    )
    return PreparedPapers(incoming, dict(zip(incoming, rows.params, strict=True)), rows.names, now)


def store_papers(
    session: Session,
    records: Iterable[PaperRecord] | PreparedPapers,
    *,
    rules: ListingRules,
    now: dt.datetime | None = None,
) -> StoreCounts:
    """Insert new papers, update changed ones, list those the rules admit; return what happened."""
    dialect = session.get_bind().dialect
    prepared = records if isinstance(records, PreparedPapers) else prepare_papers(records, dialect, now)
    incoming, now = prepared.records, prepared.now
    if not incoming:
        return StoreCounts()

    stored = {row.id: row for row in session.connection().execute(_MERGE_STATE, {"ids": list(incoming)})}
    counts = StoreCounts()
    new_rows: list[tuple[Any, ...]] = []
    changed_rows: list[tuple[Any, ...]] = []
    version_rows: list[dict[str, Any]] = []
    #: Each paper's primary category once the batch is stored, for its listing entries.
    primary = {paper_id: record.categories[0] for paper_id, record in incoming.items()}
    recategorised: list[dict[str, Any]] = []
    for record in incoming.values():
        old = stored.get(record.id)
        if old is None:
            new_rows.append(prepared.new_rows[record.id])
            counts.inserted += 1
            continue
        versions = _merge_versions(old.versions, record.versions)
        if record.version >= old.version and _fingerprint(record) != old.content_hash:
            changed_rows.append(_paper_row(record, versions, now))
            counts.updated += 1
            if old.primary_category != primary[record.id]:
                recategorised.append({"b_id": record.id, "b_category": primary[record.id]})
            continue
        primary[record.id] = old.primary_category
        if versions != old.versions:
            version_rows.append({"b_id": record.id, "b_versions": versions})
            counts.updated += 1
        else:
            counts.unchanged += 1

    rows = driver_values(dialect, PAPERS, prepared.names, changed_rows).params + new_rows
    incoming_row = excluded(session, PAPERS)
    update: dict[str, Any] = {name: incoming_row[name] for name in prepared.names if name != "id"}
    for name in _KEEP_IF_MISSING:
        update[name] = sa.func.coalesce(incoming_row[name], PAPERS.c[name])
    upsert(session, PAPERS, DriverRows(prepared.names, rows), key=["id"], update=update)
    if version_rows:
        session.execute(
            sa.update(PAPERS)
            .where(PAPERS.c.id == sa.bindparam("b_id"))
            .values(versions=sa.bindparam("b_versions")),
            version_rows,
        )
    if recategorised:
        # arXiv moved the paper to another primary category: its entries follow.
        session.execute(
            sa.update(LISTING_ENTRIES)
            .where(LISTING_ENTRIES.c.paper_id == sa.bindparam("b_id"))
            .values(primary_category=sa.bindparam("b_category")),
            recategorised,
        )
    counts.listed = _list_papers(session, incoming.values(), primary, rules, now)
    return counts


def _list_papers(
    session: Session,
    records: Iterable[PaperRecord],
    primary: dict[str, str],
    rules: ListingRules,
    now: dt.datetime,
) -> int:
    if not rules.categories:
        # Empty rules admit nothing (see ListingRules): only records naming their day can be
        # listed, and bulk imports would otherwise ask the rules about every paper in vain.
        records = [record for record in records if record.listed_on is not None]
    wanted: dict[tuple[dt.date, str], str] = {}
    for record in records:
        if record.listed_on is not None:
            wanted[(record.listed_on, record.id)] = "listing"
        elif record.submitted_at is not None and rules.admits(record):
            wanted.setdefault((listing_day(record.submitted_at), record.id), "rules")
    if not wanted:
        return 0
    ids = {paper_id for _day, paper_id in wanted}
    present = {
        (day, paper_id)
        for paper_id, day in session.execute(
            sa.select(ListingEntry.paper_id, ListingEntry.day).where(ListingEntry.paper_id.in_(ids))
        )
    }
    rows = [
        {
            "day": day,
            "paper_id": paper_id,
            "source": source,
            "submitted_at": now,
            "primary_category": primary[paper_id],
        }
        for (day, paper_id), source in wanted.items()
        if (day, paper_id) not in present
    ]
    insert_ignore(session, LISTING_ENTRIES, rows, key=["day", "paper_id"])
    return len(rows)


def _newer_of(first: PaperRecord, second: PaperRecord) -> PaperRecord:
    newer, older = (second, first) if second.version >= first.version else (first, second)
    for version, created in older.versions.items():
        if newer.versions.get(version) is None:
            newer.versions[version] = created
    newer.listed_on = newer.listed_on or older.listed_on
    return newer


def _versions_json(versions: dict[int, dt.datetime | None]) -> list[dict[str, Any]]:
    # The JSON serializer (orjson) writes datetimes as ISO 8601, as _merge_versions compares them.
    return [{"version": number, "created": created} for number, created in sorted(versions.items())]


def _merge_versions(
    stored: list[dict[str, Any]], incoming: dict[int, dt.datetime | None]
) -> list[dict[str, Any]]:
    merged = {item["version"]: item["created"] for item in stored}
    for number, created in incoming.items():
        if merged.get(number) is None:
            merged[number] = created.isoformat() if created else None
    return [{"version": number, "created": created} for number, created in sorted(merged.items())]


#: The papers table's columns, in the order of ``_paper_row``.
_PAPER_COLUMNS = [
    "id",
    "version",
    "title",
    "authors",
    "abstract",
    "categories",
    "primary_category",
    "comments",
    "journal_ref",
    "doi",
    "report_no",
    "license",
    "submitted_at",
    "updated_at",
    "versions",
    "code_urls",
    "deleted",
    "content_hash",
    "ingested_at",
]


def _paper_row(record: PaperRecord, versions: list[dict[str, Any]], now: dt.datetime) -> tuple[Any, ...]:
    # A tuple in the order of _PAPER_COLUMNS, not a dict: bulk imports build one per paper.
    return (
        record.id,
        record.version,
        record.title,
        record.authors,
        record.abstract,
        record.categories,
        record.categories[0],
        record.comments,
        record.journal_ref,
        record.doi,
        record.report_no,
        record.license,
        record.submitted_at,
        record.updated_at,
        versions,
        record.code_urls,
        False,
        _fingerprint(record),
        now,
    )


def _fingerprint(record: PaperRecord) -> str:
    return record.fingerprint or record.content_hash()


def mark_deleted(session: Session, paper_ids: Iterable[str]) -> int:
    """Flag papers arXiv reports as deleted; they stay stored but leave every page. Returns the count."""
    ids = list(paper_ids)
    if not ids:
        return 0
    result = session.execute(
        sa.update(Paper).where(Paper.id.in_(ids), Paper.deleted.is_(False)).values(deleted=True)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
