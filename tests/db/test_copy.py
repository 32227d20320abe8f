"""``dailypapers db copy --to URL``: a lab's SQLite site moves to PostgreSQL with nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dailypapers.cli import app
from dailypapers.community.accounts import create_sign_in_link, use_sign_in_link
from dailypapers.community.comments import add_comment
from dailypapers.db.copy import row_counts
from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import read_session, write_session
from dailypapers.search.service import search_papers
from dailypapers.settings import Settings
from factories import fill_lab_site

runner = CliRunner()


@pytest.fixture
def lab_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A SQLite site with papers, members, votes, comments, subscribers and a digest."""
    settings = Settings(data_dir=tmp_path / "data")
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(settings.data_dir))
    engine = create_db_engine(settings)
    upgrade_database(engine)
    fill_lab_site(engine)
    engine.dispose()
    return settings


@pytest.mark.postgres
def test_a_sqlite_site_moves_to_postgresql_whole(lab_site: Settings, postgres_database_url: str) -> None:
    copied = runner.invoke(app, ["db", "copy", "--to", postgres_database_url])
    assert copied.exit_code == 0, copied.output
    assert "every table holds as many rows as the source" in copied.output
    source = create_db_engine(lab_site)
    target = create_db_engine(lab_site.model_copy(update={"database_url": postgres_database_url}))
    counts = row_counts(target)
    assert counts == row_counts(source)
    assert (counts["papers"], counts["votes"], counts["comments"], counts["users"]) == (5, 3, 2, 2)
    with read_session(target) as session:
        # Findable by its words there: the keyword index was built on the new database.
        assert len(search_papers(session, "divergences", limit=10)) == 5

    # The new site goes on numbering after the copied rows: a third member and comment fit in.
    with write_session(target) as session:
        carol = use_sign_in_link(session, create_sign_in_link(session, "carol@lab.example.org"))
        add_comment(session, carol, "2605.00002", "New here.")
    assert row_counts(target)["comments"] == 3

    again = runner.invoke(app, ["db", "copy", "--to", postgres_database_url])
    assert again.exit_code == 2
    assert "the target database is not empty" in again.output
    assert row_counts(target)["comments"] == 3  # a refused copy changes nothing
    source.dispose()
    target.dispose()


def test_an_unreachable_target_is_a_one_line_error(lab_site: Settings) -> None:
    refused = runner.invoke(app, ["db", "copy", "--to", "postgresql+psycopg://nobody@127.0.0.1:1/none"])
    assert refused.exit_code == 2
    assert refused.output.startswith("error: cannot open") and len(refused.output.splitlines()) <= 2
