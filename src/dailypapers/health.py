"""Whether a process can do its work: a check of each shared part of its runtime, for ``/healthz``.

A load balancer asks ``/healthz`` every few seconds and takes a server out of rotation while it
answers 503; the answer names each failed check (``database: OperationalError``) and the log says
more. The details (addresses, user names) stay in the log: ``/healthz`` answers anyone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

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


#: Each check by the name its failure is reported under; one that raises has failed.
CHECKS: dict[str, Callable[[Runtime], None]] = {"database": database_answers}

#: Checks run here, one at a time: one that hangs (a database that never answers a connection) then
#: holds one thread, not one more per probe.
_checking = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-check")


async def failed_checks(runtime: Runtime) -> list[str]:
    """One line per failed check, ``name: reason``; empty when every check passed."""
    failed = []
    for name, check in CHECKS.items():
        try:
            await asyncio.wait_for(asyncio.wrap_future(_checking.submit(check, runtime)), CHECK_SECONDS)
        except TimeoutError:
            log.warning("health check %s: no answer within %g s", name, CHECK_SECONDS)
            failed.append(f"{name}: no answer within {CHECK_SECONDS:g} s")
        except Exception as error:  # any failure of the part is what the check reports
            log.warning("health check %s failed", name, exc_info=error)
            failed.append(f"{name}: {type(error).__name__}")
    return failed
