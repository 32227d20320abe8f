"""The periods a daily list can be read by: a day (2025-08-11), an ISO week (2025-W33), a month (2025-08)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["date", "week", "month"]
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
#: ``2025-08-11T00:00:00.000Z``: the Hub takes a timestamp for a day, and some clients send one.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?")


class InvalidPeriod(ValueError):
    """Text that names no day, week or month; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        if self.kind == "date":
            return self.first.isoformat()
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return self.first.strftime("%Y-%m")

    @property
    def title(self) -> str:
        if self.kind == "date":
            return self.first.strftime("%A, %-d %B %Y")
        if self.kind == "week":
            return f"Week {self.first.isocalendar()[1]} of {self.first.isocalendar()[0]}"
        return self.first.strftime("%B %Y")

    @property
    def path(self) -> str:
        return f"/papers/{self.kind}/{self.label}"

    def containing(self, day: dt.date) -> Period:
        """The period of the same kind that contains ``day``."""
        return period_of(self.kind, day)


def period_of(kind: PeriodKind, day: dt.date) -> Period:
    if kind == "date":
        return Period("date", day, day)
    if kind == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return Period("week", monday, monday + dt.timedelta(days=6))
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Period("month", first, following - dt.timedelta(days=1))


def _utc_day(timestamp: str) -> dt.date:
    """The UTC day of a timestamp; one without a zone is taken as UTC."""
    moment = dt.datetime.fromisoformat(timestamp)
    return moment.astimezone(dt.UTC).date() if moment.tzinfo else moment.date()


def parse_period(kind: PeriodKind, text: str) -> Period:
    """Parse ``2025-08-11`` (date; a timestamp names its UTC day), ``2025-W33`` (week) or ``2025-08``
    (month); raise ``InvalidPeriod``."""
    try:
        if kind == "date":
            if _TIMESTAMP.fullmatch(text):
                return period_of("date", _utc_day(text))
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            return period_of("date", dt.date.fromisoformat(text))
        if kind == "week":
            match = _WEEK.fullmatch(text)
            if match is None:
                raise ValueError
            return period_of("week", dt.date.fromisocalendar(int(match[1]), int(match[2]), 1))
        match = _MONTH.fullmatch(text)
        if match is None:
            raise ValueError
        return period_of("month", dt.date(int(match[1]), int(match[2]), 1))
    except ValueError:
        example = {"date": "2025-08-11", "week": "2025-W33", "month": "2025-08"}[kind]
        raise InvalidPeriod(f"{kind} must look like {example}, not {text[:40]!r}") from None
