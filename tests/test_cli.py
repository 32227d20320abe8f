"""The operator's commands: sample data, bulk files, database upgrade, and clear failures."""

import datetime as dt
import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dailypapers.cli import SAMPLE_LISTINGS, app
from dailypapers.community import accounts, moderation
from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.submissions import submit_paper
from dailypapers.db.engine import create_db_engine
from dailypapers.db.write import read_session, write_session
from dailypapers.papers import queries
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.search.embedding import default_embedder
from dailypapers.search.service import search_papers
from dailypapers.settings import Settings
from factories import listed_paper
from fake_arxiv import FakeArxiv

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def catalog_size(data_dir: Path) -> int:
    engine = create_db_engine(Settings(data_dir=data_dir))
    with read_session(engine) as session:
        return queries.count_papers(session)


def test_the_sample_fills_ten_days_of_lists_and_loads_idempotently(data_dir: Path) -> None:
    first = runner.invoke(app, ["ingest", "sample"])
    assert first.exit_code == 0, first.output
    assert "3135 new" in first.output and "3135 added to daily lists" in first.output
    again = runner.invoke(app, ["ingest", "sample"])
    assert "0 new, 0 updated, 3135 unchanged, 0 added to daily lists" in again.output
    assert catalog_size(data_dir) == 3135
    assert "3135 papers added to the search index" in first.output
    assert "0 papers added to the search index" in again.output
    # The sample ships with its vectors: the demo searches by meaning without embedding first.
    assert "3135 papers added to the vector index" in first.output
    assert "0 papers added to the vector index" in again.output


def test_search_indexing_can_be_left_to_the_index_command(data_dir: Path) -> None:
    sample = str(SAMPLE_LISTINGS)
    result = runner.invoke(app, ["ingest", "listings", "--no-index", sample])
    assert result.exit_code == 0 and "search index" not in result.output
    indexed = runner.invoke(app, ["index", "--no-embed"]).output
    assert "3135 papers added to the search index" in indexed
    # --no-embed leaves the model's work to a later run: bench/ingest_snapshot.py times words only.
    assert "embedded" not in indexed
    assert "3135 papers waiting for `dailypapers index` to embed them" in indexed
    rebuilt = runner.invoke(app, ["index", "--rebuild", "--no-embed"])
    assert "search index rebuilt" in rebuilt.output and "0 papers added to the search index" in rebuilt.output
    engine = create_db_engine(Settings(data_dir=data_dir))
    with read_session(engine) as session:
        assert len(search_papers(session, "transformer", limit=5)) == 5


def test_index_embeds_new_papers_once_and_rebuilds_the_vector_index(data_dir: Path, tmp_path: Path) -> None:
    with gzip.open(str(SAMPLE_LISTINGS), "rt") as sample:
        three = [next(sample) for _ in range(3)]
    listings = tmp_path / "three.jsonl"
    listings.write_text("".join(three))
    assert runner.invoke(app, ["ingest", "listings", "--no-index", str(listings)]).exit_code == 0
    first = runner.invoke(app, ["index"]).output
    assert "3 papers embedded" in first and "3 papers added to the vector index" in first
    assert (data_dir / "vectors" / f"{default_embedder().name}.usearch").exists()
    again = runner.invoke(app, ["index"]).output
    assert "0 papers embedded" in again and "0 papers added to the vector index" in again
    assert "3 papers added to the vector index" in runner.invoke(app, ["index", "--rebuild"]).output


def test_db_upgrade_creates_the_database(data_dir: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output
    assert (data_dir / "dailypapers.db").exists()


def test_a_missing_file_is_a_one_line_error(data_dir: Path) -> None:
    result = runner.invoke(app, ["ingest", "snapshot", "nowhere.json"])
    assert result.exit_code == 2
    assert "no such file: nowhere.json" in result.output


def test_bad_ids_are_refused_before_anything_is_fetched(data_dir: Path) -> None:
    result = runner.invoke(app, ["ingest", "ids", "2306.09299", "not-a-paper"])
    assert result.exit_code == 2
    assert "not an arXiv id or URL: 'not-a-paper'" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "2025-13-01"], "--from must be a date"),
        (["--from", "2025-08-11", "--until", "2025-08-01"], "--from is after --until"),
        (["--format", "oai_dc"], "--format must be one of arXivRaw, arXiv"),
    ],
)
def test_bad_harvest_options_are_refused(data_dir: Path, arguments: list[str], message: str) -> None:
    result = runner.invoke(app, ["ingest", "oai", *arguments])
    assert result.exit_code == 2
    assert message in result.output


