"""``PaperRecord``: one paper's metadata as a source delivered it, normalised and validated.

Every ingestion path (arXiv API, OAI-PMH, bulk snapshot, listings file) turns its input into
records; ``dailypapers.papers.service.store_papers`` is the only code that writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson
import xxhash

from dailypapers.papers.ids import InvalidArxivId, split_versioned_id
from dailypapers.papers.text import find_code_links, normalize_abstract, squash_each, squash_whitespace


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
    code_urls: list[str] = field(default_factory=list)
    #: Set by listings files: the day this paper appeared on a daily list.
    listed_on: dt.date | None = None
    #: Identifies the source record; storing a record with the fingerprint already stored is a no-op.
    #: Bulk files set a hash of the raw line (so an unchanged line is skipped before it is parsed);
    #: when empty, ``content_hash()`` stands in.
    fingerprint: str = ""

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
        versions: Mapping[int, dt.datetime | None] | None = None,
        comments: str | None = None,
        journal_ref: str | None = None,
        doi: str | None = None,
        report_no: str | None = None,
        license: str | None = None,
        submitted_at: dt.datetime | None = None,
        updated_at: dt.datetime | None = None,
        listed_on: dt.date | None = None,
        fingerprint: str | None = None,
    ) -> PaperRecord:
        """Normalise and check raw fields; raise ``InvalidRecord`` saying what is wrong."""
        try:
            paper_id, id_version = split_versioned_id(id)
        except InvalidArxivId as error:
            raise InvalidRecord(str(error)) from None
        title = squash_whitespace(title or "")
        if not title:
            raise InvalidRecord(f"{paper_id}: empty title")
        names = squash_each(authors)
        if not names:
            raise InvalidRecord(f"{paper_id}: no authors")
        # Filtering through a generator costs more than the deduplication; there is rarely anything to drop.
        cats = list(dict.fromkeys(categories if all(categories) else (c for c in categories if c)))
        if not cats:
            raise InvalidRecord(f"{paper_id}: no categories")
        known = dict(versions) if versions else {}
        version = max(version or id_version or 1, *known) if known else version or id_version or 1
        if submitted_at is not None and 1 not in known:
            known[1] = submitted_at
        if updated_at is not None and version not in known:
            known[version] = updated_at
        known.setdefault(version, None)
        abstract = normalize_abstract(abstract or "")
        comments = _optional(comments)
        # Positional arguments, in field order: keywords would double the cost of this call, which
        # bulk imports make millions of times.
        return cls(
            paper_id,
            title,
            names,
            abstract,
            cats,
            version,
            known,
            comments,
            _optional(journal_ref),
            _optional(doi),
            _optional(report_no),
            _optional(license),
            submitted_at or known.get(1),
            updated_at or known.get(version) or submitted_at,
            find_code_links(abstract, comments),
            listed_on,
            fingerprint or "",
        )

    def content_hash(self) -> str:
        """A hash of the normalised metadata: equal for equal papers whatever their source."""
        payload = orjson.dumps(
            (
                self.version,
                self.title,
                self.authors,
                self.abstract,
                self.categories,
                self.comments,
                self.journal_ref,
                self.doi,
                self.report_no,
                self.license,
            )
        )
        return fingerprint_bytes(payload)


def fingerprint_bytes(data: bytes) -> str:
    """A 128-bit hash (xxh3): collisions are negligible, and it runs at memory speed."""
    return xxhash.xxh3_128_hexdigest(data)


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1
    )
}


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
    if not value:
        return None
    return squash_whitespace(value) or None
