"""``dailypapers ingest ids``: single papers through the arXiv API, against a fake arXiv over HTTP."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dailypapers.cli import app
from dailypapers.db.engine import create_db_engine
from dailypapers.db.write import read_session
from dailypapers.ingest.arxiv_api import ingest_ids, parse_id_arguments
from dailypapers.ingest.polite import ArxivUnavailable
from dailypapers.ingest.report import IngestReport
from dailypapers.papers.models import ListingEntry, Paper
from dailypapers.settings import Settings
from fake_arxiv import FIXTURES, FakeArxiv

#: Scheduling jitter allowed when comparing request times seen by the server with the client's pauses.
JITTER = 0.02


def fetch(engine: sa.Engine, settings: Settings, *texts: str) -> tuple[IngestReport, list[str]]:
    return ingest_ids(engine, settings, parse_id_arguments(texts))


def counts(report: IngestReport) -> tuple[int, int, int]:
    return report.stored.inserted, report.stored.updated, report.stored.unchanged


def stored(engine: sa.Engine) -> dict[str, Paper]:
    with read_session(engine) as session:
        return {paper.id: paper for paper in session.scalars(sa.select(Paper))}


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_papers_are_fetched_by_id_url_and_old_style_id(
    engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    report, missing = fetch(
        engine, arxiv_settings, "2306.09299", "https://arxiv.org/abs/2304.14118v2", "arXiv:hep-th/9901001"
    )

    assert missing == []
    assert counts(report) == (3, 0, 0)
    assert sorted(stored(engine)) == ["2304.14118", "2306.09299", "hep-th/9901001"]
    [request] = fake_arxiv.requests_to("/api/query")
    assert request.params["id_list"] == "2306.09299,2304.14118v2,hep-th/9901001"
    assert request.params["search_query"] == ""


def test_every_field_is_stored_normalised(engine: sa.Engine, arxiv_settings: Settings) -> None:
    fetch(engine, arxiv_settings, "2306.09299")

    paper = stored(engine)["2306.09299"]
    # The Atom title is wrapped and has double spaces.
    assert (
        paper.title == "Can Small Models Teach Larger Ones? Explanations as Supervision for Language Agents"
    )
    assert paper.authors == ["Maria Novak", "Kenji Watanabe", "Aisha Bello"]
    assert paper.abstract.startswith(
        "We ask whether a small language model can improve a larger one by explaining its"
    )
    assert "\n" not in paper.abstract
    # The primary category comes first, whatever the order of the <category> elements.
    assert paper.categories == ["cs.CL", "cs.AI", "cs.LG"]
    assert paper.primary_category == "cs.CL"
    assert paper.version == 2
    assert paper.versions == [
        {"version": 1, "created": "2023-06-15T17:27:20"},
        {"version": 2, "created": "2023-11-02T14:03:11"},
    ]
    assert paper.submitted_at == dt.datetime(2023, 6, 15, 17, 27, 20)
    assert paper.updated_at == dt.datetime(2023, 11, 2, 14, 3, 11)
    assert paper.comments == (
        "NeurIPS 2023 camera-ready; 21 pages, 12 figures. Extras: https://gitlab.com/dp-tests/teach-explain-extras.git"
    )
    assert paper.journal_ref == "Advances in Neural Information Processing Systems 36 (2023)"
    assert paper.doi == "10.5555/3666122.3666999"
    assert paper.license is None  # the API does not say
    # Repository links from the abstract and the comments, without a trailing "." or ".git".
    assert paper.code_urls == [
        "https://github.com/dp-tests/teach-explain",
        "https://gitlab.com/dp-tests/teach-explain-extras",
    ]
    assert paper.deleted is False


def test_an_old_style_id_keeps_its_archive(sqlite_engine: sa.Engine, arxiv_settings: Settings) -> None:
    fetch(sqlite_engine, arxiv_settings, "hep-th/9901001")

    paper = stored(sqlite_engine)["hep-th/9901001"]
    assert paper.title == "Boundary Conditions for Strings on Curved Branes"
    assert paper.authors == ["Elena Vasquez", "Tomas Berg"]
    assert paper.categories == ["hep-th", "gr-qc"]
    assert paper.version == 1
    assert paper.versions == [{"version": 1, "created": "1999-01-04T18:02:13"}]
    assert paper.journal_ref == "Phys. Lett. B 452 (1999) 123-130"
    assert paper.doi == "10.1016/S0370-2693(99)00042-7"
    assert paper.code_urls == []


def test_ids_arxiv_does_not_know_are_reported_missing(
    sqlite_engine: sa.Engine, arxiv_settings: Settings
) -> None:
    report, missing = fetch(sqlite_engine, arxiv_settings, "2401.99999", "2306.09299", "hep-th/9912999")

    assert missing == ["2401.99999", "hep-th/9912999"]
    assert counts(report) == (1, 0, 0)
    assert list(stored(sqlite_engine)) == ["2306.09299"]


def test_fetching_the_same_papers_again_changes_nothing(engine: sa.Engine, arxiv_settings: Settings) -> None:
    fetch(engine, arxiv_settings, "2306.09299", "2304.14118")
    before = {arxiv_id: _row(paper) for arxiv_id, paper in stored(engine).items()}

    report, missing = fetch(engine, arxiv_settings, "2306.09299", "2304.14118")

    assert missing == []
    assert counts(report) == (0, 0, 2)
    assert report.stored.listed == 0
    assert {arxiv_id: _row(paper) for arxiv_id, paper in stored(engine).items()} == before


def test_a_newer_version_updates_the_paper_and_keeps_the_version_history(
    engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    fetch(engine, arxiv_settings, "2306.09299")
    fake_arxiv.load_api_entries(FIXTURES / "api" / "newer-version.xml")  # the authors post v3

    report, _missing = fetch(engine, arxiv_settings, "2306.09299")

    assert counts(report) == (0, 1, 0)
    paper = stored(engine)["2306.09299"]
    assert paper.version == 3
    assert paper.title.endswith("Explanations as Supervision for Language Agents (Extended Version)")
    assert paper.authors == ["Maria Novak", "Kenji Watanabe", "Aisha Bello", "Luis Ortega"]
    assert paper.comments == "Extended version; 30 pages"
    assert paper.code_urls == ["https://github.com/dp-tests/teach-explain"]
    # The API only tells the first and the latest version; v2, seen before, stays in the history.
    assert paper.versions == [
        {"version": 1, "created": "2023-06-15T17:27:20"},
        {"version": 2, "created": "2023-11-02T14:03:11"},
        {"version": 3, "created": "2024-02-10T08:00:00"},
    ]
    assert paper.updated_at == dt.datetime(2024, 2, 10, 8, 0)


def test_papers_the_listing_rules_admit_enter_their_announcement_day(
    sqlite_engine: sa.Engine, arxiv_settings: Settings
) -> None:
    settings = arxiv_settings.model_copy(update={"listing_categories": ["cs.CV"]})

    report, _missing = fetch(sqlite_engine, settings, "2306.09299", "2304.14118")

    assert report.stored.listed == 1
    with read_session(sqlite_engine) as session:
        entries = session.execute(
            sa.select(ListingEntry.day, ListingEntry.paper_id, ListingEntry.source)
        ).all()
    # Submitted on Thursday 2023-04-27 at 07:00 in New York, before the 14:00 cutoff: listed on Friday.
    assert [tuple(entry) for entry in entries] == [(dt.date(2023, 4, 28), "2304.14118", "rules")]


def test_ids_are_asked_for_a_hundred_at_a_time_with_a_pause_between_requests(
    sqlite_engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    settings = arxiv_settings.model_copy(update={"arxiv_delay_seconds": 0.3})
    unknown = [f"2401.{number:05d}" for number in range(1, 101)]

    report, missing = fetch(sqlite_engine, settings, "2306.09299", *unknown)

    requests = fake_arxiv.requests_to("/api/query")
    assert [len(request.params["id_list"].split(",")) for request in requests] == [100, 1]
    assert requests[1].params["id_list"] == "2401.00100"
    assert min(gaps([request.time for request in requests])) >= 0.3 - JITTER
    assert missing == unknown
    assert counts(report) == (1, 0, 0)


def test_a_throttled_request_is_retried_after_the_time_arxiv_asks_for(
    sqlite_engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.fail_next(1, status=503, retry_after=1)

    report, missing = fetch(sqlite_engine, arxiv_settings, "2306.09299")

    requests = fake_arxiv.requests_to("/api/query")
    assert [request.status for request in requests] == [503, 200]
    assert requests[0].params == requests[1].params
    assert gaps([request.time for request in requests])[0] >= 1.0
    assert missing == []
    assert counts(report) == (1, 0, 0)


def test_arxiv_unavailable_is_raised_after_the_last_retry(
    sqlite_engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    settings = arxiv_settings.model_copy(update={"arxiv_max_retries": 2})
    fake_arxiv.fail_next(5, status=503, retry_after=0)

    with pytest.raises(ArxivUnavailable, match="HTTP 503 after 3 tries"):
        fetch(sqlite_engine, settings, "2306.09299")

    assert len(fake_arxiv.requests_to("/api/query")) == 3
    assert stored(sqlite_engine) == {}


def test_the_user_agent_from_the_settings_is_sent(
    sqlite_engine: sa.Engine, arxiv_settings: Settings, fake_arxiv: FakeArxiv
) -> None:
    settings = arxiv_settings.model_copy(
        update={"user_agent": "dailypapers-test/1.0 (mailto:ops@example.org)"}
    )

    fetch(sqlite_engine, settings, "2306.09299")

    [request] = fake_arxiv.requests_to("/api/query")
    assert request.user_agent == "dailypapers-test/1.0 (mailto:ops@example.org)"


# -- the command line ------------------------------------------------------------------------------


def catalog_ids(data_dir: Path) -> list[str]:
    if not (data_dir / "dailypapers.db").exists():
        return []
    engine = create_db_engine(Settings(data_dir=data_dir))
    try:
        with engine.connect() as connection:
            return list(connection.scalars(sa.select(Paper.id).order_by(Paper.id)))
    finally:
        engine.dispose()


def test_cli_fetches_papers_and_prints_what_it_did(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", "ids", "2306.09299", "https://arxiv.org/abs/hep-th/9901001"])

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "2 new, 0 updated, 0 unchanged, 0 added to daily lists, 0 deleted, 0 skipped"
    )
    assert catalog_ids(data_dir) == ["2306.09299", "hep-th/9901001"]


@pytest.mark.parametrize(
    ("argument", "reason"),
    [
        ("2306.9299x", "not an arXiv id or URL: '2306.9299x'"),
        (
            "https://example.org/abs/2306.09299",
            "not an arXiv id or URL: 'https://example.org/abs/2306.09299'",
        ),
        ("2313.00001", "2313.00001"),  # there is no 13th month
        ("1412.12345", "1412.12345"),  # five-digit numbers started in 2015
    ],
)
def test_cli_rejects_an_invalid_id_with_a_one_line_reason_and_stores_nothing(
    data_dir: Path, fake_arxiv: FakeArxiv, argument: str, reason: str
) -> None:
    result = CliRunner().invoke(app, ["ingest", "ids", "2306.09299", argument])

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert reason in line
    assert fake_arxiv.requests == []
    assert catalog_ids(data_dir) == []


def test_cli_keeps_a_long_reason_on_one_line(data_dir: Path) -> None:
    argument = "https://arxiv.org/abs/not-a-paper-but-a-long-pasted-path"  # the message is 89 columns

    result = CliRunner().invoke(app, ["ingest", "ids", argument])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: not an arXiv id or URL: {argument!r}"]


def test_cli_names_the_ids_arxiv_does_not_know_and_keeps_the_others(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", "ids", "2306.09299", "2401.99999"])

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "error: arXiv does not know: 2401.99999"
    assert catalog_ids(data_dir) == ["2306.09299"]


def test_cli_fails_with_exit_code_1_when_arxiv_stays_unavailable(
    data_dir: Path, fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAILYPAPERS_ARXIV_MAX_RETRIES", "1")
    fake_arxiv.fail_next(2, status=503, retry_after=0)

    result = CliRunner().invoke(app, ["ingest", "ids", "2306.09299"])

    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "error: arXiv API unavailable: " in message
    assert message.endswith("HTTP 503 after 2 tries")
    assert catalog_ids(data_dir) == []


def test_cli_reports_an_endpoint_that_answers_404_in_one_line(
    data_dir: Path, fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAILYPAPERS_ARXIV_API_URL", f"{fake_arxiv.url}/no-such-endpoint")

    result = CliRunner().invoke(app, ["ingest", "ids", "2306.09299"])

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not an uncaught arxiv.HTTPError
    assert result.stderr.splitlines()[-1].startswith("error: arXiv API unavailable")


def _row(paper: Paper) -> dict[str, object]:
    return {column.name: getattr(paper, column.name) for column in Paper.__table__.columns}
