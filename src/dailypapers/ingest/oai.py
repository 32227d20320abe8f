"""Harvesting arXiv through OAI-PMH (``dailypapers ingest oai``), with ``sickle``.

A harvest asks for every record whose datestamp (last change) lies in a date range, so it brings
new papers and new versions of old ones. Each page is stored in one transaction together with the
resumption token of the next page (a ``HarvestCheckpoint``): after a crash or Ctrl-C the same
command continues with the first page not stored, and the result equals an uninterrupted run.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from lxml import etree
from sickle import Sickle
from sickle.response import OAIResponse

from dailypapers.db.write import write_session
from dailypapers.ingest.models import HarvestCheckpoint
from dailypapers.ingest.polite import PoliteSession
from dailypapers.ingest.report import IngestReport
from dailypapers.papers.ids import parse_arxiv_id
from dailypapers.papers.records import InvalidRecord, PaperRecord, arxiv_datetime
from dailypapers.papers.rules import ListingRules
from dailypapers.papers.service import mark_deleted, store_papers
from dailypapers.papers.text import split_author_list
from dailypapers.progress import ProgressHook
from dailypapers.settings import Settings

log = logging.getLogger(__name__)

OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"
METADATA_FORMATS = ("arXivRaw", "arXiv")


class OaiError(RuntimeError):
    """The OAI-PMH server answered with a protocol error we cannot work around."""


class PoliteSickle(Sickle):  # type: ignore[misc]
    """``Sickle`` sending through ``PoliteSession`` (pacing, User-Agent, Retry-After)."""

    def __init__(self, endpoint: str, session: PoliteSession) -> None:
        super().__init__(endpoint, max_retries=0)
        self._session = session

    def _request(self, kwargs: dict[str, str]) -> Any:
        return self._session.get(self.endpoint, params=kwargs)


@dataclass(frozen=True, slots=True)
class HarvestRequest:
    from_date: dt.date | None
    until_date: dt.date | None
    set_spec: str | None
    metadata_prefix: str = "arXivRaw"

    def checkpoint_key(self, endpoint: str) -> str:
        return "|".join(
            [
                endpoint,
                self.metadata_prefix,
                self.set_spec or "",
                str(self.from_date or ""),
                str(self.until_date or ""),
            ]
        )

    def first_page_params(self) -> dict[str, str]:
        params = {"metadataPrefix": self.metadata_prefix}
        if self.set_spec:
            params["set"] = self.set_spec
        if self.from_date:
            params["from"] = self.from_date.isoformat()
        if self.until_date:
            params["until"] = self.until_date.isoformat()
        return params


def harvest(
    engine: sa.Engine,
    settings: Settings,
    request: HarvestRequest,
    *,
    session: PoliteSession | None = None,
    progress: ProgressHook | None = None,
) -> IngestReport:
    """Harvest every page of ``request``, resuming an unfinished earlier run of the same request."""
    if request.metadata_prefix not in METADATA_FORMATS:
        raise ValueError(f"metadata format must be one of {', '.join(METADATA_FORMATS)}")
    client = PoliteSickle(settings.arxiv_oai_url, session or PoliteSession.from_settings(settings))
    rules = ListingRules.from_settings(settings)
    key = request.checkpoint_key(settings.arxiv_oai_url)
    token, page = _resume_point(engine, key)
    report = IngestReport()
    while True:
        params = {"resumptionToken": token} if token else request.first_page_params()
        response: OAIResponse = client.harvest(verb="ListRecords", **params)
        xml = response.xml
        if xml is None:
            raise OaiError("the server's answer is not XML")
        error = xml.find(f"{OAI_NS}error")
        if error is not None:
            code = error.get("code", "")
            if code == "noRecordsMatch":
                _save_checkpoint(engine, key, None, 0)
                return report
            if code == "badResumptionToken" and token:
                log.warning("resumption token expired; restarting the harvest from its first page")
                token, page = None, 0
                continue
            raise OaiError(f"OAI-PMH error {code}: {(error.text or '').strip()}")
        page += 1
        records, deleted = _page_records(xml, page, report)
        token_element = xml.find(f".//{OAI_NS}resumptionToken")
        token = (token_element.text or "").strip() if token_element is not None else ""
        with write_session(engine) as session_:
            report.stored.add(store_papers(session_, records, rules=rules))
            report.deleted += mark_deleted(session_, deleted)
            _advance_checkpoint(session_, key, token or None, len(records) + len(deleted))
        if progress is not None:
            total = token_element.get("completeListSize") if token_element is not None else None
            progress(len(records) + len(deleted), total=int(total) if total and total.isdigit() else None)
        if not token:
            return report


def _page_records(xml: Any, page: int, report: IngestReport) -> tuple[list[PaperRecord], list[str]]:
    records: list[PaperRecord] = []
    deleted: list[str] = []
    for number, element in enumerate(xml.iterfind(f".//{OAI_NS}record"), start=1):
        where = f"page {page}, record {number}"
        try:
            header = element.find(f"{OAI_NS}header")
            identifier = (header.findtext(f"{OAI_NS}identifier") if header is not None else None) or ""
            where = f"{where} ({identifier})"
            if header is not None and header.get("status") == "deleted":
                deleted.append(parse_arxiv_id(identifier).id)
                continue
            metadata = element.find(f"{OAI_NS}metadata")
            if metadata is None or len(metadata) == 0:
                raise InvalidRecord("record has no metadata")
            records.append(_metadata_record(metadata[0]))
        except (InvalidRecord, ValueError, TypeError, AttributeError) as error:
            report.skip(where, str(error) or type(error).__name__)
    return records, deleted


def _metadata_record(element: Any) -> PaperRecord:
    """Parse an ``arXivRaw`` or ``arXiv`` metadata element."""
    fields = {etree.QName(child).localname: child for child in element}

    def text(name: str) -> str | None:
        child = fields.get(name)
        return child.text if child is not None else None

    if etree.QName(element).localname == "arXivRaw":
        versions: dict[int, dt.datetime | None] = {}
        for child in element:
            if etree.QName(child).localname == "version":
                number = int(child.get("version", "v0").lstrip("v"))
                date = next((c.text for c in child if etree.QName(c).localname == "date"), None)
                versions[number] = arxiv_datetime(date) if date else None
        authors = split_author_list(text("authors") or "")
        return _build(text, authors, versions=versions)

    authors = []
    for author in fields.get("authors", ()):
        parts = {etree.QName(c).localname: (c.text or "") for c in author}
        authors.append(
            " ".join(p for p in (parts.get("forenames"), parts.get("keyname"), parts.get("suffix")) if p)
        )
    created = _day(text("created"))
    updated = _day(text("updated"))
    return _build(text, authors, submitted_at=created, updated_at=updated)


def _build(text: Any, authors: list[str], **dates: Any) -> PaperRecord:
    return PaperRecord.build(
        id=text("id") or "",
        title=text("title"),
        authors=authors,
        abstract=text("abstract"),
        categories=(text("categories") or "").split(),
        comments=text("comments"),
        journal_ref=text("journal-ref"),
        doi=text("doi"),
        report_no=text("report-no"),
        license=text("license"),
        **dates,
    )


def _day(value: str | None) -> dt.datetime | None:
    """The ``arXiv`` format gives days only; noon UTC places them before the day's 14:00 ET cutoff."""
    return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(12)) if value else None


def _resume_point(engine: sa.Engine, key: str) -> tuple[str | None, int]:
    """The token of the first page not stored and how many pages came before it; (None, 0) to start."""
    with write_session(engine) as session:
        checkpoint = session.get(HarvestCheckpoint, key)
        if checkpoint is None or checkpoint.completed or not checkpoint.resumption_token:
            return None, 0
        return checkpoint.resumption_token, checkpoint.pages_done


def _advance_checkpoint(session: Any, key: str, token: str | None, records: int) -> None:
    checkpoint = session.get(HarvestCheckpoint, key)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if checkpoint is None:
        checkpoint = HarvestCheckpoint(key=key, pages_done=0, records_done=0, completed=False, updated_at=now)
        session.add(checkpoint)
    if checkpoint.completed:  # a finished harvest run again starts its counts afresh
        checkpoint.pages_done = checkpoint.records_done = 0
    checkpoint.resumption_token = token
    checkpoint.pages_done += 1
    checkpoint.records_done += records
    checkpoint.completed = token is None
    checkpoint.updated_at = now


def _save_checkpoint(engine: sa.Engine, key: str, token: str | None, records: int) -> None:
    with write_session(engine) as session:
        _advance_checkpoint(session, key, token, records)
