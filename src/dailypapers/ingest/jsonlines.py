"""Bulk files of JSON lines: arXiv's metadata snapshot and daily listings files, plain or gzipped.

Both are streamed in constant memory (a few batches in flight) and stored through the same path; a
line that is not valid JSON or not a valid paper is skipped and reported with its line number and
reason. Large files are imported by one helper process per core, so one parses while another
writes. An unchanged line (its fingerprint already stored for its id) is dropped before it is even
normalised, so re-imports are cheap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import gzip
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
import sqlalchemy as sa

from dailypapers.db.write import read_session, write_session
from dailypapers.ingest.report import IngestReport, ProgressHook
from dailypapers.papers.models import Paper
from dailypapers.papers.records import InvalidRecord, PaperRecord, arxiv_datetime, fingerprint_bytes
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import StoreCounts, store_papers
from dailypapers.papers.text import split_author_list

RecordParser = Callable[[dict[str, Any]], PaperRecord]

#: Files smaller than this are imported in-process: starting helper processes costs about a second.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
#: The id of a JSON line whose first key is "id" (arXiv's snapshot and our listings files).
_LEADING_ID = re.compile(rb'\{\s*"id"\s*:\s*"([^"\\]*)"')
#: Batches handed out ahead of their results; bounds memory whatever the file size.
BATCHES_IN_FLIGHT_PER_WORKER = 2


@dataclass(slots=True)
class BatchResult:
    stored: StoreCounts = field(default_factory=StoreCounts)
    #: (line number, reason), in line order.
    skipped: list[tuple[int, str]] = field(default_factory=list)
    bytes_read: int = 0


class BatchImporter:
    """Parses, checks and stores one batch of lines in one transaction.

    A line whose fingerprint is already stored for its id is counted unchanged before it is even
    normalised. A file holding one paper twice is merged like any two records of it: the newer
    version wins (for two different records of the same version, imported by two workers at once,
    either may).
    """

    def __init__(
        self, engine: sa.Engine, parse: RecordParser, rules: ListingRules, write_lock: Any = None
    ) -> None:
        self.engine = engine
        self.parse = parse
        self.rules = rules
        self.write_lock = write_lock or contextlib.nullcontext()

    def __call__(self, first_line: int, lines: list[bytes], bytes_read: int) -> BatchResult:
        result = BatchResult(bytes_read=bytes_read)
        # Fingerprint every line and read its id without parsing it, so unchanged lines cost a
        # hash and a lookup; parsed JSON is many small objects, expensive to create and to keep.
        keyed: list[tuple[int, bytes, str, str | None]] = []
        for number, line in enumerate(lines, start=first_line):
            line = line.strip()
            if line:
                match = _LEADING_ID.match(line)
                keyed.append(
                    (number, line, fingerprint_bytes(line), match.group(1).decode() if match else None)
                )
        stored = self._stored_fingerprints([raw_id for *_, raw_id in keyed if raw_id is not None])
        records: list[PaperRecord] = []
        for number, line, fingerprint, raw_id in keyed:
            if raw_id is not None and stored.get(raw_id) == fingerprint:
                result.stored.unchanged += 1
                continue
            try:
                raw = orjson.loads(line)
                if not isinstance(raw, dict):
                    raise InvalidRecord("not a JSON object")
                record = self.parse(raw)
            except orjson.JSONDecodeError as error:
                result.skipped.append((number, f"invalid JSON: {error}"))
                continue
            except (InvalidRecord, KeyError, TypeError, ValueError, AttributeError) as error:
                result.skipped.append((number, _reason(error)))
                continue
            record.fingerprint = fingerprint
            records.append(record)
        if records:
            with self.write_lock, write_session(self.engine) as session:
                result.stored.add(store_papers(session, records, rules=self.rules))
        return result

    def _stored_fingerprints(self, ids: list[str]) -> dict[str, str]:
        with read_session(self.engine) as session:
            rows = session.execute(sa.select(Paper.id, Paper.content_hash).where(Paper.id.in_(ids)))
            return {paper_id: fingerprint for paper_id, fingerprint in rows}


_worker_importer: BatchImporter | None = None


def _start_worker(database_url: str, parse: RecordParser, rules: ListingRules, write_lock: Any) -> None:
    from dailypapers.db.engine import create_db_engine
    from dailypapers.settings import Settings

    global _worker_importer
    _pause_collector()
    engine = create_db_engine(Settings(database_url=database_url))
    if engine.dialect.name == "sqlite":
        # Checkpoints (with their fsync) would run inside a worker's commit, holding the write lock
        # that the other workers wait for; the parent process runs them instead (see below).
        sa.event.listen(engine, "connect", _no_autocheckpoint)
    _worker_importer = BatchImporter(engine, parse, rules, write_lock)


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def _import_in_worker(first_line: int, lines: list[bytes], bytes_read: int) -> BatchResult:
    assert _worker_importer is not None
    result = _worker_importer(first_line, lines, bytes_read)
    gc.collect(1)
    return result


def _pause_collector() -> None:
    """Stop Python's cyclic garbage collector for the length of an import.

    A batch creates hundreds of thousands of small objects that live until it is stored; the
    collector would scan them again and again (a third of the import time) for cycles they do not
    have. What is alive now is frozen out of its sight, and callers collect between batches.
    """
    gc.freeze()
    gc.disable()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    _pause_collector()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def import_jsonlines(
    engine: sa.Engine,
    path: Path,
    parse: RecordParser,
    *,
    rules: ListingRules,
    batch_size: int,
    progress: ProgressHook | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Stream ``path`` and store every record ``parse`` accepts; ``progress`` gets bytes read.

    With ``workers`` > 1, batches are imported by that many helper processes, each parsing while
    another holds the write lock; by default one per core for large files, none for small ones.
    """
    report = IngestReport()
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if path.stat().st_size >= PARALLEL_MIN_BYTES else 1

    def finish(result: BatchResult) -> None:
        for line, reason in result.skipped:
            report.skip(f"line {line}", reason)
        report.stored.add(result.stored)
        if progress is not None:
            progress(result.bytes_read)

    batches = _read_batches(path, batch_size)
    if workers <= 1:
        importer = BatchImporter(engine, parse, rules)
        with _collector_paused():
            for first_line, lines, bytes_read in batches:
                finish(importer(first_line, lines, bytes_read))
                gc.collect(1)
        return report

    url = engine.url.render_as_string(hide_password=False)
    checkpoint = _checkpointer(engine)
    # Forked workers start at once with everything imported (spawned ones take a second each).
    # They open their own connections and touch nothing else of this process; no connection is
    # inherited because the pool is emptied first.
    engine.dispose()
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    # The workers take turns at writing through this lock: SQLite's own busy wait sleeps in steps
    # of up to 100 ms, which would leave the database idle most of the time.
    write_lock = context.Lock()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(url, parse, rules, write_lock)
    ) as pool:
        pending: deque[Future[BatchResult]] = deque()
        for number, (first_line, lines, bytes_read) in enumerate(batches):
            pending.append(pool.submit(_import_in_worker, first_line, lines, bytes_read))
            if len(pending) >= BATCHES_IN_FLIGHT_PER_WORKER * workers:
                finish(pending.popleft().result())
            if number % 8 == 7:
                checkpoint("PASSIVE")
        while pending:
            finish(pending.popleft().result())
    checkpoint("TRUNCATE")
    return report


