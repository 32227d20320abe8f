"""A fake arXiv on 127.0.0.1 for tests: the API (Atom) and OAI-PMH (ListRecords), over real HTTP.

It answers from hand-written fixtures in ``tests/fixtures/arxiv/``:

* ``/api/query?id_list=ID1,ID2&start=0&max_results=N``: an Atom feed holding the fixture entries of
  the ids it knows (``api/entries.xml``); unknown ids are simply absent, as on arXiv. A versioned id
  matches only the version the fixture holds.
* ``/oai?verb=ListRecords&metadataPrefix=arXivRaw|arXiv...``: the fixture pages ``oai/<prefix>-<n>.xml``,
  joined by the resumption tokens written in them; a ``from``/``until`` range outside the fixtures'
  datestamps gets ``oai/noRecordsMatch.xml``. ``generate_pages`` switches to many synthesized pages.

Knobs for tests: ``hold_after`` (leave requests unanswered until released), ``fail_next`` (answer
503/429 with ``Retry-After``), ``delay_seconds`` (before each
answer), ``generate_pages``, ``expire_token``, ``replace_pages``, ``load_api_entries``. Every request is
recorded in ``requests`` with its query, headers (names in lower case) and arrival time
(``time.monotonic()``); ``wait_for`` blocks until the log satisfies a condition.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from lxml import etree

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "arxiv"
ATOM_NS = "http://www.w3.org/2005/Atom"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
METADATA_PREFIXES = ("arXivRaw", "arXiv")
_VERSIONED_ID = re.compile(r"(?P<id>.+?)(?:v(?P<version>\d+))?")


@dataclass(slots=True)
class RecordedRequest:
    path: str
    params: dict[str, str]
    #: Header names in lower case.
    headers: dict[str, str]
    #: ``time.monotonic()`` when the request arrived.
    time: float
    status: int = 0

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("user-agent")


@dataclass(slots=True)
class _Answer:
    status: int
    body: bytes
    content_type: str = "text/xml; charset=utf-8"
    retry_after: str | None = None


class FakeArxiv:
    """Start with ``with FakeArxiv() as arxiv:``; point ``Settings`` at ``api_url`` and ``oai_url``."""

    def __init__(self, fixtures: Path = FIXTURES) -> None:
        self.fixtures = fixtures
        self.requests: list[RecordedRequest] = []
        #: Seconds to wait before answering each request.
        self.delay_seconds = 0.0
        #: Requests after this many are held unanswered until ``release_held`` (``None``: no limit).
        self._hold_after: int | None = None
        self._changed = threading.Condition()
        self._failures: list[tuple[int, str | None]] = []
        self._expired_tokens: set[str] = set()
        self._api_entries: dict[str, tuple[int, bytes]] = {}
        self.load_api_entries(fixtures / "api" / "entries.xml")
        self._pages = _FixturePages(fixtures / "oai")
        self._generated: GeneratedPages | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-arxiv", daemon=True
        )

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/query"

    @property
    def oai_url(self) -> str:
        return f"{self.url}/oai"

    def __enter__(self) -> FakeArxiv:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- knobs -----------------------------------------------------------------------------------

    def fail_next(self, count: int, *, status: int = 503, retry_after: int | str | None = 1) -> None:
        """Answer the next ``count`` requests with ``status`` and a ``Retry-After`` header (if given)."""
        with self._changed:
            self._failures.extend([(status, None if retry_after is None else str(retry_after))] * count)

    def hold_after(self, count: int) -> None:
        """Leave every request after the first ``count`` unanswered until ``release_held``: a client
        can then be stopped at a known point however slowly the test itself is scheduled."""
        with self._changed:
            self._hold_after = count

    def release_held(self) -> None:
        with self._changed:
            self._hold_after = None
            self._changed.notify_all()

    def generate_pages(self, pages: int = 20, per_page: int = 10) -> GeneratedPages:
        """Serve a synthesized arXivRaw harvest of ``pages`` pages instead of the fixture pages."""
        self._generated = GeneratedPages(pages, per_page)
        return self._generated

    def expire_token(self, token: str) -> None:
        """Answer ``badResumptionToken`` the next time ``token`` comes, as arXiv does for an expired token.

        Only once: a harvest started afresh is handed the same token string again, and then it works.
        """
        self._expired_tokens.add(token)

    def replace_pages(self, prefix: str, pages: list[str]) -> None:
        """Serve ``pages`` (whole OAI-PMH documents, joined by the tokens in them) for ``prefix``."""
        self._pages.replace(prefix, [page.encode() for page in pages])

    def load_api_entries(self, path: Path) -> None:
        """Add the entries of an Atom feed to what the API knows; an entry replaces one with its id."""
        for entry in etree.parse(str(path)).getroot().iterfind(f"{{{ATOM_NS}}}entry"):
            abs_url = entry.findtext(f"{{{ATOM_NS}}}id", "")
            match = _VERSIONED_ID.fullmatch(abs_url.rsplit("/abs/", 1)[-1])
            if match is None or match["version"] is None:
                raise ValueError(f"{path}: entry id {abs_url!r} has no version")
            xml = etree.tostring(entry, encoding="utf-8", with_tail=False)
            self._api_entries[match["id"]] = (int(match["version"]), xml)

    # -- the request log -------------------------------------------------------------------------

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._changed:
            return [request for request in self.requests if request.path == path]

    def wait_for(self, condition: Callable[[list[RecordedRequest]], bool], timeout: float = 30.0) -> None:
        """Block until ``condition(requests)`` holds; ``TimeoutError`` after ``timeout`` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self.requests), timeout=timeout):
                raise TimeoutError(f"the fake arXiv saw {len(self.requests)} requests, not what was awaited")

    # -- answering -------------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def _wait_if_held(self, request: RecordedRequest) -> None:
        with self._changed:
            self._changed.wait_for(
                lambda: self._hold_after is None or self.requests.index(request) < self._hold_after,
                timeout=60,
            )

    def _answer(self, path: str, params: dict[str, str]) -> _Answer:
        with self._changed:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, retry_after = failure
            return _Answer(status, b"Too many requests; slow down.\n", "text/plain", retry_after)
        if path == "/api/query":
            return self._api(params)
        if path == "/oai":
            return self._oai(params)
        return _Answer(404, b"not found\n", "text/plain")

    def _api(self, params: dict[str, str]) -> _Answer:
        found = []
        for requested in filter(None, params.get("id_list", "").split(",")):
            match = _VERSIONED_ID.fullmatch(requested)
            known = self._api_entries.get(match["id"]) if match else None
            if known is not None and match is not None and match["version"] in (None, str(known[0])):
                found.append(known[1].decode())
        start, size = int(params.get("start", "0")), int(params.get("max_results", "10"))
        query = urlencode(params)
        feed = API_FEED.format(
            self_url=html.escape(f"http://arxiv.org/api/query?{query}"),
            query=html.escape(query),
            total=len(found),
            start=start,
            size=size,
            entries="\n  ".join(found[start : start + size]),
        )
        return _Answer(200, feed.encode(), "application/atom+xml; charset=UTF-8")

    def _oai(self, params: dict[str, str]) -> _Answer:
        verb = params.get("verb")
        if verb != "ListRecords":
            return _oai_error(params, "badVerb", f"Illegal verb {verb!r} (this fake knows ListRecords only)")
        token = params.get("resumptionToken")
        if token is not None:
            if set(params) != {"verb", "resumptionToken"}:
                return _oai_error(params, "badArgument", "resumptionToken is an exclusive argument")
            with self._changed:
                expired = token in self._expired_tokens
                self._expired_tokens.discard(token)
            page = None if expired else self._source().page_after(token)
            if page is None:
                return _oai_error(params, "badResumptionToken", f"Token {token!r} is invalid or expired")
            return _Answer(200, page)
        prefix = params.get("metadataPrefix")
        if prefix is None:
            return _oai_error(params, "badArgument", "metadataPrefix is required")
        if prefix not in METADATA_PREFIXES:
            return _oai_error(params, "cannotDisseminateFormat", f"Unknown metadata format {prefix!r}")
        page = self._source().first_page(prefix, params.get("from"), params.get("until"))
        if page is None:
            return _Answer(200, (self.fixtures / "oai" / "noRecordsMatch.xml").read_bytes())
        return _Answer(200, page)

    def _source(self) -> _FixturePages | GeneratedPages:
        return self._generated or self._pages


