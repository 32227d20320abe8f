"""Background jobs of the digest (see ``dailypapers.queue``): build the editions that are due, then
send the mail that is due. The outbox makes both safe to run anywhere, any number of times."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dailypapers.db.write import read_session, write_session
from dailypapers.digest.editions import build_edition
from dailypapers.papers.queries import newest_listing_day
from dailypapers.queue import JobRuntime, periodic_job
from dailypapers.settings import Settings


@dataclass(frozen=True)
class DueEdition:
    frequency: str
    day: dt.date


def due_editions(settings: Settings, moment: dt.datetime, newest_day: dt.date | None) -> list[DueEdition]:
    """Editions whose lists are final at ``moment`` (an aware time): from ``digest_hour`` local time,
    the newest list of an earlier day, and on Mondays the week before."""
    local = moment.astimezone(ZoneInfo(settings.digest_timezone))
    if local.hour < settings.digest_hour or newest_day is None:
        return []
    today = local.date()
    due = []
    if newest_day < today:
        due.append(DueEdition("daily", newest_day))
    if today.weekday() == 0:
        due.append(DueEdition("weekly", today - dt.timedelta(days=7)))
    return due


@periodic_job("editions")
def build_due_editions(runtime: JobRuntime, moment: dt.datetime) -> str:
    """Build the editions due at ``moment`` and queue their mail; which ones queued any."""
    with read_session(runtime.engine) as session:
        newest = newest_listing_day(session)
    built = []
    for due in due_editions(runtime.settings, moment, newest):
        with write_session(runtime.engine) as session:
            edition = build_edition(session, due.frequency, due.day, sender=runtime.settings.mail_from)
        if edition.queued:
            built.append(f"{due.frequency} {edition.period_start} (+{edition.queued})")
    return ", ".join(built) or "none"


@periodic_job("sent")
def send_due_mail(runtime: JobRuntime, moment: dt.datetime) -> int:
    """Send the digest mail that is due; how many went out."""
    return asyncio.run(runtime.digest_sender.send_due()).sent
