"""``/healthz``: what a load balancer asks every few seconds to know whether a web server can answer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dailypapers.health import CHECK_SECONDS
from dailypapers.runtime import Runtime
from dailypapers.settings import Settings
from dailypapers.web.app import create_app


def site_with_database(settings: Settings, url: str) -> TestClient:
    """The site of ``settings``, its runtime's engine replaced by one for ``url``, as when the
    database goes away after the site started."""
    runtime = Runtime.from_settings(settings)
    return TestClient(create_app(replace(runtime, engine=sa.create_engine(url))))


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that takes connections and never answers, as a database behind a dead network path."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def test_healthz_answers_ok_while_the_database_answers(db_settings: Settings) -> None:
    with TestClient(create_app(db_settings)) as site:
        answer = site.get("/healthz")
    assert (answer.status_code, answer.text) == (200, "ok")
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("broken", ["a PostgreSQL server that refuses", "a SQLite file that cannot open"])
def test_healthz_answers_503_naming_the_database_when_it_cannot_be_reached(
    settings: Settings, tmp_path: Path, closed_port: int, broken: str
) -> None:
    url = {
        "a PostgreSQL server that refuses": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/papers",
        "a SQLite file that cannot open": f"sqlite:///{tmp_path}/unmounted/dailypapers.db",
    }[broken]
    answer = site_with_database(settings, url).get("/healthz")
    assert (answer.status_code, answer.text) == (503, "database: OperationalError")
    assert answer.headers["cache-control"] == "no-store"
    assert "127.0.0.1" not in answer.text and "unmounted" not in answer.text  # details go to the log


def test_healthz_answers_503_naming_the_queue_when_its_redis_is_gone(
    settings: Settings, closed_port: int
) -> None:
    """Without its queue a site still shows pages, but harvests, fetches and mails nothing: a load
    balancer's probe, or the operator's monitoring, must hear of it."""
    gone = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port}/0"})
    with TestClient(create_app(gone)) as site:
        answer = site.get("/healthz")
    assert (answer.status_code, answer.text) == (503, "queue: ConnectionError")


def test_healthz_answers_503_in_time_when_the_database_never_answers(
    settings: Settings, silent_server: int
) -> None:
    site = site_with_database(settings, f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/papers")
    answer = site.get("/healthz")
    assert (answer.status_code, answer.text) == (503, f"database: no answer within {CHECK_SECONDS:g} s")
    assert answer.elapsed.total_seconds() < CHECK_SECONDS + 1
    again = site.get("/healthz")
    assert again.status_code == 503
    # The first check still waits for the silent server; the second started no other thread.
    assert [thread.name for thread in threading.enumerate()].count("health-check-database") == 1


def test_the_favicon_answers_from_memory_with_a_day_of_caching(site: TestClient) -> None:
    answer = site.get("/favicon.ico")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.headers["cache-control"] == "public, max-age=86400"
    assert answer.content.lstrip().startswith(b"<svg")
