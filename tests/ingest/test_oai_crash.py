"""A harvest killed (SIGKILL) or interrupted (Ctrl-C) part-way resumes at the first page it did not store,
and ends with the same catalog as a harvest that was never interrupted.

The harvests run as ``python -m dailypapers ingest oai`` subprocesses against the fake arXiv's generated
mode (20 pages of 10 records, with new versions and deletions that span pages). Each run sends its
own User-Agent, so the fake's request log tells which run asked for which page.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.ingest.models import HarvestCheckpoint
from dailypapers.ingest.oai import HarvestRequest, harvest
from dailypapers.papers.models import ListingEntry, Paper
from dailypapers.settings import Settings
from fake_arxiv import FakeArxiv, GeneratedPages

PAGES, PER_PAGE = 20, 10
HARVEST = ["ingest", "oai", "--from", "2024-02-01", "--until", "2024-02-29", "--set", "cs"]


#: Runs the CLI as `python -m dailypapers` would, with Ctrl-C (SIGINT) raising KeyboardInterrupt:
#: pytest-xdist workers ignore SIGINT, and a child inherits that, so Python would not install its
#: handler and the test's Ctrl-C would go unnoticed.
WITH_CTRL_C = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('dailypapers', run_name='__main__')"
)


@pytest.fixture
def start_harvest(fake_arxiv: FakeArxiv) -> Iterator[Callable[[Path, str], subprocess.Popen[str]]]:
    """Starts ``dailypapers ingest oai`` for the February ``cs`` harvest; ``run`` is its User-Agent."""
    started: list[subprocess.Popen[str]] = []

    def start(data_dir: Path, run: str) -> subprocess.Popen[str]:
        environment = dict(
            os.environ,  # without the developer's DAILYPAPERS_* settings (see tests/conftest.py)
            DAILYPAPERS_DATA_DIR=str(data_dir),
            DAILYPAPERS_ARXIV_OAI_URL=fake_arxiv.oai_url,
            DAILYPAPERS_ARXIV_DELAY_SECONDS="0",
            DAILYPAPERS_LISTING_CATEGORIES="cs",
            DAILYPAPERS_USER_AGENT=run,
        )
        process = subprocess.Popen(
            [sys.executable, "-c", WITH_CTRL_C, *HARVEST],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:  # a failed test may leave one running
        if process.poll() is None:
            process.kill()
            process.communicate()


def pages_asked(fake_arxiv: FakeArxiv, pages: GeneratedPages, run: str) -> list[int]:
    """The pages one run asked for, in order (page 1 is the request without a resumption token)."""
    return [
        pages.page_of(request.params.get("resumptionToken"))
        for request in fake_arxiv.requests_to("/oai")
        if request.user_agent == run
    ]


def catalog(data_dir: Path) -> dict[str, list[tuple[object, ...]]]:
    """Everything a harvest stores, but the columns saying when it was written."""
    engine = create_db_engine(Settings(data_dir=data_dir))
    papers = [column for column in Paper.__table__.columns if column.name != "ingested_at"]
    checkpoints = HarvestCheckpoint.__table__.columns
    try:
        with engine.connect() as connection:
            return {
                "papers": list(connection.execute(sa.select(*papers).order_by(Paper.id))),
                "listing_entries": list(
                    connection.execute(
                        sa.select(ListingEntry.day, ListingEntry.paper_id, ListingEntry.source).order_by(
                            ListingEntry.day, ListingEntry.paper_id
                        )
                    )
                ),
                "harvest_checkpoints": list(
                    connection.execute(
                        sa.select(
                            checkpoints.key,
                            checkpoints.resumption_token,
                            checkpoints.pages_done,
                            checkpoints.records_done,
                            checkpoints.completed,
                        )
                    )
                ),
            }
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop", "exit_code", "stop_after_pages"),
    [(signal.SIGKILL, -signal.SIGKILL, (4, 6)), (signal.SIGINT, 130, (5,))],
    ids=["killed-twice", "ctrl-c"],
)
def test_an_interrupted_harvest_resumes_and_ends_like_an_uninterrupted_one(
    fake_arxiv: FakeArxiv,
    start_harvest: Callable[[Path, str], subprocess.Popen[str]],
    tmp_path: Path,
    stop: signal.Signals,
    exit_code: int,
    stop_after_pages: tuple[int, ...],
) -> None:
    pages = fake_arxiv.generate_pages(PAGES, PER_PAGE)
    fake_arxiv.delay_seconds = 0.02  # keeps each run busy long enough to be stopped part-way
    interrupted = tmp_path / "interrupted"
    runs = [f"run-{number}" for number in range(1, len(stop_after_pages) + 2)]

    # Stop the harvest once it has asked for a few pages; start it again until it finishes.
    for run, asked_before_stop in zip(runs, stop_after_pages, strict=False):
        # The page after these stays unanswered until the run is stopped: the stop lands mid-harvest
        # even when this test is scheduled slowly (CI runs other suites beside it).
        fake_arxiv.hold_after(len(fake_arxiv.requests) + asked_before_stop)
        process = start_harvest(interrupted, run)
        fake_arxiv.wait_for(
            lambda _requests, r=run, n=asked_before_stop: len(pages_asked(fake_arxiv, pages, r)) >= n
        )
        process.send_signal(stop)
        _stdout, stderr = process.communicate(timeout=30)
        fake_arxiv.release_held()
        assert process.returncode == exit_code, stderr
        if stop == signal.SIGINT:
            assert "interrupted; everything stored so far is kept" in " ".join(stderr.split())
    process = start_harvest(interrupted, runs[-1])
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert stdout.endswith("0 skipped\n")

    first_requests = [next(r for r in fake_arxiv.requests if r.user_agent == run) for run in runs]
    assert "resumptionToken" not in first_requests[0].params
    assert all("resumptionToken" in request.params for request in first_requests[1:])
    asked = [pages_asked(fake_arxiv, pages, run) for run in runs]
    assert asked[0][0] == 1
    for previous, resumed in itertools.pairwise(asked):
        # A restarted run begins with a resumption token, at the page the stopped run was fetching
        # (or the next one, if it was stopped after storing a page but before asking for the next).
        assert resumed[0] in (previous[-1], previous[-1] + 1)
        assert resumed[0] > 1
    assert sorted({page for pages_of_run in asked for page in pages_of_run}) == list(range(1, PAGES + 1))
    assert asked[-1][-1] == PAGES

    # The same harvest, never interrupted, in another data dir.
    uninterrupted = tmp_path / "uninterrupted"
    fake_arxiv.delay_seconds = 0
    settings = Settings(
        data_dir=uninterrupted,
        arxiv_oai_url=fake_arxiv.oai_url,
        arxiv_delay_seconds=0,
        listing_categories=["cs"],
    )
    engine = create_db_engine(settings)
    upgrade_database(engine)
    harvest(engine, settings, HarvestRequest(dt.date(2024, 2, 1), dt.date(2024, 2, 29), "cs"))
    engine.dispose()

    expected = catalog(uninterrupted)
    assert len(expected["papers"]) > PAGES * (PER_PAGE - 2)
    assert sum(1 for paper in expected["papers"] if paper.deleted) == PAGES // 4
    assert len(expected["listing_entries"]) == len(expected["papers"])
    [(_key, token, pages_done, _records, completed)] = expected["harvest_checkpoints"]
    assert (token, pages_done, completed) == (None, PAGES, True)
    assert catalog(interrupted) == expected