def test_admin_grant_makes_a_moderator(data_dir: Path) -> None:
    engine = create_db_engine(Settings(data_dir=data_dir))
    runner.invoke(app, ["db", "upgrade"])
    with write_session(engine) as session:
        use_sign_in_link(session, create_sign_in_link(session, "ada@example.org"))
    granted = runner.invoke(app, ["admin", "grant", "Ada@Example.org"])
    assert granted.exit_code == 0 and "ada is a moderator" in granted.output
    unknown = runner.invoke(app, ["admin", "grant", "nobody@example.org"])
    assert unknown.exit_code == 1 and "must sign in once first" in unknown.output
    assert runner.invoke(app, ["admin", "grant", "not an address"]).exit_code == 2


def test_digest_build_covers_the_newest_list_unless_told_a_date(data_dir: Path) -> None:
    assert runner.invoke(app, ["digest", "build"]).output.strip() == "error: no papers have been listed yet"
    engine = create_db_engine(Settings(data_dir=data_dir))
    with write_session(engine) as session:
        store_papers(
            session,
            [
                listed_paper("2508.00001", dt.date(2025, 8, 11)),
                *(listed_paper(f"2508.0000{n}", dt.date(2025, 8, 12)) for n in (2, 3)),
            ],
            rules=ListingRules(),
        )
    engine.dispose()

    newest = runner.invoke(app, ["digest", "build"])
    assert newest.exit_code == 0, newest.output
    assert newest.output.startswith("daily edition of 2025-08-12 built: 2 papers")
    earlier = runner.invoke(app, ["digest", "build", "--date", "2025-08-11"])
    assert earlier.exit_code == 0 and earlier.output.startswith("daily edition of 2025-08-11 built")


def test_submissions_fetch_fetches_what_members_submitted_once(
    data_dir: Path, fake_arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAILYPAPERS_ARXIV_API_URL", fake_arxiv.api_url)
    monkeypatch.setenv("DAILYPAPERS_ARXIV_DELAY_SECONDS", "0")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    settings = Settings()
    engine = create_db_engine(settings)
    with write_session(engine) as session:
        ada = use_sign_in_link(session, create_sign_in_link(session, "ada@example.org"))
    submit_paper(engine, settings, ada, "2306.09299")
    submit_paper(engine, settings, ada, "2401.99999")
    engine.dispose()

    fetched = runner.invoke(app, ["submissions", "fetch"])
    assert fetched.exit_code == 0, fetched.output
    assert fetched.output == "submitted papers fetched from arXiv: 1 listed, 1 failed, 0 to retry\n"
    assert runner.invoke(app, ["submissions", "fetch"]).output.endswith(": none\n")
    assert len(fake_arxiv.requests_to("/api/query")) == 1


def test_admin_revoke_takes_moderator_rights_back_and_the_audit_log_keeps_both(data_dir: Path) -> None:
    engine = create_db_engine(Settings(data_dir=data_dir))
    runner.invoke(app, ["db", "upgrade"])
    with write_session(engine) as session:
        use_sign_in_link(session, create_sign_in_link(session, "ada@example.org"))
    runner.invoke(app, ["admin", "grant", "ada@example.org"])
    revoked = runner.invoke(app, ["admin", "revoke", "ADA@example.org"])
    assert revoked.exit_code == 0 and "ada is no longer a moderator" in revoked.output
    with read_session(engine) as session:
        assert accounts.user_by_username(session, "ada").is_moderator is False  # type: ignore[union-attr]
        log = [(entry.action, entry.target, who) for entry, who in moderation.audit_log(session)]
    assert log == [("revoke moderator", "ada", None), ("grant moderator", "ada", None)]
    unknown = runner.invoke(app, ["admin", "revoke", "nobody@example.org"])
    assert unknown.exit_code == 1 and "must sign in once first" in unknown.output
