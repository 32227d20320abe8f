"""The task queue: a failing job is retried with backoff then parked with its error, a periodic job
runs once per period however many workers share the queue (SQLite or Redis), and a worker killed in
the middle of sending the digest loses and doubles no mail."""

from __future__ import annotations

import datetime as dt
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dailypapers.cli import app
from dailypapers.queue import (
    Job,
    JobRuntime,
    PeriodOnceHuey,
    build_queue,
    consumer,
    parked_jobs,
    registered_jobs,
    run_soon,
)
from dailypapers.runtime import Runtime
from dailypapers.settings import Settings
from outbox_crash import BATCH, fill, resent_copies, send_with_kills, sending_environment
from smtp_sink import SmtpServer


def every_seconds(seconds: float) -> Callable[[Settings], float]:
    return lambda settings: seconds


def a_job(run: Callable[[JobRuntime, dt.datetime], object], *, every: float) -> Job:
    return Job(run.__name__, run.__name__, run, every_seconds(every), lambda settings: True)


@contextmanager
def consuming(*queues: PeriodOnceHuey) -> Iterator[None]:
    """A consumer (one worker thread and its scheduler) on each queue, as in a process of its own;
    stopped, and the signal handlers they set put back, at the end."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumers = [consumer(queue, workers=1) for queue in queues]
    for each in consumers:
        each.start()
    try:
        yield
    finally:
        for each in consumers:
            each.stop(graceful=True)
        for number, handler in handlers.items():
            signal.signal(number, handler)


def wait_for(condition: Callable[[], object], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(params=["sqlite", "redis"])
def queue_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """Settings whose queue is ``queue.db`` in the data dir, or in the test Redis; emptied after."""
    if request.param == "redis":
        settings = settings.model_copy(update=request.getfixturevalue("redis_sharing"))
    yield settings
    build_queue(settings, lambda: Runtime.from_settings(settings), []).flush()


def test_every_domain_declares_its_jobs_in_its_tasks_module() -> None:
    assert [(job.run.__module__, job.name) for job in registered_jobs()] == [
        ("dailypapers.ingest.tasks", "harvest_new_papers"),
        ("dailypapers.community.tasks", "fetch_submitted_papers"),
        ("dailypapers.search.tasks", "index_new_papers"),
        ("dailypapers.search.tasks", "embed_papers"),
        ("dailypapers.search.tasks", "publish_vectors"),
        ("dailypapers.digest.tasks", "build_due_editions"),
        ("dailypapers.digest.tasks", "send_due_mail"),
    ]


def test_a_failing_job_is_retried_with_backoff_then_parked_with_its_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    tries: list[float] = []

    def call_a_server_that_is_down(runtime: JobRuntime, moment: dt.datetime) -> None:
        tries.append(time.monotonic())
        raise ConnectionError("the server is down")

    quick = settings.model_copy(update={"job_retries": 2, "job_retry_delay_seconds": 1})
    queue = build_queue(
        quick, lambda: Runtime.from_settings(quick), [a_job(call_a_server_that_is_down, every=3600)]
    )
    with consuming(queue):
        wait_for(lambda: parked_jobs(queue), seconds=20)
    assert len(tries) == 3
    first_wait, second_wait = tries[1] - tries[0], tries[2] - tries[1]
    assert 1 <= first_wait < second_wait and second_wait >= 2  # one second, then twice that
    [parked] = parked_jobs(queue)
    assert (parked.job, parked.error) == (
        "call_a_server_that_is_down",
        "ConnectionError('the server is down')",
    )

    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(settings.data_dir))
    listed = CliRunner().invoke(app, ["jobs"])
    assert listed.exit_code == 0
    assert "call_a_server_that_is_down: ConnectionError('the server is down')" in listed.output
    assert "forgot 1 parked run(s)" in CliRunner().invoke(app, ["jobs", "--forget"]).output
    assert parked_jobs(queue) == []


def test_a_periodic_job_runs_once_per_period_with_three_workers(queue_settings: Settings) -> None:
    periods: list[dt.datetime] = []
    lock = threading.Lock()

    def count_the_run(runtime: JobRuntime, moment: dt.datetime) -> None:
        with lock:
            periods.append(moment)

    job = a_job(count_the_run, every=2)
    queues = [
        build_queue(queue_settings, lambda: Runtime.from_settings(queue_settings), [job]) for _ in range(3)
    ]
    with consuming(*queues):
        time.sleep(7)
    ordered = sorted(periods)
    assert len(ordered) >= 3
    assert ordered == [ordered[0] + dt.timedelta(seconds=2 * n) for n in range(len(ordered))]


def test_a_job_can_be_run_soon_beside_its_schedule(settings: Settings) -> None:
    """As the web does when a member submits a paper the catalog lacks."""
    runs: list[dt.datetime] = []

    def fetch_what_members_asked_for(runtime: JobRuntime, moment: dt.datetime) -> None:
        runs.append(moment)

    queue = build_queue(
        settings, lambda: Runtime.from_settings(settings), [a_job(fetch_what_members_asked_for, every=3600)]
    )
    with consuming(queue):
        wait_for(lambda: len(runs) == 1, seconds=10)  # this hour's run
        asked = dt.datetime.now(dt.UTC)
        run_soon(queue, fetch_what_members_asked_for)
        wait_for(lambda: len(runs) == 2, seconds=10)
    assert runs[1] - asked < dt.timedelta(seconds=1)


@pytest.mark.slow
def test_a_worker_killed_while_sending_the_digest_loses_and_doubles_no_mail(
    sqlite_engine: sa.Engine, settings: Settings, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """Kill -9 of real `dailypapers worker` processes mid-send: the next worker's send job takes the
    killed one's mail over when its lease ends, and each subscriber gets one distinct mail."""
    fill(sqlite_engine)
    environment = {**sending_environment(settings, smtp_server), "DAILYPAPERS_WORKER_INTERVAL_SECONDS": "1"}
    command = [sys.executable, "-m", "dailypapers", "worker"]
    kills = send_with_kills(command, environment, sqlite_engine, smtp_server, tmp_path / "stderr", kills=3)
    assert kills == 3
    assert resent_copies(smtp_server) <= kills * BATCH  # SMTP's window, under the same Message-ID
