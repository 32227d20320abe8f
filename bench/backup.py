"""Backup and restore: seconds for a catalog of --papers papers, beside the tools' own copies.

Usage: python bench/backup.py [--papers 100000] [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]

Fills a SQLite site through `dailypapers ingest listings --no-index` then `dailypapers index
--no-embed` (bench/http_pages.py's catalog), and times, each as the `dailypapers` command an operator
runs (a process of its own, so its start counts too: timed alone as `dailypapers db upgrade`):

- SQLite: `dailypapers backup` (SQLite's online backup API in one read transaction) beside a plain
  `cp` of the database file (the floor: no snapshot, unsafe while the site writes) and `sqlite3
  .backup` (the same API from SQLite's own shell); then `dailypapers restore` into a new data dir.
- PostgreSQL (with --postgres, a server where the bench may create and drop databases):
  `dailypapers db copy` of the site into it, then `dailypapers backup` from it beside `pg_dump -Fc`,
  then `dailypapers restore` into a new database beside `pg_restore` of the dump.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from http_pages import fill_catalog


def timed(label: str, command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {seconds:7.2f} s")
    return seconds


def dailypapers(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "dailypapers", *arguments]


@contextmanager
def new_database(server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``server_url``, dropped afterwards."""
    name = f"dailypapers_bench_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", libpq(server_url), "-qc", f'CREATE DATABASE "{name}"'], check=True)
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        subprocess.run(["psql", libpq(server_url), "-qc", drop], check=True)


def libpq(url: str) -> str:
    """The URL as pg_dump and pg_restore take it (without SQLAlchemy's driver name)."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--postgres", help="SQLAlchemy URL of a PostgreSQL server's maintenance database")
    args = parser.parse_args()
    base = {name: value for name, value in os.environ.items() if not name.startswith("DAILYPAPERS_")}
    with tempfile.TemporaryDirectory(prefix="dailypapers-bench-backup-") as directory:
        work = Path(directory)
        site = work / "site"
        env = {**base, "DAILYPAPERS_DATA_DIR": str(site)}
        fill_catalog(env, site, work, args.papers)
        subprocess.run(dailypapers("index", "--no-embed"), env=env, check=True, capture_output=True)
        database = site / "dailypapers.db"
        print(f"SQLite site: {args.papers:,} papers, {database.stat().st_size / 1e6:.0f} MB")
        timed("baseline: a dailypapers command's start alone", dailypapers("db", "upgrade"), env)
        timed("baseline: cp of the database file", ["cp", str(database), str(work / "copy.db")])
        timed("baseline: sqlite3 .backup", ["sqlite3", str(database), f".backup {work / 'shell.backup'}"])
        backup = work / "site.backup"
        timed("dailypapers backup", dailypapers("backup", str(backup)), env)
        restored = {**base, "DAILYPAPERS_DATA_DIR": str(work / "restored")}
        timed("dailypapers restore (into SQLite)", dailypapers("restore", str(backup)), restored)
        if not args.postgres:
            return
        if shutil.which("pg_dump") is None or shutil.which("psql") is None:
            sys.exit("pg_dump or psql is missing: install PostgreSQL's client tools")
        with new_database(args.postgres) as field, new_database(args.postgres) as again:
            on_postgres = {**env, "DAILYPAPERS_DATABASE_URL": field}
            print("PostgreSQL site, the same catalog:")
            timed("dailypapers db copy (SQLite to PostgreSQL)", dailypapers("db", "copy", "--to", field), env)
            dump = work / "site.dump"
            timed("baseline: pg_dump -Fc", ["pg_dump", "-Fc", "-f", str(dump), libpq(field)])
            timed("dailypapers backup", dailypapers("backup", str(work / "field.backup")), on_postgres)
            into_again = {**on_postgres, "DAILYPAPERS_DATABASE_URL": again}
            restore = dailypapers("restore", str(work / "field.backup"))
            timed("dailypapers restore (into PostgreSQL)", restore, into_again)
        with new_database(args.postgres) as empty:
            timed("baseline: pg_restore", ["pg_restore", "--no-owner", "-d", libpq(empty), str(dump)])


if __name__ == "__main__":
    main()
