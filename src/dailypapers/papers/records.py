"""``PaperRecord``: one paper's metadata as a source delivered it, normalised and validated.

Every ingestion path (arXiv API, OAI-PMH, bulk snapshot, listings file) turns its input into
records; ``dailypapers.papers.service.store_papers`` is the only code that writes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import orjson

from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.text import find_code_links, normalize_abstract, squash_whitespace


class InvalidRecord(ValueError):
    """A source record that cannot be stored; the message is the reason shown to the operator."""


@dataclass(slots=True)
class PaperRecord:
    id: str
    title: str
    authors: list[str]
    abstract: str
    categories: list[str]
    version: int = 1
    #: Known versions and when each was submitted (``None`` when the source does not say).
    versions: dict[int, dt.datetime | None] = field(default_factory=dict)
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    report_no: str | None = None
    license: str | None = None
    submitted_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    #: Set by listings files: the day this paper appeared on a daily list.
    listed_on: dt.date | None = None

    @classmethod
    def build(
        cls,
        *,
        id: str,
        title: str | None,
        authors: list[str],
        abstract: str | None,
        categories: list[str],
        version: int | None = None,
        versions: dict[int, dt.datetime | None] | None = None,
        comments: str | None = None,
        journal_ref: str | None = None,
        doi: str | None = None,
        report_no: str | None = None,
        license: str | None = None,
        submitted_at: dt.datetime | None = None,
        updated_at: dt.datetime | None = None,
        listed_on: dt.date | None = None,
    ) -> PaperRecord:
        """Normalise and check raw fields; raise ``InvalidRecord`` saying what is wrong."""
        try:
            parsed = parse_arxiv_id(id)
        except InvalidArxivId as error:
            raise InvalidRecord(str(error)) from None
        title = squash_whitespace(title or "")
        if not title:
            raise InvalidRecord(f"{parsed.id}: empty title")
        abstract = normalize_abstract(abstract or "")
        names = [squash_whitespace(name) for name in authors]
        names = [name for name in names if name]
        if not names:
            raise InvalidRecord(f"{parsed.id}: no authors")
        cats = list(dict.fromkeys(c for c in (c.strip() for c in categories) if c))
        if not cats:
            raise InvalidRecord(f"{parsed.id}: no categories")
        known = dict(versions or {})
        version = max([version or parsed.version or 1, *known])
        if submitted_at is not None:
            known.setdefault(1, submitted_at)
        if updated_at is not None and version not in known:
            known[version] = updated_at
        known.setdefault(version, None)
        return cls(
            id=parsed.id,
            title=title,
            authors=names,
            abstract=abstract,
            categories=cats,
            version=version,
            versions=known,
            comments=_optional(comments),
            journal_ref=_optional(journal_ref),
            doi=_optional(doi),
            report_no=_optional(report_no),
            license=_optional(license),
            submitted_at=submitted_at or known.get(1),
            updated_at=updated_at or known.get(version) or submitted_at,
            listed_on=listed_on,
        )

    @property
    def code_urls(self) -> list[str]:
        return find_code_links(self.abstract, self.comments)

    def content_hash(self) -> str:
        """A fingerprint of the stored metadata; equal records have equal hashes whatever their source."""
        payload = orjson.dumps(
            (self.version, self.title, self.authors, self.abstract, self.categories, self.comments,
             self.journal_ref, self.doi, self.report_no, self.license)
        )
        return hashlib.blake2b(payload, digest_size=16).hexdigest()


_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}


def arxiv_datetime(text: str) -> dt.datetime:
    """Parse arXiv's version dates, ``Mon, 2 Apr 2007 19:18:42 GMT``, as naive UTC.

    Hand-rolled because the snapshot has millions of them and ``email.utils`` is five times slower.
    """
    try:
        _weekday, day, month, year, clock, _zone = text.split()
        hour, minute, second = clock.split(":")
        return dt.datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))
    except (ValueError, KeyError):
        raise InvalidRecord(f"unreadable version date {text!r}") from None


def _optional(value: str | None) -> str | None:
    if value is None:
        return None
    value = squash_whitespace(value)
    return value or None
