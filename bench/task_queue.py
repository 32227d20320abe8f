"""The task queue candidates side by side: throughput of a burst of jobs, and how long a job waits
before a worker starts it on an idle site.

Usage: python bench/task_queue.py [--jobs 2000] [--samples 100] [--workers 2]
                             [--redis redis://127.0.0.1:6379/0] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
(the procrastinate row needs `pip install procrastinate`: a candidate measured, not a dependency)

Issue 20 asks for a well-kept task queue that needs no server on one machine and shares PostgreSQL
or Redis on many. Measured here, each with a no-op job (so the numbers are the queue's own cost):

- huey on SQLite (``queue.db``, the embedded default of ``dailypapers.queue``), through the same
  ``build_queue`` and ``consumer`` as ``dailypapers worker``;
- huey on Redis (with ``DAILYPAPERS_REDIS_URL``), the same way;
- huey on PostgreSQL (``PostgresStorage``, LISTEN/NOTIFY), and procrastinate on PostgreSQL, its
  worker with ``concurrency`` = --workers: the PostgreSQL-only candidates, for comparison;
- the baseline: the job called directly, --jobs times, in this process.

Throughput: --jobs jobs enqueued one by one (enqueue rate), then a consumer of --workers threads
(procrastinate: its async worker) starts and runs them all (run rate, from its start to the last
job done). Latency: --samples jobs enqueued one at a time, each 0.2 s after the previous one ran,
so workers are idle as on a real site between jobs; reported is the wait from enqueue to the job's
start (p50, p99, max). Each backend gets a fresh queue (a temporary data dir, its own Redis key
name, its own PostgreSQL database) that is removed after.

What decides: the site's jobs run a few times per period (minutes) and each takes seconds, so any
rate above ~100 jobs/s and any latency under a second is plenty; the choice is which backends
exist at all without a server (only huey's SQLite) and which serve many machines (huey's Redis and
PostgreSQL, procrastinate). One library for both is huey.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import huey.storage
import psycopg
import redis

from dailypapers.queue import PeriodOnceHuey, build_queue, consumer
from dailypapers.runtime import Runtime
from dailypapers.settings import Settings

#: Pause between two latency samples: long enough that a worker has gone back to waiting.
SAMPLE_GAP_SECONDS = 0.2


@dataclass
class Row:
    backend: str
    enqueue_per_s: float
    run_per_s: float
    latencies_ms: list[float]

    def line(self) -> str:
        if not self.latencies_ms:
            return f"{self.backend:<26} {self.enqueue_per_s:>11,.0f} {self.run_per_s:>9,.0f}"
        ordered = sorted(self.latencies_ms)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"{self.backend:<26} {self.enqueue_per_s:>11,.0f} {self.run_per_s:>9,.0f} "
            f"{statistics.median(ordered):>8.1f} {p99:>8.1f} {ordered[-1]:>8.1f}"
        )


class Finished:
    """When each job (by number) started, and a wait for a number of them to have run."""

    def __init__(self) -> None:
        self.started: dict[int, float] = {}
        self._condition = threading.Condition()

    def record(self, number: int) -> None:
        with self._condition:
            self.started[number] = time.perf_counter()
            self._condition.notify_all()

    def wait_for(self, count: int, timeout: float = 300) -> None:
        with self._condition:
            assert self._condition.wait_for(lambda: len(self.started) >= count, timeout), "jobs did not run"


def baseline(jobs: int) -> Row:
    finished = Finished()
    started = time.perf_counter()
    for number in range(jobs):
        finished.record(number)
    rate = jobs / (time.perf_counter() - started)
    return Row("direct call (baseline)", rate, rate, [])


@contextmanager
def running(queue: PeriodOnceHuey, workers: int) -> Iterator[None]:
    runner = consumer(queue, workers=workers)
    runner.start()
    try:
        yield
    finally:
        runner.stop(graceful=True)


def measure_huey(backend: str, queue: PeriodOnceHuey, jobs: int, samples: int, workers: int) -> Row:
    finished = Finished()
    noop = queue.task(name="noop")(finished.record)
    started = time.perf_counter()
    for number in range(jobs):
        noop(number)
    enqueue_rate = jobs / (time.perf_counter() - started)
    with running(queue, workers):
        started = time.perf_counter()
        finished.wait_for(jobs)
        run_rate = jobs / (max(finished.started.values()) - started)
        latencies = []
        for number in range(jobs, jobs + samples):
            time.sleep(SAMPLE_GAP_SECONDS)
            enqueued = time.perf_counter()
            noop(number)
            finished.wait_for(number + 1)
            latencies.append((finished.started[number] - enqueued) * 1000)
    queue.flush()
    return Row(backend, enqueue_rate, run_rate, latencies)


def measure_huey_postgres(url: str, jobs: int, samples: int, workers: int) -> Row:
    with temporary_database(url) as database_url:
        queue = PeriodOnceHuey("bench", {}, storage_class=huey.storage.PostgresStorage, dsn=database_url)
        row = measure_huey("huey + PostgreSQL", queue, jobs, samples, workers)
        queue.storage.close()
        return row


def measure_procrastinate(url: str, jobs: int, samples: int, workers: int) -> Row:
    import procrastinate

    async def measure(database_url: str) -> Row:
        finished = Finished()
        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=database_url))

        @app.task(name="noop")
        async def noop(number: int) -> None:
            finished.record(number)

        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            started = time.perf_counter()
            for number in range(jobs):
                await noop.defer_async(number=number)
            enqueue_rate = jobs / (time.perf_counter() - started)
            worker = asyncio.create_task(
                app.run_worker_async(concurrency=workers, install_signal_handlers=False, delete_jobs="always")
            )
            started = time.perf_counter()
            await asyncio.to_thread(finished.wait_for, jobs)
            run_rate = jobs / (max(finished.started.values()) - started)
            latencies = []
            for number in range(jobs, jobs + samples):
                await asyncio.sleep(SAMPLE_GAP_SECONDS)
                enqueued = time.perf_counter()
                await noop.defer_async(number=number)
                await asyncio.to_thread(finished.wait_for, number + 1)
                latencies.append((finished.started[number] - enqueued) * 1000)
            worker.cancel()
            with suppress(asyncio.CancelledError):
                await worker
        return Row("procrastinate + PostgreSQL", enqueue_rate, run_rate, latencies)

    with temporary_database(url) as database_url:
        return asyncio.run(measure(database_url))


@contextmanager
def temporary_database(url: str) -> Iterator[str]:
    name = f"bench_queue_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def reachable(check: Callable[[], object]) -> bool:
    try:
        check()
    except Exception as error:  # the bench skips a backend whose server is not there
        print(f"  skipped: {error}")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    options = parser.parse_args()
    print(
        f"{options.jobs} no-op jobs, {options.samples} latency samples, {options.workers} workers; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    sizes = (options.jobs, options.samples, options.workers)
    rows = [baseline(options.jobs)]
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir))
        queue = build_queue(settings, lambda: Runtime.from_settings(settings), [])
        rows.append(
            measure_huey("huey + SQLite (default)", queue, options.jobs, options.samples, options.workers)
        )
    redis_settings = Settings(redis_url=options.redis, redis_prefix=f"benchqueue{uuid.uuid4().hex[:8]}")
    if reachable(lambda: redis.Redis.from_url(options.redis).ping()):
        queue = build_queue(redis_settings, lambda: Runtime.from_settings(redis_settings), [])
        rows.append(measure_huey("huey + Redis", queue, *sizes))
    if reachable(lambda: psycopg.connect(options.postgres).close()):
        rows.append(measure_huey_postgres(options.postgres, *sizes))
        rows.append(measure_procrastinate(options.postgres, *sizes))
    print(f"{'backend':<26} {'enqueue/s':>11} {'run/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for row in rows:
        print(row.line())


if __name__ == "__main__":
    main()
