"""Bulk files: arXiv's metadata snapshot and listings files, plain or gzipped, in batches."""

import datetime as dt
import gzip
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from dailypapers.db.write import read_session
from dailypapers.ingest.jsonlines import import_jsonlines, listing_record, snapshot_record
from dailypapers.papers import queries
from dailypapers.papers.models import Paper
from dailypapers.papers.rules import ListingRules


def snapshot_line(arxiv_id: str = "0704.0001", **changes: object) -> dict[str, object]:
    line: dict[str, object] = {
        "id": arxiv_id,
        "submitter": "Pavel Nadolsky",
        "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
        "title": "Calculation of prompt diphoton production cross sections at Tevatron\n  and LHC energies",
        "comments": "37 pages, 15 figures; published version",
        "journal-ref": "Phys.Rev.D76:013009,2007",
        "doi": "10.1103/PhysRevD.76.013009",
        "report-no": "ANL-HEP-PR-07-12",
        "categories": "hep-ph",
        "license": None,
        "abstract": "  A fully differential calculation in perturbative\nQCD is presented.\n",
        "versions": [
            {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
            {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
        ],
        "update_date": "2008-11-13",
        "authors_parsed": [
            ["Balázs", "C.", ""],
            ["Berger", "E. L.", ""],
            ["Nadolsky", "P. M.", ""],
            ["Yuan", "C. -P.", ""],
        ],
    }
    line.update(changes)
    return line


def write_lines(path: Path, lines: list[object], *, gzipped: bool = False) -> Path:
    data = b"".join(orjson.dumps(line) + b"\n" if not isinstance(line, bytes) else line for line in lines)
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def import_snapshot(engine: sa.Engine, path: Path, **options: object):  # type: ignore[no-untyped-def]
    return import_jsonlines(engine, path, snapshot_record, rules=ListingRules(), batch_size=2, **options)


@pytest.mark.parametrize("gzipped", [False, True])
def test_snapshot_records_are_stored(engine: sa.Engine, tmp_path: Path, gzipped: bool) -> None:
    path = write_lines(
        tmp_path / "snapshot.json", [snapshot_line(), snapshot_line("hep-th/9901001")], gzipped=gzipped
    )
    report = import_snapshot(engine, path)
    assert (report.stored.inserted, report.skipped_count) == (2, 0)
    with read_session(engine) as session:
        paper = queries.paper_by_id(session, "0704.0001")
    assert paper is not None
    assert (
        paper.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert paper.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert paper.version == 2
    assert paper.submitted_at == dt.datetime(2007, 4, 2, 19, 18, 42)
    assert paper.updated_at == dt.datetime(2007, 7, 24, 20, 10, 27)
    assert (paper.doi, paper.journal_ref, paper.report_no) == (
        "10.1103/PhysRevD.76.013009",
        "Phys.Rev.D76:013009,2007",
        "ANL-HEP-PR-07-12",
    )
    assert paper.abstract == "A fully differential calculation in perturbative QCD is presented."


def test_reimporting_a_snapshot_adds_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "snapshot.json", [snapshot_line(f"0704.000{i}") for i in range(1, 6)])
    import_snapshot(engine, path)
    report = import_snapshot(engine, path)
    assert (report.stored.inserted, report.stored.updated, report.stored.unchanged) == (0, 0, 5)


def test_a_changed_line_updates_its_paper(engine: sa.Engine, tmp_path: Path) -> None:
    import_snapshot(engine, write_lines(tmp_path / "a.json", [snapshot_line()]))
    newer = snapshot_line(
        versions=[*snapshot_line()["versions"], {"version": "v3", "created": "Wed, 1 Aug 2007 10:00:00 GMT"}]
    )  # type: ignore[list-item]
    report = import_snapshot(engine, write_lines(tmp_path / "b.json", [newer]))
    assert report.stored.updated == 1
    with read_session(engine) as session:
        paper = queries.paper_by_id(session, "0704.0001")
    assert paper is not None and paper.version == 3 and len(paper.versions) == 3


def test_malformed_lines_are_skipped_with_line_number_and_reason(engine: sa.Engine, tmp_path: Path) -> None:
    lines: list[object] = [
        snapshot_line("0704.0001"),
        b'{"id": "0704.0002", "title": \n',
        snapshot_line("not an id"),
        b"[1, 2]\n",
        snapshot_line("0704.0005", title=""),
        snapshot_line("0704.0006", versions=[{"version": "v1", "created": "yesterday"}]),
        b"\n",
        snapshot_line("0704.0008"),
    ]
    report = import_snapshot(engine, write_lines(tmp_path / "snapshot.json", lines))
    assert report.stored.inserted == 2
    reasons = {skipped.where: skipped.reason for skipped in report.skipped}
    assert list(reasons) == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert reasons["line 2"].startswith("invalid JSON")
    assert "not an arXiv id" in reasons["line 3"]
    assert reasons["line 4"] == "not a JSON object"
    assert "empty title" in reasons["line 5"]
    assert "unreadable version date" in reasons["line 6"]
    with read_session(engine) as session:
        assert session.scalars(sa.select(Paper.id).order_by(Paper.id)).all() == ["0704.0001", "0704.0008"]


def test_listings_files_fill_the_daily_lists(engine: sa.Engine, tmp_path: Path) -> None:
    listing = {
        "id": "2510.09842",
        "listed": "2025-10-14",
        "title": "A paper",
        "authors": ["A. Author"],
        "categories": ["cs.CV", "cs.LG"],
        "comment": "Project page: https://github.com/a/b",
        "abstract": "Text.",
    }
    path = write_lines(
        tmp_path / "listings.jsonl", [listing, {**listing, "id": "2510.09843", "listed": "2025-10-15"}]
    )
    report = import_jsonlines(engine, path, listing_record, rules=ListingRules(), batch_size=10)
    assert (report.stored.inserted, report.stored.listed) == (2, 2)
    with read_session(engine) as session:
        assert queries.newest_listing_day(session) == dt.date(2025, 10, 15)
        [paper] = queries.papers_listed_on(session, dt.date(2025, 10, 14))
    assert paper.code_urls == ["https://github.com/a/b"]


@pytest.mark.slow
@pytest.mark.parametrize("gzipped", [False, True])
def test_helper_processes_store_the_same_catalog(engine: sa.Engine, tmp_path: Path, gzipped: bool) -> None:
    lines: list[object] = [snapshot_line(f"0705.{i:04d}") for i in range(1, 400)]
    lines.insert(100, b"not json\n")
    path = write_lines(tmp_path / "snapshot.json", lines, gzipped=gzipped)
    report = import_jsonlines(engine, path, snapshot_record, rules=ListingRules(), batch_size=50, workers=2)
    assert (report.stored.inserted, report.skipped_count) == (399, 1)
    assert report.skipped[0].where == "line 101"
    again = import_jsonlines(engine, path, snapshot_record, rules=ListingRules(), batch_size=50, workers=2)
    assert again.stored.unchanged == 399
    with read_session(engine) as session:
        assert queries.count_papers(session) == 399
        paper = queries.paper_by_id(session, "0705.0399")
    assert paper is not None and paper.authors[0] == "C. Balázs"


@pytest.mark.parametrize("order", ["older first", "newer first"])
def test_a_file_holding_a_paper_twice_keeps_the_newer_version(
    engine: sa.Engine, tmp_path: Path, order: str
) -> None:
    v1 = snapshot_line(
        title="First title", versions=[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]
    )
    v2 = snapshot_line(title="Second title")
    lines: list[object] = [v1, v2] if order == "older first" else [v2, v1]
    import_snapshot(engine, write_lines(tmp_path / "snapshot.json", [*lines, snapshot_line("0704.0002")]))
    with read_session(engine) as session:
        paper = queries.paper_by_id(session, "0704.0001")
    assert paper is not None and (paper.version, paper.title) == (2, "Second title")
