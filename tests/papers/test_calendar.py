"""Which day's list a new submission lands on, following arXiv's 14:00 US Eastern cutoff."""

import datetime as dt

import pytest

from dailypapers.papers.calendar import listing_day


@pytest.mark.parametrize(
    ("submitted_utc", "listed"),
    [
        (dt.datetime(2025, 8, 11, 17, 59), dt.date(2025, 8, 12)),  # Monday 13:59 EDT: Monday's batch
        (dt.datetime(2025, 8, 11, 18, 1), dt.date(2025, 8, 13)),  # Monday 14:01 EDT: Tuesday's batch
        (dt.datetime(2025, 8, 15, 17, 0), dt.date(2025, 8, 18)),  # Friday before cutoff: Monday's list
        (dt.datetime(2025, 8, 15, 19, 0), dt.date(2025, 8, 19)),  # Friday after cutoff: Tuesday's list
        (dt.datetime(2025, 8, 16, 12, 0), dt.date(2025, 8, 19)),  # Saturday: Tuesday's list
        (dt.datetime(2025, 1, 13, 18, 30), dt.date(2025, 1, 14)),  # winter: 13:30 EST is before the cutoff
    ],
)
def test_listing_day_follows_the_cutoff(submitted_utc: dt.datetime, listed: dt.date) -> None:
    assert listing_day(submitted_utc) == listed


def test_every_listing_day_is_a_weekday() -> None:
    start = dt.datetime(2025, 3, 1)
    for hours in range(0, 24 * 21, 5):
        assert listing_day(start + dt.timedelta(hours=hours)).weekday() < 5
