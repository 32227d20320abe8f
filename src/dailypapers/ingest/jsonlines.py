"""Bulk files of JSON lines: arXiv's metadata snapshot and daily listings files, plain or gzipped.

Both are streamed in constant memory and stored in batches through the same path; a line that is
not valid JSON or not a valid paper is skipped and reported with its line number and reason.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import sqlalchemy as sa

from dailypapers.ingest.report import IngestReport, ProgressHook, store_batch
from dailypapers.papers.records import InvalidRecord, PaperRecord, arxiv_datetime
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.text import split_author_list

RecordParser = Callable[[dict[str, Any]], PaperRecord]


def import_jsonlines(
    engine: sa.Engine,
    path: Path,
    parse: RecordParser,
    *,
    rules: ListingRules,
    batch_size: int,
    progress: ProgressHook | None = None,
) -> IngestReport:
    """Stream ``path`` and store every record ``parse`` accepts; ``progress`` gets bytes read."""
    report = IngestReport()
    batch: list[PaperRecord] = []
    for line_number, line, advanced in _read_lines(path):
        if progress is not None and advanced:
            progress(advanced)
        if not line.strip():
            continue
        try:
            raw = orjson.loads(line)
            if not isinstance(raw, dict):
                raise InvalidRecord("not a JSON object")
            batch.append(parse(raw))
        except orjson.JSONDecodeError as error:
            report.skip(f"line {line_number}", f"invalid JSON: {error}")
            continue
        except (InvalidRecord, KeyError, TypeError, ValueError, AttributeError) as error:
            report.skip(f"line {line_number}", _reason(error))
            continue
        if len(batch) >= batch_size:
            store_batch(engine, batch, rules, report)
            batch = []
    if batch:
        store_batch(engine, batch, rules, report)
    return report


def file_size(path: Path) -> int:
    """Bytes ``import_jsonlines`` reports progress against (the compressed size for .gz files)."""
    return path.stat().st_size


def _read_lines(path: Path) -> Iterator[tuple[int, bytes, int]]:
    """Yield (line number, line, bytes of the file consumed since the previous line)."""
    with path.open("rb") as raw:
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if _is_gzip(raw) else raw
        position = 0
        for number, line in enumerate(stream, start=1):
            now = raw.tell()
            yield number, line, now - position
            position = now


def _is_gzip(raw: IO[bytes]) -> bool:
    magic = raw.read(2)
    raw.seek(0)
    return magic == b"\x1f\x8b"


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}"
    return str(error) or type(error).__name__


def snapshot_record(raw: dict[str, Any]) -> PaperRecord:
    """A record of arXiv's bulk metadata snapshot (the Kaggle "arXiv Dataset" format)."""
    versions = {}
    for item in raw.get("versions") or ():
        versions[int(item["version"].lstrip("v"))] = arxiv_datetime(item["created"])
    parsed = raw.get("authors_parsed")
    if parsed:
        authors = [" ".join(part for part in (first, last, *rest) if part) for last, first, *rest in parsed]
    else:
        authors = split_author_list(raw.get("authors") or "")
    return PaperRecord.build(
        id=str(raw["id"]),
        title=raw.get("title"),
        authors=authors,
        abstract=raw.get("abstract"),
        categories=(raw.get("categories") or "").split(),
        versions=versions,
        comments=raw.get("comments"),
        journal_ref=raw.get("journal-ref"),
        doi=raw.get("doi"),
        report_no=raw.get("report-no"),
        license=raw.get("license"),
    )


def listing_record(raw: dict[str, Any]) -> PaperRecord:
    """A record of a daily listings file: the snapshot's fields plus ``listed``, the list's day."""
    listed = dt.date.fromisoformat(raw["listed"])
    return PaperRecord.build(
        id=str(raw["id"]),
        title=raw.get("title"),
        authors=list(raw.get("authors") or ()),
        abstract=raw.get("abstract"),
        categories=list(raw.get("categories") or ()),
        comments=raw.get("comment"),
        listed_on=listed,
    )



