"""Single papers through the arXiv API (``dailypapers ingest ids``), with the ``arxiv`` package."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import arxiv
import sqlalchemy as sa

from dailypapers.ingest.polite import PoliteSession
from dailypapers.ingest.report import IngestReport, store_batch
from dailypapers.papers.ids import ArxivId, parse_arxiv_id
from dailypapers.papers.records import InvalidRecord, PaperRecord
from dailypapers.papers.rules import ListingRules
from dailypapers.progress import ProgressHook
from dailypapers.settings import Settings

#: arXiv accepts up to 2,000 ids per request; smaller pages keep each answer quick.
IDS_PER_REQUEST = 100


class ArxivApiClient(arxiv.Client):  # type: ignore[misc]  # arxiv ships no type information
    """The ``arxiv`` package's client, pointed at our endpoint and sending through ``PoliteSession``."""

    def __init__(self, settings: Settings, session: PoliteSession | None = None) -> None:
        # Pacing and retries live in the session, which also honours Retry-After.
        super().__init__(page_size=IDS_PER_REQUEST, delay_seconds=0, num_retries=0)
        self.query_url_format = settings.arxiv_api_url + "?{}"
        self._session = session or PoliteSession.from_settings(settings)

    def fetch(self, ids: Sequence[ArxivId]) -> Iterable[arxiv.Result]:
        for start in range(0, len(ids), IDS_PER_REQUEST):
            chunk = [str(arxiv_id) for arxiv_id in ids[start : start + IDS_PER_REQUEST]]
            yield from self.results(arxiv.Search(id_list=chunk, max_results=len(chunk)))


def parse_id_arguments(texts: Iterable[str]) -> list[ArxivId]:
    """Parse every id or URL, or raise ``InvalidArxivId`` naming the first bad one; duplicates dropped."""
    return list(dict.fromkeys(parse_arxiv_id(text) for text in texts))


def api_record(result: arxiv.Result) -> PaperRecord:
    """The arXiv API's Atom entry as a record; the API reports the latest version and v1's date."""
    short_id = result.entry_id.rsplit("/abs/", 1)[-1]
    return PaperRecord.build(
        id=short_id,
        title=result.title,
        authors=[author.name for author in result.authors],
        abstract=result.summary,
        categories=[result.primary_category, *result.categories]
        if result.primary_category
        else result.categories,
        comments=result.comment,
        journal_ref=result.journal_ref,
        doi=result.doi,
        submitted_at=_naive_utc(result.published),
        updated_at=_naive_utc(result.updated),
    )


def ingest_ids(
    engine: sa.Engine,
    settings: Settings,
    ids: Sequence[ArxivId],
    *,
    client: ArxivApiClient | None = None,
    progress: ProgressHook | None = None,
) -> tuple[IngestReport, list[str]]:
    """Fetch and store the papers; return the report and the ids arXiv does not know."""
    client = client or ArxivApiClient(settings)
    rules = ListingRules.from_settings(settings)
    report = IngestReport()
    found: set[str] = set()
    batch: list[PaperRecord] = []
    for result in client.fetch(ids):
        try:
            record = api_record(result)
        except InvalidRecord as error:
            report.skip(result.entry_id, str(error))
            continue
        found.add(record.id)
        batch.append(record)
        if progress is not None:
            progress(1)
        if len(batch) >= IDS_PER_REQUEST:
            store_batch(engine, batch, rules, report)
            batch = []
    if batch:
        store_batch(engine, batch, rules, report)
    missing = [arxiv_id.id for arxiv_id in ids if arxiv_id.id not in found]
    return report, missing


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value == dt.datetime.min:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value