class _FixturePages:
    """The hand-written pages ``<prefix>-1.xml``, ``<prefix>-2.xml``, ... and the tokens joining them."""

    def __init__(self, directory: Path) -> None:
        self._first: dict[str, bytes] = {}
        self._after: dict[str, bytes] = {}
        self._datestamps: list[str] = []
        for prefix in METADATA_PREFIXES:
            paths = sorted(directory.glob(f"{prefix}-*.xml"), key=lambda path: int(path.stem.split("-")[-1]))
            self.replace(prefix, [path.read_bytes() for path in paths])

    def replace(self, prefix: str, pages: list[bytes]) -> None:
        previous_token = None
        for page in pages:
            root = etree.fromstring(page)
            self._datestamps += [stamp.text or "" for stamp in root.iter(f"{{{OAI_NS}}}datestamp")]
            if previous_token is None:
                self._first[prefix] = page
            else:
                self._after[previous_token] = page
            previous_token = (root.findtext(f".//{{{OAI_NS}}}resumptionToken") or "").strip() or None
        self._earliest, self._latest = min(self._datestamps), max(self._datestamps)

    def first_page(self, prefix: str, from_day: str | None, until_day: str | None) -> bytes | None:
        if (from_day and from_day > self._latest) or (until_day and until_day < self._earliest):
            return None
        return self._first.get(prefix)

    def page_after(self, token: str) -> bytes | None:
        return self._after.get(token)


