"""The site's background jobs on huey: what a job is, how a domain declares one, and the queue.

Each domain declares its jobs in its own ``tasks.py`` with ``@periodic_job(...)`` (as warehouse's
``add_periodic_task``), a plain idempotent function of the worker's ``JobRuntime`` and the moment
it runs for (the start of its period). ``dailypapers worker`` runs them on a huey consumer;
``dailypapers worker --once`` calls each in turn, in the order of ``JOB_MODULES``.

Why huey (``bench/task_queue.py`` measures it): one library covers both kinds of site. ``SqliteHuey``
keeps the queue in ``queue.db`` in the data dir, so one machine needs no server; with
``DAILYPAPERS_REDIS_URL`` the queue lives in Redis, which the scaled-out site runs anyway for its
rate limits and changes. procrastinate needs PostgreSQL (no embedded path) and dramatiq has no
server-less broker, so each would leave one of the two sites on something home-made. Speed does
not decide: the site enqueues a few jobs a minute, and on 2 busy cores huey runs ~1,000 no-op jobs/s
on SQLite (a job waits 20 ms for an idle worker, p50) and ~2,200/s on Redis (1 ms), where
procrastinate runs 63/s (23 ms).

What huey does not give, and how we get it:

- *A periodic job runs once per period, however many consumers.* Every huey consumer runs its own
  scheduler and would enqueue every periodic job; ``PeriodOnceHuey`` lets only the scheduler that
  first claims the job's current period (an atomic ``put_if_empty`` on the shared storage) enqueue it.
- *A killed worker's job is taken over.* huey removes a job from the queue when a worker takes it,
  with no acknowledgement, so a worker killed mid-job loses that run. Our jobs are idempotent sweeps
  whose progress lives in the database (the digest outbox's leases, the claims of
  ``submission_fetches``, the search index's waiting papers), so the next period's run, on any
  worker, finishes the work: nothing is lost and the outbox sends nothing twice.
- *A job that keeps failing is parked where an operator sees it.* huey stores no result for a
  periodic job; after its last retry we keep its error under ``parked:`` in the queue's storage,
  which ``dailypapers jobs`` lists.
"""

from __future__ import annotations

import calendar
import datetime as dt
import importlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import huey
import huey.consumer
import huey.storage
from huey import signals

from dailypapers.settings import Settings

if TYPE_CHECKING:
    import sqlalchemy as sa

    from dailypapers.digest.sender import Sender
    from dailypapers.ingest.polite import PoliteSession

log = logging.getLogger(__name__)

#: The domains that declare jobs, in the order ``dailypapers worker --once`` runs them: new papers
#: first, then what makes them findable, then the mail that lists them.
JOB_MODULES = (
    "dailypapers.ingest.tasks",
    "dailypapers.community.tasks",
    "dailypapers.search.tasks",
    "dailypapers.digest.tasks",
)
#: Each wait before a retry is twice the one before: with the default first wait of a minute, a
#: job rides out a few minutes of arXiv or SMTP trouble, and a lasting failure is parked in about
#: a quarter of an hour instead of being retried all day.
RETRY_BACKOFF = 2.0
PARKED = "parked:"


class JobRuntime(Protocol):
    """What a job may use: built once per worker process from its settings."""

    @property
    def settings(self) -> Settings: ...

    @property
    def engine(self) -> sa.Engine: ...

    @property
    def digest_sender(self) -> Sender: ...

    @property
    def arxiv(self) -> PoliteSession:
        """The worker's one paced session to arXiv, so the harvest and the submissions share its pause."""
        ...


@dataclass(frozen=True)
class Job:
    """A periodic job: ``run(runtime, moment)`` returns what the health line shows of its work."""

    name: str
    #: Its word in the health line of ``dailypapers worker --once``, e.g. ``sent``.
    label: str
    run: Callable[[JobRuntime, dt.datetime], object]
    #: Seconds from one run to the next, from the settings.
    every: Callable[[Settings], float]
    enabled: Callable[[Settings], bool]


_registered: dict[str, Job] = {}
JobFunction = TypeVar("JobFunction", bound=Callable[[JobRuntime, dt.datetime], object])


def periodic_job(
    label: str,
    *,
    every: Callable[[Settings], float] = lambda settings: settings.worker_interval_seconds,
    enabled: Callable[[Settings], bool] = lambda settings: True,
) -> Callable[[JobFunction], JobFunction]:
    """Declare a function of a domain's ``tasks.py`` a periodic job, named after the function; the
    function itself stays a plain callable for the CLI and tests."""

    def register(function: JobFunction) -> JobFunction:
        name = function.__name__
        if name in _registered and _registered[name].run is not function:
            raise ValueError(f"two background jobs are named {name}")
        _registered[name] = Job(name, label, function, every, enabled)
        return function

    return register


