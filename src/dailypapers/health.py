"""Whether a process can do its work: a check of each shared part of its runtime, for ``/healthz``.

A load balancer asks ``/healthz`` every few seconds and takes a server out of rotation while it
answers 503; the answer names each failed check (``database: OperationalError``) and the log says
more. The details (addresses, user names) stay in the log: ``/healthz`` answers anyone.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future

import sqlalchemy as sa

from dailypapers.runtime import Runtime

log = logging.getLogger(__name__)

#: Seconds a check may take before it counts as failed: under the 5 s that load balancers commonly
#: wait for a probe, so that they get the reason rather than a timeout of their own.
CHECK_SECONDS = 2.0


def database_answers(runtime: Runtime) -> None:
    """The database answers a query, on a connection of the pool that requests use."""
    with runtime.engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))


def queue_answers(runtime: Runtime) -> None:
    """The queue of background jobs answers (Redis, or ``queue.db`` in the data dir): without it,
    no paper is harvested or fetched, and no digest goes out."""
    runtime.queue.pending_count()


#: Each check by the name its failure is reported under; one that raises has failed.
CHECKS: dict[str, Callable[[Runtime], None]] = {"database": database_answers, "queue": queue_answers}

#: Each check runs in a daemon thread of its own, one at a time: one that hangs (a database that never
#: answers a connection) then holds one thread, not one more per probe, and does not hold up the
#: process when it stops.
_running = {name: threading.Lock() for name in CHECKS}


def _started(name: str, runtime: Runtime) -> Future[None] | None:
    """The outcome of check ``name``, started now; None while its previous run has not ended."""
    if not _running[name].acquire(blocking=False):
        return None
    outcome: Future[None] = Future()
    outcome.set_running_or_notify_cancel()  # a running future outlives the probe that stops waiting

    def run() -> None:
        try:
            CHECKS[name](runtime)
            outcome.set_result(None)
        except Exception as error:
            outcome.set_exception(error)
        finally:
            _running[name].release()

    threading.Thread(target=run, name=f"health-check-{name}", daemon=True).start()
    return outcome


async def failed_checks(runtime: Runtime) -> list[str]:
    """One line per failed check, ``name: reason``; empty when every check passed. The checks run
    side by side, so the answer takes at most CHECK_SECONDS however many there are."""
    started = {name: _started(name, runtime) for name in CHECKS}
    outcomes = await asyncio.gather(*(_outcome(name, started[name]) for name in CHECKS))
    return [failure for failure in outcomes if failure]


async def _outcome(name: str, outcome: Future[None] | None) -> str:
    try:
        if outcome is None:  # its previous run still waits for an answer
            raise TimeoutError
        await asyncio.wait_for(asyncio.wrap_future(outcome), CHECK_SECONDS)
    except TimeoutError:
        log.warning("health check %s: no answer within %g s", name, CHECK_SECONDS)
        return f"{name}: no answer within {CHECK_SECONDS:g} s"
    except Exception as error:  # any failure of the part is what the check reports
        log.warning("health check %s failed", name, exc_info=error)
        return f"{name}: {type(error).__name__}"
    return ""
