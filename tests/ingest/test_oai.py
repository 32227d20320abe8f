"""``dailypapers ingest oai``: harvesting arXiv through OAI-PMH, against a fake arXiv over HTTP.

The fixture harvest (tests/fixtures/arxiv/oai/arXivRaw-*.xml) is three pages of the ``cs`` set from
2024-01-08 to 2024-01-10: five good papers, one of which comes back on page 3 with a new version, two
deleted records, and three malformed ones.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dailypapers.cli import app
from dailypapers.db.write import read_session
from dailypapers.ingest import oai
from dailypapers.ingest.arxiv_api import ingest_ids, parse_id_arguments
from dailypapers.ingest.models import HarvestCheckpoint
from dailypapers.ingest.oai import HarvestRequest, harvest
from dailypapers.ingest.polite import ArxivUnavailable
from dailypapers.ingest.report import IngestReport
from dailypapers.papers.models import ListingEntry, Paper
from dailypapers.settings import Settings
from fake_arxiv import FIXTURES, FakeArxiv

CS_EARLY_JANUARY = HarvestRequest(dt.date(2024, 1, 8), dt.date(2024, 1, 10), "cs")
FIRST_PAGE = {
    "verb": "ListRecords",
    "metadataPrefix": "arXivRaw",
    "set": "cs",
    "from": "2024-01-08",
    "until": "2024-01-10",
}
HARVESTED_IDS = ["2401.01234", "2401.02345", "2401.04567", "2401.05678", "hep-th/9901001"]
#: Scheduling jitter allowed when comparing request times seen by the server with the client's pauses.
JITTER = 0.02


def counts(report: IngestReport) -> tuple[int, int, int]:
    return report.stored.inserted, report.stored.updated, report.stored.unchanged


def stored(engine: sa.Engine) -> dict[str, Paper]:
    with read_session(engine) as session:
        return {paper.id: paper for paper in session.scalars(sa.select(Paper))}


def catalog(engine: sa.Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with engine.connect() as connection:
        papers = connection.execute(sa.select(Paper.__table__).order_by(Paper.id)).all()
        entries = connection.execute(
            sa.select(ListingEntry.__table__).order_by(ListingEntry.day, ListingEntry.paper_id)
        ).all()
    return [tuple(row) for row in papers], [tuple(row) for row in entries]


def oai_params(fake_arxiv: FakeArxiv) -> list[dict[str, str]]:
    return [request.params for request in fake_arxiv.requests_to("/oai")]


def checkpoint(engine: sa.Engine, settings: Settings, request: HarvestRequest) -> HarvestCheckpoint | None:
    with read_session(engine) as session:
        return session.get(HarvestCheckpoint, request.checkpoint_key(settings.arxiv_oai_url))


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_a_harvest_follows_the_resumption_tokens_through_every_page(
    engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    report = harvest(engine, arxiv_settings, CS_EARLY_JANUARY)

    assert oai_params(fake_arxiv) == [
        FIRST_PAGE,
        {"verb": "ListRecords", "resumptionToken": "7283561|4"},
        {"verb": "ListRecords", "resumptionToken": "7283561|8"},
    ]
    assert sorted(stored(engine)) == HARVESTED_IDS
    # 2401.02345 is new on page 1 and updated by its v2 on page 3.
    assert counts(report) == (5, 1, 0)
    assert report.deleted == 0  # neither deleted paper was ever stored
    assert report.skipped_count == 3
    done = checkpoint(engine, arxiv_settings, CS_EARLY_JANUARY)
    assert done is not None
    assert (done.completed, done.resumption_token, done.pages_done) == (True, None, 3)
    assert done.records_done == 3 + 2 + 3  # stored and deleted records of each page


def test_progress_is_reported_page_by_page_with_the_complete_list_size(
    sqlite_engine: sa.Engine, arxiv_settings: Settings
) -> None:
    calls: list[tuple[int, int | None]] = []

    harvest(
        sqlite_engine,
        arxiv_settings,
        CS_EARLY_JANUARY,
        progress=lambda advance, *, total=None: calls.append((advance, total)),
    )

    # Stored and deleted records of each page (skipped ones are not progress); completeListSize is 11.
    assert calls == [(3, 11), (2, 11), (3, 11)]


def test_arxivraw_fields_are_stored_with_every_version(engine: sa.Engine, arxiv_settings: Settings) -> None:
    harvest(engine, arxiv_settings, CS_EARLY_JANUARY)
    papers = stored(engine)

    routing = papers["2401.01234"]
    assert routing.title == "Sparse Mixture Routing for Efficient Vision Transformers"
    assert routing.authors == ["Lena Fischer", "Omar Haddad", "Priya Raman"]  # "A, B and C" split in order
    assert routing.categories == ["cs.CV", "cs.LG"]
    assert routing.primary_category == "cs.CV"
    assert routing.license == "http://creativecommons.org/licenses/by/4.0/"
    assert routing.code_urls == ["https://github.com/dp-tests/sparse-routing"]
    assert routing.submitted_at == routing.updated_at == dt.datetime(2024, 1, 3, 18, 22, 7)

    minimax = papers["2401.04567"]
    assert minimax.version == 3
    assert minimax.versions == [
        {"version": 1, "created": "2024-01-05T16:45:00"},
        {"version": 2, "created": "2024-01-08T10:00:00"},
        {"version": 3, "created": "2024-01-09T21:10:00"},
    ]
    assert minimax.submitted_at == dt.datetime(2024, 1, 5, 16, 45)
    assert minimax.updated_at == dt.datetime(2024, 1, 9, 21, 10)
    assert minimax.authors == ["Grace Mbeki", "Hugo Laurent", "Ingrid Solberg", "Jae-won Park"]
    assert minimax.categories == ["stat.ML", "cs.LG", "math.ST", "stat.TH"]
    assert minimax.abstract == (
        "We determine the minimax rate of classification when a fraction of the training labels is "
        "flipped at random.\n\nOur estimator attains the rate without knowing the noise level."
    )
    assert (minimax.doi, minimax.journal_ref, minimax.comments) == (
        "10.1214/24-AOS0001",
        "Ann. Statist. 52 (2024) 1-30",
        "v3: corrected Theorem 2",
    )

    old_style = papers["hep-th/9901001"]
    assert old_style.authors == ["Elena Vasquez", "Tomas Berg"]
    assert old_style.report_no == "HUTP-99/A001"
    assert old_style.versions == [
        {"version": 1, "created": "1999-01-04T18:02:13"},
        {"version": 2, "created": "1999-02-16T10:30:00"},
    ]


def test_a_newer_version_on_a_later_page_replaces_the_earlier_one(
    sqlite_engine: sa.Engine, arxiv_settings: Settings
) -> None:
    harvest(sqlite_engine, arxiv_settings, CS_EARLY_JANUARY)

    paper = stored(sqlite_engine)["2401.02345"]
    assert paper.version == 2
    assert paper.versions == [
        {"version": 1, "created": "2024-01-02T09:00:00"},
        {"version": 2, "created": "2024-01-10T08:30:00"},
    ]
    assert paper.comments == "v2: added experiments; code at https://github.com/dp-tests/tokfree"
    assert paper.code_urls == ["https://github.com/dp-tests/tokfree"]
    assert paper.submitted_at == dt.datetime(2024, 1, 2, 9, 0)


def test_malformed_records_are_skipped_and_reported_without_stopping_the_harvest(
    sqlite_engine: sa.Engine, arxiv_settings: Settings
) -> None:
    report = harvest(sqlite_engine, arxiv_settings, CS_EARLY_JANUARY)

    no_title, bogus_id, no_metadata = report.skipped
    assert (no_title.where, no_title.reason) == (
        "page 1, record 4 (oai:arXiv.org:2401.03456)",
        "2401.03456: empty title",
    )
    assert bogus_id.where == "page 2, record 2 (oai:arXiv.org:2413.00001)"
    assert "'2413.00001'" in bogus_id.reason
    assert no_metadata.where.startswith("page 2, record 4")
    assert report.skipped_count == 3
    papers = stored(sqlite_engine)
    assert not {"2401.03456", "2413.00001", "2401.04999"} & set(papers)
    assert "2401.05678" in papers  # page 3 was still harvested


def test_a_record_without_metadata_is_reported_with_its_identifier(
    sqlite_engine: sa.Engine, arxiv_settings: Settings
) -> None:
    report = harvest(sqlite_engine, arxiv_settings, CS_EARLY_JANUARY)

    no_metadata = report.skipped[2]
    assert (no_metadata.where, no_metadata.reason) == (
        "page 2, record 4 (oai:arXiv.org:2401.04999)",
        "record has no metadata",
    )


def test_a_record_with_empty_metadata_is_skipped(
    sqlite_engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    last_page = (FIXTURES / "oai" / "arXivRaw-3.xml").read_text()
    empty = (
        "<record><header><identifier>oai:arXiv.org:2401.06789</identifier><datestamp>2024-01-10</datestamp>"
        "</header><metadata></metadata></record>"
    )
    fake_arxiv.replace_pages("arXivRaw", [last_page.replace("<ListRecords>", "<ListRecords>" + empty, 1)])

    report = harvest(sqlite_engine, arxiv_settings, CS_EARLY_JANUARY)

    assert [skipped.where for skipped in report.skipped] == ["page 1, record 1 (oai:arXiv.org:2401.06789)"]
    assert sorted(stored(sqlite_engine)) == ["2401.02345", "2401.05678"]


def test_a_deleted_record_marks_a_stored_paper_deleted(
    engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    ingest_ids(engine, arxiv_settings, parse_id_arguments(["2312.09999"]))
    assert stored(engine)["2312.09999"].deleted is False

    report = harvest(engine, arxiv_settings, CS_EARLY_JANUARY)

    assert report.deleted == 1
    papers = stored(engine)
    assert papers["2312.09999"].deleted is True
    assert papers["2312.09999"].title == "A Result That Will Not Last"  # kept, only flagged
    assert "2401.00042" not in papers  # deleted before we ever stored it: nothing to flag
    assert not any(paper.deleted for arxiv_id, paper in papers.items() if arxiv_id != "2312.09999")


def test_harvesting_the_same_range_again_changes_nothing(
    engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    settings = arxiv_settings.model_copy(update={"listing_categories": ["cs"]})
    harvest(engine, settings, CS_EARLY_JANUARY)
    before = catalog(engine)

    report = harvest(engine, settings, CS_EARLY_JANUARY)

    # A finished harvest run again starts from its first page ...
    assert oai_params(fake_arxiv)[3] == FIRST_PAGE
    assert len(oai_params(fake_arxiv)) == 6
    # ... and finds everything as it left it, down to ingested_at and the listing entries.
    assert counts(report) == (0, 0, 6)
    assert (report.stored.listed, report.deleted, report.skipped_count) == (0, 0, 3)
    assert catalog(engine) == before


def test_papers_the_listing_rules_admit_enter_their_announcement_day(
    sqlite_engine: sa.Engine, arxiv_settings: Settings
) -> None:
    settings = arxiv_settings.model_copy(update={"listing_categories": ["cs"]})

    report = harvest(sqlite_engine, settings, CS_EARLY_JANUARY)

    assert report.stored.listed == 5
    with read_session(sqlite_engine) as session:
        entries = session.execute(
            sa.select(ListingEntry.paper_id, ListingEntry.day).order_by(ListingEntry.paper_id)
        ).all()
    assert [tuple(entry) for entry in entries] == [
        ("2401.01234", dt.date(2024, 1, 4)),  # Wed 13:22 in New York: before the cutoff, next day
        ("2401.02345", dt.date(2024, 1, 3)),
        ("2401.04567", dt.date(2024, 1, 8)),  # Friday before the cutoff: listed on Monday
        ("2401.05678", dt.date(2024, 1, 11)),  # Tue 15:05 in New York: after the cutoff, Thursday
        ("hep-th/9901001", dt.date(1999, 1, 5)),  # cross-listed to cs.IT
    ]


def test_an_interrupted_harvest_resumes_at_the_first_page_not_stored(
    engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    settings = arxiv_settings.model_copy(update={"arxiv_max_retries": 0})

    def arxiv_goes_down(advance: int, *, total: int | None = None) -> None:
        fake_arxiv.fail_next(1, status=503, retry_after=0)  # called once page 1 is stored

    with pytest.raises(ArxivUnavailable):
        harvest(engine, settings, CS_EARLY_JANUARY, progress=arxiv_goes_down)
    assert sorted(stored(engine)) == ["2401.01234", "2401.02345", "hep-th/9901001"]
    first_run = len(fake_arxiv.requests)

    report = harvest(engine, settings, CS_EARLY_JANUARY)

    assert oai_params(fake_arxiv)[first_run:] == [
        {"verb": "ListRecords", "resumptionToken": "7283561|4"},
        {"verb": "ListRecords", "resumptionToken": "7283561|8"},
    ]
    assert counts(report) == (2, 1, 0)
    assert sorted(stored(engine)) == HARVESTED_IDS
    assert stored(engine)["2401.02345"].version == 2


def test_a_page_interrupted_while_being_stored_leaves_nothing_of_it_behind(
    engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_mark_deleted = oai.mark_deleted

    def ctrl_c_on_page_2(session: Session, paper_ids: list[str]) -> int:
        if "2312.09999" in paper_ids:  # page 2's papers are written, its deletions not yet
            raise KeyboardInterrupt
        return real_mark_deleted(session, paper_ids)

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(oai, "mark_deleted", ctrl_c_on_page_2)
        harvest(engine, arxiv_settings, CS_EARLY_JANUARY)

    # Page 2's paper (2401.04567) went with the transaction; the checkpoint still names page 2.
    assert sorted(stored(engine)) == ["2401.01234", "2401.02345", "hep-th/9901001"]
    interrupted = checkpoint(engine, arxiv_settings, CS_EARLY_JANUARY)
    assert interrupted is not None
    assert interrupted.resumption_token == "7283561|4"
    assert (interrupted.pages_done, interrupted.completed) == (1, False)
    first_run = len(fake_arxiv.requests)

    harvest(engine, arxiv_settings, CS_EARLY_JANUARY)

    assert oai_params(fake_arxiv)[first_run]["resumptionToken"] == "7283561|4"
    assert sorted(stored(engine)) == HARVESTED_IDS


@pytest.fixture
def harvest_stopped_after_page_one(
    sqlite_engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> Settings:
    """A harvest that arXiv cut off after its first page; returns the settings to resume it with."""
    settings = arxiv_settings.model_copy(update={"arxiv_max_retries": 0})

    def arxiv_goes_down(advance: int, *, total: int | None = None) -> None:
        fake_arxiv.fail_next(1, status=503, retry_after=0)

    with pytest.raises(ArxivUnavailable):
        harvest(sqlite_engine, settings, CS_EARLY_JANUARY, progress=arxiv_goes_down)
    return settings


def test_a_resumed_harvest_reports_skipped_records_with_their_page_in_the_whole_harvest(
    sqlite_engine: sa.Engine, harvest_stopped_after_page_one: Settings
) -> None:
    report = harvest(sqlite_engine, harvest_stopped_after_page_one, CS_EARLY_JANUARY)

    assert report.skipped[0].where == "page 2, record 2 (oai:arXiv.org:2413.00001)"


def test_an_expired_resumption_token_restarts_the_harvest_from_its_first_page(
    sqlite_engine: sa.Engine, harvest_stopped_after_page_one: Settings, fake_arxiv: FakeArxiv
) -> None:
    settings = harvest_stopped_after_page_one
    fake_arxiv.expire_token("7283561|4")  # the harvest was resumed too late
    first_run = len(fake_arxiv.requests)

    report = harvest(sqlite_engine, settings, CS_EARLY_JANUARY)

    assert oai_params(fake_arxiv)[first_run:] == [
        {"verb": "ListRecords", "resumptionToken": "7283561|4"},  # answered badResumptionToken
        FIRST_PAGE,
        {"verb": "ListRecords", "resumptionToken": "7283561|4"},
        {"verb": "ListRecords", "resumptionToken": "7283561|8"},
    ]
    assert counts(report) == (2, 1, 3)
    assert sorted(stored(sqlite_engine)) == HARVESTED_IDS


def test_a_throttled_page_is_fetched_again_after_the_time_arxiv_asks_for(
    sqlite_engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.fail_next(1, status=503, retry_after=1)

    report = harvest(sqlite_engine, arxiv_settings, CS_EARLY_JANUARY)

    requests = fake_arxiv.requests_to("/oai")
    assert [request.status for request in requests] == [503, 200, 200, 200]
    assert requests[0].params == requests[1].params == FIRST_PAGE
    assert gaps([request.time for request in requests])[0] >= 1.0
    assert sorted(stored(sqlite_engine)) == HARVESTED_IDS
    assert counts(report) == (5, 1, 0)


def test_pages_are_requested_with_a_pause_and_our_user_agent(
    sqlite_engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    settings = arxiv_settings.model_copy(
        update={"arxiv_delay_seconds": 0.3, "user_agent": "dailypapers-test/1.0 (mailto:ops@example.org)"}
    )

    harvest(sqlite_engine, settings, CS_EARLY_JANUARY)

    requests = fake_arxiv.requests_to("/oai")
    assert len(requests) == 3
    assert min(gaps([request.time for request in requests])) >= 0.3 - JITTER
    assert {request.user_agent for request in requests} == {"dailypapers-test/1.0 (mailto:ops@example.org)"}


def test_the_arxiv_metadata_format_is_harvested_too(
    engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    ingest_ids(engine, arxiv_settings, parse_id_arguments(["2312.09999"]))
    request = replace(CS_EARLY_JANUARY, metadata_prefix="arXiv")

    report = harvest(engine, arxiv_settings, request)

    assert oai_params(fake_arxiv) == [
        {**FIRST_PAGE, "metadataPrefix": "arXiv"},
        {"verb": "ListRecords", "resumptionToken": "7283562|3"},
    ]
    assert counts(report) == (3, 1, 0)
    assert report.deleted == 1
    papers = stored(engine)
    assert sorted(papers) == ["2312.09999", "2401.01234", "2401.02345", "hep-th/9901001"]
    # Authors come as keyname, forenames and suffix; dates as days, placed at noon UTC.
    assert papers["hep-th/9901001"].authors == ["Elena Vasquez", "Tomas Berg Jr"]
    assert papers["hep-th/9901001"].submitted_at == dt.datetime(1999, 1, 4, 12, 0)
    assert papers["hep-th/9901001"].updated_at == dt.datetime(1999, 2, 16, 12, 0)
    assert papers["2401.01234"].authors == ["Lena Fischer", "Omar Haddad", "Priya Raman"]
    assert papers["2401.01234"].title == "Sparse Mixture Routing for Efficient Vision Transformers"
    updated = papers["2401.02345"]
    assert updated.comments == "v2: added experiments; code at https://github.com/dp-tests/tokfree"
    assert updated.updated_at == dt.datetime(2024, 1, 10, 12, 0)
    assert updated.versions == [{"version": 1, "created": "2024-01-02T12:00:00"}]
    assert papers["2312.09999"].deleted is True


def test_the_arxiv_format_does_not_undo_versions_known_from_arxivraw(
    sqlite_engine: sa.Engine, arxiv_settings: Settings
) -> None:
    harvest(sqlite_engine, arxiv_settings, CS_EARLY_JANUARY)
    before = catalog(sqlite_engine)

    report = harvest(sqlite_engine, arxiv_settings, replace(CS_EARLY_JANUARY, metadata_prefix="arXiv"))

    assert counts(report) == (0, 0, 4)
    assert catalog(sqlite_engine) == before


def test_a_range_without_records_gives_an_empty_report(
    sqlite_engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    future = HarvestRequest(dt.date(2030, 1, 1), dt.date(2030, 1, 31), "cs")

    report = harvest(sqlite_engine, arxiv_settings, future)

    assert counts(report) == (0, 0, 0)
    assert (report.deleted, report.skipped_count) == (0, 0)
    assert len(fake_arxiv.requests_to("/oai")) == 1
    assert stored(sqlite_engine) == {}
    done = checkpoint(sqlite_engine, arxiv_settings, future)
    assert done is not None
    assert done.completed is True


# -- the command line ------------------------------------------------------------------------------


def test_cli_harvests_and_reports_what_it_skipped(data_dir: Path, fake_arxiv: FakeArxiv) -> None:
    result = CliRunner().invoke(
        app, ["ingest", "oai", "--from", "2024-01-08", "--until", "2024-01-10", "--set", "cs"]
    )

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "5 new, 1 updated, 0 unchanged, 0 added to daily lists, 0 deleted, 3 skipped"
    )
    assert "skipped page 1, record 4 (oai:arXiv.org:2401.03456): 2401.03456: empty title" in result.stderr
    assert oai_params(fake_arxiv)[0] == FIRST_PAGE
    assert (data_dir / "dailypapers.db").exists()


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (["--from", "2024-13-01"], "--from must be a date like 2025-08-01, not '2024-13-01'"),
        (["--until", "yesterday"], "--until must be a date like 2025-08-01, not 'yesterday'"),
        (["--from", "2024-01-10", "--until", "2024-01-08"], "--from is after --until"),
        (["--format", "oai_dc"], "--format must be one of arXivRaw, arXiv"),
    ],
)
def test_cli_rejects_bad_options_with_exit_code_2(
    data_dir: Path, fake_arxiv: FakeArxiv, options: list[str], reason: str
) -> None:
    result = CliRunner().invoke(app, ["ingest", "oai", *options])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {reason}"]
    assert fake_arxiv.requests == []
    assert not (data_dir / "dailypapers.db").exists()


def test_cli_reports_an_endpoint_that_answers_404_in_one_line(
    data_dir: Path, fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAILYPAPERS_ARXIV_OAI_URL", f"{fake_arxiv.url}/no-such-endpoint")

    result = CliRunner().invoke(app, ["ingest", "oai", "--from", "2024-01-08", "--until", "2024-01-10"])

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not an uncaught requests.HTTPError
    assert result.stderr.splitlines()[-1].startswith("error: harvest stopped")


def test_cli_stops_with_exit_code_1_when_arxiv_stays_unavailable(
    data_dir: Path, fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAILYPAPERS_ARXIV_MAX_RETRIES", "1")
    fake_arxiv.fail_next(2, status=503, retry_after=0)

    result = CliRunner().invoke(app, ["ingest", "oai", "--from", "2024-01-08", "--until", "2024-01-10"])

    assert result.exit_code == 1
    assert "harvest stopped, run again to resume" in " ".join(result.stderr.split())
    assert len(fake_arxiv.requests) == 2