def _checkpointer(engine: sa.Engine) -> Callable[[str], None]:
    """Copies the SQLite write-ahead log into the database while the workers go on writing."""

    def checkpoint(mode: str) -> None:
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})")

    return checkpoint


def file_size(path: Path) -> int:
    """Bytes ``import_jsonlines`` reports progress against (the compressed size for .gz files)."""
    return path.stat().st_size


def _read_batches(path: Path, batch_size: int) -> Iterator[tuple[int, list[bytes], int]]:
    """Yield (number of the first line, lines, bytes of the file consumed by them)."""
    with path.open("rb") as raw:
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if _is_gzip(raw) else raw  # type: ignore[assignment]
        position, first_line, lines = 0, 1, []
        for line in stream:
            lines.append(line)
            if len(lines) >= batch_size:
                now = raw.tell()
                yield first_line, lines, now - position
                position, first_line, lines = now, first_line + len(lines), []
        if lines:
            yield first_line, lines, raw.tell() - position


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
    versions = {
        int(item["version"].lstrip("v")): arxiv_datetime(item["created"])
        for item in raw.get("versions") or ()
    }
    parsed = raw.get("authors_parsed")
    if parsed:
        authors = [f"{first} {last} {' '.join(rest)}" for last, first, *rest in parsed]
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
    return PaperRecord.build(
        id=str(raw["id"]),
        title=raw.get("title"),
        authors=list(raw.get("authors") or ()),
        abstract=raw.get("abstract"),
        categories=list(raw.get("categories") or ()),
        comments=raw.get("comment"),
        listed_on=dt.date.fromisoformat(raw["listed"]),
    )
