"""Pages of a long list: which slice a page shows, and the links to its neighbours."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Pager:
    """Page ``page`` (counted from 0, as ``?page=`` is) of a list of ``total`` items, ``size`` a page.

    ``path`` and ``params`` are the list's address with every parameter but the page (its category,
    its order), so that moving between pages keeps them.
    """

    total: int
    page: int
    size: int
    path: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def pages(self) -> int:
        """How many pages the list has; an empty list has one (that says it is empty)."""
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return self.page * self.size

    @property
    def exists(self) -> bool:
        return 0 <= self.page < self.pages

    def url(self, page: int) -> str:
        params = [*self.params, ("page", str(page))] if page else list(self.params)
        return f"{self.path}?{urlencode(params)}" if params else self.path

    @property
    def here(self) -> str:
        return self.url(self.page)

    @property
    def previous_url(self) -> str | None:
        return self.url(self.page - 1) if self.page > 0 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.page + 1) if self.page + 1 < self.pages else None
