"""Bulk files of JSON lines: arXiv's metadata snapshot and daily listings files, plain or gzipped.

Both are streamed in constant memory (a few batches in flight) and stored through the same path; a
line that is not valid JSON or not a valid paper is skipped and reported with its line number and
reason. An unchanged line (its fingerprint already stored for its id) is dropped before it is
even parsed, so re-imports are cheap. Large files are parsed and stored by one helper process per
core, so that one parses while another writes.
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
from dailypapers.ingest.report import IngestReport
from dailypapers.papers.queries import stored_fingerprints
from dailypapers.papers.records import InvalidRecord, PaperRecord, arxiv_datetime, fingerprint_bytes
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import StoreCounts, prepare_papers, store_papers
from dailypapers.papers.text import split_author_list
from dailypapers.progress import ProgressHook

RecordParser = Callable[[dict[str, Any]], PaperRecord]

#: Files smaller than this are imported in-process: starting helper processes costs about a second.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
#: The id of a JSON line whose first key is "id" (arXiv's snapshot and our listings files).
_LEADING_ID = re.compile(rb'\s*\{\s*"id"\s*:\s*"([^"\\]*)"')
#: Batches handed out ahead of their results; bounds memory whatever the file size.
BATCHES_IN_FLIGHT_PER_WORKER = 2


@dataclass(slots=True)
class BatchResult:
    stored: StoreCounts = field(default_factory=StoreCounts)
    #: (line number, reason), in line order.
    skipped: list[tuple[int, str]] = field(default_factory=list)
    bytes_read: int = 0


@dataclass(slots=True)
class TriagedBatch:
    """A batch whose unchanged lines were counted and dropped.

    The remaining lines are ``(line number, start, end, fingerprint)``, slices of a buffer: the
    bytes ``span`` (offset, length) of the plain file at ``path``, which the storing process reads
    itself, or for a compressed file the ``data`` shipped along. Either way only small objects
    cross between processes.
    """

    lines: list[tuple[int, int, int, str]]
    unchanged: int
    bytes_read: int
    path: str | None = None
    span: tuple[int, int] = (0, 0)
    data: bytes | None = None

    def buffer(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        with open(self.path, "rb") as file:
            return os.pread(file.fileno(), self.span[1], self.span[0])


def triage(engine: sa.Engine, batch: RawBatch) -> TriagedBatch:
    """Drop the lines whose fingerprint is already stored for their id, without parsing them.

    Each line costs a hash, a regular expression for its id and a share of one lookup; parsed JSON
    is many small objects, expensive to create. Lines whose id is not their first key are kept.
    """
    keyed: list[tuple[int, int, bytes, str, str | None]] = []
    for index, line in enumerate(batch.lines):
        if line and not line.isspace():  # (stripping would copy every line)
            match = _LEADING_ID.match(line)
            raw_id = match.group(1).decode() if match else None
            keyed.append(
                (batch.first_line + index, batch.offsets[index], line, fingerprint_bytes(line), raw_id)
            )
    with read_session(engine) as session:
        stored = stored_fingerprints(session, [raw_id for *_, raw_id in keyed if raw_id is not None])
    kept = [item for item in keyed if item[4] is None or stored.get(item[4]) != item[3]]
    triaged = TriagedBatch([], len(keyed) - len(kept), batch.bytes_read)
    if batch.path is not None and kept:
        triaged.path = batch.path
        triaged.span = (kept[0][1], kept[-1][1] + len(kept[-1][2]) - kept[0][1])
        triaged.lines = [(n, o - kept[0][1], o - kept[0][1] + len(line), f) for n, o, line, f, _ in kept]
    elif kept:
        triaged.data = b"".join(line for _, _, line, _, _ in kept)
        position = 0
        for number, _offset, line, fingerprint, _ in kept:
            triaged.lines.append((number, position, position + len(line), fingerprint))
            position += len(line)
    return triaged


class BatchStore:
    """Parses, checks and stores the lines of a triaged batch in one transaction.

    A file holding one paper twice is merged like any two records of it: the newer version wins
    (for two different records of the same version, stored by two workers at once, either may).
    """

    def __init__(
        self, engine: sa.Engine, parse: RecordParser, rules: ListingRules, write_lock: Any = None
    ) -> None:
        self.engine = engine
        self.parse = parse
        self.rules = rules
        self.write_lock = write_lock or contextlib.nullcontext()

    def __call__(self, batch: TriagedBatch) -> BatchResult:
        result = BatchResult(StoreCounts(unchanged=batch.unchanged), bytes_read=batch.bytes_read)
        records: list[PaperRecord] = []
        buffer = batch.buffer() if batch.lines else b""
        for number, start, end, fingerprint in batch.lines:
            line = buffer[start:end]
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
            prepared = prepare_papers(records, self.engine.dialect)
            with self.write_lock, write_session(self.engine) as session:
                result.stored.add(store_papers(session, prepared, rules=self.rules))
        return result


_worker_store: BatchStore | None = None


def _start_worker(database_url: str, parse: RecordParser, rules: ListingRules, write_lock: Any) -> None:
    from dailypapers.db.engine import create_db_engine
    from dailypapers.settings import Settings

    global _worker_store
    _pause_collector()
    engine = create_db_engine(Settings(database_url=database_url))
    if engine.dialect.name == "sqlite":
        # Checkpoints (with their fsync) would run inside a worker's commit, holding the write lock
        # that the other workers wait for; the parent process runs them instead (see below).
        sa.event.listen(engine, "connect", _no_autocheckpoint)
    _worker_store = BatchStore(engine, parse, rules, write_lock)


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def _store_in_worker(batch: TriagedBatch) -> BatchResult:
    assert _worker_store is not None
    result = _worker_store(batch)
    gc.collect(1)
    return result


def _workers_ready() -> None:
    """Submitted first, so that every worker is forked before this process opens connections again."""


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

    This process reads the file and drops unchanged lines (``triage``). With ``workers`` > 1,
    the rest is parsed and stored by that many helper processes, each parsing while another holds
    the write lock; by default one per core for large files, none for small ones.
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
        store = BatchStore(engine, parse, rules)
        with _collector_paused():
            for batch in batches:
                finish(store(triage(engine, batch)))
                gc.collect(1)
        return report

    checkpoint = _checkpointer(engine)
    with contextlib.ExitStack() as stack:
        pool: ProcessPoolExecutor | None = None  # started by the first batch with lines to store
        # Results in file order; a batch with nothing left after triage never leaves this process.
        pending: deque[Future[BatchResult] | BatchResult] = deque()
        for number, raw_batch in enumerate(batches):
            triaged = triage(engine, raw_batch)
            if triaged.lines:
                pool = pool or stack.enter_context(_start_pool(engine, workers, parse, rules))
                pending.append(pool.submit(_store_in_worker, triaged))
            else:
                pending.append(
                    BatchResult(StoreCounts(unchanged=triaged.unchanged), bytes_read=triaged.bytes_read)
                )
            if len(pending) >= BATCHES_IN_FLIGHT_PER_WORKER * workers:
                finish(_result(pending.popleft()))
            if number % 8 == 7:
                checkpoint("PASSIVE")
        while pending:
            finish(_result(pending.popleft()))
    checkpoint("TRUNCATE")
    return report


def _start_pool(
    engine: sa.Engine, workers: int, parse: RecordParser, rules: ListingRules
) -> ProcessPoolExecutor:
    # Forked workers start at once with everything imported (spawned ones take a second each).
    # They open their own connections and touch nothing else of this process; no connection is
    # inherited because the pool is emptied first, and this process opens none until all are forked.
    engine.dispose()
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    # The workers take turns at writing through this lock: SQLite's own busy wait sleeps in steps
    # of up to 100 ms, which would leave the database idle most of the time.
    write_lock = context.Lock()
    url = engine.url.render_as_string(hide_password=False)
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(url, parse, rules, write_lock)
    )
    pool.submit(_workers_ready).result()
    return pool


def _result(item: Future[BatchResult] | BatchResult) -> BatchResult:
    return item.result() if isinstance(item, Future) else item


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


@dataclass(slots=True)
class RawBatch:
    first_line: int
    lines: list[bytes]
    #: Where each line starts in the file; meaningful when ``path`` is set (plain files).
    offsets: list[int]
    bytes_read: int
    path: str | None


def _read_batches(path: Path, batch_size: int) -> Iterator[RawBatch]:
    with path.open("rb") as raw:
        compressed = _is_gzip(raw)
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if compressed else raw  # type: ignore[assignment]
        plain_path = None if compressed else str(path)
        progress, offset, first_line = 0, 0, 1
        lines: list[bytes] = []
        offsets: list[int] = []
        for line in stream:
            lines.append(line)
            offsets.append(offset)
            offset += len(line)
            if len(lines) >= batch_size:
                now = raw.tell()
                yield RawBatch(first_line, lines, offsets, now - progress, plain_path)
                progress, first_line, lines, offsets = now, first_line + len(lines), [], []
        if lines:
            yield RawBatch(first_line, lines, offsets, raw.tell() - progress, plain_path)


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
        authors = [
            f"{first} {last} {' '.join(rest)}" if any(rest) else f"{first} {last}"
            for last, first, *rest in parsed
        ]
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