def registered_jobs() -> list[Job]:
    """Every declared job, in the order of ``JOB_MODULES`` and, within one, of declaration."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    order = {module: position for position, module in enumerate(JOB_MODULES)}
    return sorted(_registered.values(), key=lambda job: order[job.run.__module__])


class PeriodOnceHuey(huey.Huey):  # type: ignore[misc]  # huey ships no type hints
    """A huey whose schedulers enqueue each periodic job once per period between them all."""

    def __init__(self, name: str, periods: dict[str, float], **options: Any) -> None:
        super().__init__(name, results=False, **options)
        self.periods = periods
        #: The huey task of each job, by the job's name.
        self.tasks: dict[str, huey.api.TaskWrapper] = {}

    def read_periodic(self, timestamp: dt.datetime | None) -> list[huey.api.PeriodicTask]:
        """The periodic tasks this scheduler is the first to ask for in their current period, each
        told that period's start (``period_start``, seconds since the epoch) as its moment."""
        timestamp = timestamp or self._get_timestamp()
        claimed = []
        for task in super().read_periodic(timestamp):
            start = self.claim_period(task.name, timestamp)
            if start is not None:
                task.kwargs = {"period_start": start}
                claimed.append(task)
        return claimed

    def claim_period(self, name: str, timestamp: dt.datetime) -> float | None:
        """The start of the period of ``name`` that holds ``timestamp`` (naive UTC, as huey keeps
        time) if this scheduler is the first to claim it, else ``None``. Clears the claim of two
        periods before, which no scheduler whose clock is off by less than a period asks for."""
        period = self.periods[name]
        start = calendar.timegm(timestamp.utctimetuple()) // period * period
        if not self.storage.put_if_empty(f"period:{name}:{start:.0f}", b"1"):
            return None
        self.storage.delete_data(f"period:{name}:{start - 2 * period:.0f}")
        return start


def build_queue(
    settings: Settings, runtime: Callable[[], JobRuntime], jobs: Sequence[Job] | None = None
) -> PeriodOnceHuey:
    """The queue of ``settings`` (Redis with ``DAILYPAPERS_REDIS_URL``, else ``queue.db`` in the data
    dir) with ``jobs`` (default: every registered one) as periodic tasks that call ``runtime()`` for
    their parts. Every process must build it from the same settings: consumers find a job by name."""
    jobs = registered_jobs() if jobs is None else jobs
    periods = {job.name: job.every(settings) for job in jobs if job.enabled(settings)}
    storage: dict[str, Any]
    if settings.redis_url:
        storage = {"storage_class": huey.storage.RedisStorage, "url": settings.redis_url}
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        filename = str(settings.data_dir / "queue.db")
        storage = {"storage_class": huey.storage.SqliteStorage, "filename": filename}
    queue = PeriodOnceHuey(settings.redis_prefix, periods, **storage)
    for job in jobs:
        if job.name in periods:
            _add_task(queue, job, runtime, settings)

    def park(signal: str, task: huey.api.Task, error: BaseException) -> None:
        if task.retries:
            return  # huey retries it
        log.error("job %s failed after its last retry and is parked: %r", task.name, error)
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        parked = {"job": task.name, "task_id": task.id, "at": at, "error": repr(error)}
        queue.storage.put_data(f"{PARKED}{task.name}:{task.id}", json.dumps(parked).encode())

    queue.signal(signals.SIGNAL_ERROR)(park)
    return queue


def _add_task(queue: PeriodOnceHuey, job: Job, runtime: Callable[[], JobRuntime], settings: Settings) -> None:
    def run(period_start: float) -> object:
        started = time.monotonic()
        done = job.run(runtime(), dt.datetime.fromtimestamp(period_start, dt.UTC))
        log.info("%s: %s %s (%.1f s)", job.name, job.label, done, time.monotonic() - started)
        return done

    run.__module__ = job.run.__module__
    queue.tasks[job.name] = queue.periodic_task(
        lambda timestamp: True,  # each scheduler asks every minute; PeriodOnceHuey keeps one per period
        name=job.name,
        retries=settings.job_retries,
        retry_delay=settings.job_retry_delay_seconds,
        retry_backoff=RETRY_BACKOFF,
    )(run)


def run_soon(queue: PeriodOnceHuey, job: Callable[[JobRuntime, dt.datetime], object]) -> None:
    """Have a worker run the periodic ``job`` as soon as one is free, beside its schedule: for
    work someone waits for, as a paper a member just submitted. Does nothing if the job is off.

    Only a wish: the job's schedule runs it anyway, so a queue that cannot be reached (Redis down)
    is logged and the caller, often a web request, goes on."""
    task = queue.tasks.get(job.__name__)
    if task is None:
        return
    try:
        task(period_start=time.time())
    except Exception:  # whatever the storage raises; the next period does the work
        log.warning("could not ask for %s at once; its schedule will run it", job.__name__, exc_info=True)


@dataclass(frozen=True)
class ParkedJob:
    job: str
    task_id: str
    at: str
    error: str


def parked_jobs(queue: huey.Huey) -> list[ParkedJob]:
    """Runs that failed after their last retry, oldest first; empty when none did."""
    records = [
        ParkedJob(**json.loads(bytes(value)))
        for key, value in queue.storage.result_items().items()
        if key.startswith(PARKED)
    ]
    return sorted(records, key=lambda parked: parked.at)


def forget_parked(queue: huey.Huey) -> int:
    """Clear the parked runs (after the operator read them); how many there were."""
    parked = parked_jobs(queue)
    for record in parked:
        queue.storage.delete_data(f"{PARKED}{record.job}:{record.task_id}")
    return len(parked)


def consumer(queue: PeriodOnceHuey, *, workers: int) -> huey.consumer.Consumer:
    """A consumer of ``workers`` threads whose scheduler looks for due periodic jobs as often as the
    shortest period asks (huey looks every minute), but at most every second."""

    class Scheduler(huey.consumer.Scheduler):  # type: ignore[misc]  # huey ships no type hints
        periodic_task_seconds = max(1, min(min(queue.periods.values(), default=60), 60))

    class Consumer(huey.consumer.Consumer):  # type: ignore[misc]  # huey ships no type hints
        scheduler_class = Scheduler

    # An idle worker polls the SQLite queue at least every second (Redis wakes it at once).
    return Consumer(queue, workers=workers, worker_type="thread", max_delay=1.0)