class GeneratedPages:
    """A long arXivRaw harvest synthesized from a template, deterministic so that runs can be compared.

    Paper ``n`` is ``2402.NNNNN`` with one or two versions. From page 2 on, each page begins with a new
    version of the previous page's second paper, and every fourth page ends by deleting the third paper
    of two pages before: a resumed harvest must apply these in the same order as an uninterrupted one.
    Needs at least four records a page.
    """

    TOPICS = ("cs.LG stat.ML", "cs.CV", "cs.CL cs.AI", "math.OC cs.SY", "cs.RO")

    def __init__(self, pages: int, per_page: int) -> None:
        if per_page < 4:
            raise ValueError("generated pages need at least four records each")
        self.pages = pages
        self.per_page = per_page

    def token(self, page: int) -> str:
        """The resumption token that asks for ``page`` (2 or later)."""
        return f"generated-{self.pages}x{self.per_page}|{(page - 1) * self.per_page}"

    def page_of(self, token: str | None) -> int:
        """The page a request asks for: 1 without a token."""
        if not token:
            return 1
        return next(page for page in range(2, self.pages + 1) if token == self.token(page))

    def first_page(self, prefix: str, from_day: str | None, until_day: str | None) -> bytes | None:
        return self.page(1)  # whatever the format and range asked for

    def page_after(self, token: str) -> bytes | None:
        for number in range(2, self.pages + 1):
            if token == self.token(number):
                return self.page(number)
        return None

    def page(self, number: int) -> bytes:
        first = (number - 1) * self.per_page + 1
        papers = list(range(first, first + self.per_page))
        records = []
        if number >= 2:  # the first slot brings a new version of the previous page's second paper
            papers.pop(0)
            records.append(self._record(first - self.per_page + 1, revised=True))
        deleted = None
        if number % 4 == 0:  # the last slot deletes the third paper of two pages before
            papers.pop()
            deleted = first - 2 * self.per_page + 2
        records += [self._record(paper) for paper in papers]
        if deleted is not None:
            records.append(DELETED_RECORD.format(id=_generated_id(deleted), day=1 + deleted % 28))
        token = self.token(number + 1) if number < self.pages else ""
        return GENERATED_PAGE.format(
            records="\n".join(records), cursor=first - 1, size=self.pages * self.per_page, token=token
        ).encode()

    def _record(self, paper: int, *, revised: bool = False) -> str:
        submitted = dt.datetime(2024, 2, 1, 6) + dt.timedelta(hours=7 * paper, minutes=paper % 60)
        count = 1 + paper % 2 + int(revised)
        versions = "".join(
            f'<version version="v{v}"><date>{_rfc822(submitted + dt.timedelta(days=3 * (v - 1)))}</date>'
            f"<size>{100 + paper}kb</size><source_type>D</source_type></version>"
            for v in range(1, count + 1)
        )
        code = f" Code: https://github.com/dp-tests/synthetic-{paper}." if paper % 5 == 0 else ""
        return GENERATED_RECORD.format(
            id=_generated_id(paper),
            day=1 + paper % 28,
            versions=versions,
            title=f"Synthetic Study {paper}{' (Revised)' if revised else ''}:\n  A Template Paper",
            authors=f"Author {paper}a, Author {paper}b and Author {paper}c",
            categories=self.TOPICS[paper % len(self.TOPICS)],
            abstract=f"  Paper {paper} of a generated harvest.{code}\n",
        )


