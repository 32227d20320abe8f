"""`dailypapers worker`: a huey consumer running the jobs the domains declare (``dailypapers.queue``).

Any number of workers, on any number of machines, share one queue (``queue.db`` in the data dir, or
Redis with ``DAILYPAPERS_REDIS_URL``): each periodic job runs once per period, on whichever worker
is free. ``--once`` runs every job once, in order, in this process, and prints the health line.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from dailypapers.db.write import read_session
from dailypapers.digest.sender import waiting
from dailypapers.queue import JobRuntime, consumer, registered_jobs
from dailypapers.runtime import Runtime

log = logging.getLogger("dailypapers.worker")


def run_once(runtime: JobRuntime, moment: dt.datetime) -> str:
    """Every enabled job once, in order; returns the health line. A failing job is logged and the
    others run."""
    started = time.monotonic()
    parts = []
    for job in registered_jobs():
        if not job.enabled(runtime.settings):
            continue
        try:
            parts.append(f"{job.label} {job.run(runtime, moment)}")
        except Exception as error:  # one job's trouble must not stop the mail
            log.exception("worker: %s failed", job.name)
            parts.append(f"{job.label} FAILED ({type(error).__name__})")
    with read_session(runtime.engine) as session:
        parts.append(f"waiting {waiting(session)}")
    return f"worker round: {'; '.join(parts)}; took {time.monotonic() - started:.1f} s"


def run_worker(runtime: Runtime, *, workers: int = 1) -> None:
    """Take jobs from the runtime's queue with ``workers`` threads until stopped (SIGINT or
    SIGTERM); each job's outcome is logged, as ``--once`` prints its health line."""
    logging.getLogger("dailypapers.queue").setLevel(logging.INFO)
    queue = runtime.queue
    storage = "Redis" if runtime.settings.redis_url else runtime.settings.data_dir / "queue.db"
    schedule = ", ".join(f"{name} every {seconds:g} s" for name, seconds in queue.periods.items())
    print(f"worker: {workers} thread(s) on the queue in {storage}; {schedule}", flush=True)
    consumer(queue, workers=workers).run()
