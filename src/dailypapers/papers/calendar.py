"""arXiv's announcement calendar: on which day's list a newly submitted paper appears.

arXiv closes submissions at 14:00 US Eastern time on weekdays and announces them that evening at
20:00; the listing carries the date of the following weekday (Friday's batch is announced on
Sunday evening and listed on Monday). Holidays shift a few days a year; they are not modelled.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

ARXIV_TIMEZONE = ZoneInfo("America/New_York")
SUBMISSION_CUTOFF = dt.time(14, 0)


def next_weekday(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def listing_day(submitted_at: dt.datetime) -> dt.date:
    """The listing date of a paper first submitted at ``submitted_at`` (naive datetimes are UTC)."""
    if submitted_at.tzinfo is None:
        submitted_at = submitted_at.replace(tzinfo=dt.UTC)
    local = submitted_at.astimezone(ARXIV_TIMEZONE)
    cutoff_day = local.date()
    if cutoff_day.weekday() >= 5 or local.time() >= SUBMISSION_CUTOFF:
        cutoff_day = next_weekday(cutoff_day)
    return next_weekday(cutoff_day)