def _generated_id(paper: int) -> str:
    return f"2402.{paper:05d}"


def _rfc822(when: dt.datetime) -> str:
    return f"{when:%a}, {when.day} {when:%b %Y %H:%M:%S} GMT"


def _oai_error(params: dict[str, str], code: str, message: str) -> _Answer:
    attributes = "".join(f' {name}="{html.escape(value)}"' for name, value in params.items())
    body = OAI_ERROR.format(attributes=attributes, code=code, message=html.escape(message))
    return _Answer(200, body.encode())


def _handler(fake: FakeArxiv) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeArxiv/1.0"

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            request = RecordedRequest(
                path=url.path,
                params=dict(parse_qsl(url.query, keep_blank_values=True)),
                headers={name.lower(): value for name, value in self.headers.items()},
                time=time.monotonic(),
            )
            fake._record(request)
            fake._wait_if_held(request)
            if fake.delay_seconds:
                time.sleep(fake.delay_seconds)
            answer = fake._answer(request.path, request.params)
            request.status = answer.status
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                if answer.retry_after is not None:
                    self.send_header("Retry-After", answer.retry_after)
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client was killed mid-request, as the crash tests do

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


API_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="{self_url}" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: {query}</title>
  <id>http://arxiv.org/api/fake-arxiv</id>
  <updated>2024-01-12T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{total}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{start}</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{size}</opensearch:itemsPerPage>
  {entries}
</feed>
"""

OAI_ERROR = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2024-01-11T09:20:00Z</responseDate>
<request{attributes}>http://oaipmh.arxiv.org/oai</request>
<error code="{code}">{message}</error>
</OAI-PMH>
"""

GENERATED_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2024-02-29T09:00:00Z</responseDate>
<request verb="ListRecords">http://oaipmh.arxiv.org/oai</request>
<ListRecords>
{records}
<resumptionToken cursor="{cursor}" completeListSize="{size}">{token}</resumptionToken>
</ListRecords>
</OAI-PMH>
"""

GENERATED_RECORD = """<record>
<header>
 <identifier>oai:arXiv.org:{id}</identifier>
 <datestamp>2024-02-{day:02d}</datestamp>
 <setSpec>cs</setSpec>
</header>
<metadata>
 <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/ http://arxiv.org/OAI/arXivRaw.xsd">
 <id>{id}</id>
 <submitter>Synthetic Submitter</submitter>
 {versions}
 <title>{title}</title>
 <authors>{authors}</authors>
 <categories>{categories}</categories>
 <license>http://creativecommons.org/licenses/by/4.0/</license>
 <abstract>{abstract}</abstract>
 </arXivRaw>
</metadata>
</record>"""

DELETED_RECORD = """<record>
<header status="deleted">
 <identifier>oai:arXiv.org:{id}</identifier>
 <datestamp>2024-02-{day:02d}</datestamp>
 <setSpec>cs</setSpec>
</header>
</record>"""
