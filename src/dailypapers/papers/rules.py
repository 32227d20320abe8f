"""Which newly announced papers enter a day's list on their own (the rest need a submitter)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dailypapers.papers.records import PaperRecord
from dailypapers.settings import Settings


@dataclass(frozen=True, slots=True)
class ListingRules:
    """``categories`` entries match a category exactly (``cs.CV``), an archive (``cs``), or ``*`` for all.

    Empty ``categories`` admit nothing: only submitted papers appear on the lists.
    """

    categories: tuple[str, ...] = ()
    include: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ListingRules:
        return cls(
            categories=tuple(settings.listing_categories),
            include=re.compile(settings.listing_include, re.IGNORECASE) if settings.listing_include else None,
            exclude=re.compile(settings.listing_exclude, re.IGNORECASE) if settings.listing_exclude else None,
        )

    def admits(self, record: PaperRecord) -> bool:
        if not any(self._category_matches(category) for category in record.categories):
            return False
        if self.include is None and self.exclude is None:
            return True
        text = f"{record.title}\n{record.abstract}"
        if self.include is not None and not self.include.search(text):
            return False
        return self.exclude is None or not self.exclude.search(text)

    def _category_matches(self, category: str) -> bool:
        return any(rule in ("*", category) or category.startswith(rule + ".") for rule in self.categories)
