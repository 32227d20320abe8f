"""arXiv identifiers: parse what people paste (ids, URLs, versions) into the canonical form we store.

New-style ids are ``YYMM.NNNN`` (until 2014) or ``YYMM.NNNNN`` (from 2015), old-style ids are
``archive[.SUBJECT]/YYMMNNN`` (``hep-th/9901001``, ``math.GT/0309136``); either may carry ``vN``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEW_STYLE = r"(?P<new>(?P<yymm>\d{4})\.(?P<number>\d{4,5}))"
_OLD_STYLE = r"(?P<old>(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.(?P<subject>[A-Za-z]{2}))?/(?P<oldnum>\d{7}))"
_ID_PATTERN = re.compile(rf"(?:{_NEW_STYLE}|{_OLD_STYLE})(?:v(?P<version>[1-9]\d{{0,3}}))?")
_PLAIN_NEW_STYLE = re.compile(r"\d{4}\.\d{4,5}")
_URL_PREFIX = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/", re.IGNORECASE
)
_ARXIV_PREFIX = re.compile(r"^(?:arxiv:|oai:arxiv\.org:)", re.IGNORECASE)


class InvalidArxivId(ValueError):
    """Raised for text that is not an arXiv identifier or arXiv URL; the message says why."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an id such as ``2306.09299``, ``arXiv:2306.09299v2``, ``hep-th/9901001`` or an arXiv URL.

    Raises ``InvalidArxivId`` for anything else, including impossible months (``2313.00001``) and
    five-digit numbers before 2015, which arXiv never issued.
    """
    return ArxivId(*split_versioned_id(text))


def year_of_id(arxiv_id: str) -> int:
    """The year an id was issued, from its ``YYMM`` (old-style ids began in 1991): what arXiv's own
    citations give as the year when a version's date is not known."""
    digits = arxiv_id.rsplit("/", 1)[-1]
    two_digit_year = int(digits[:2])
    return (1900 if two_digit_year >= 91 else 2000) + two_digit_year


def split_versioned_id(text: str) -> tuple[str, int | None]:
    """``parse_arxiv_id`` as a plain tuple: ``2306.09299v3`` gives ``("2306.09299", 3)``.

    Bulk imports parse millions of ids; building a frozen ``ArxivId`` would cost as much as parsing.
    """
    if _PLAIN_NEW_STYLE.fullmatch(text):  # the common case
        if 1 <= int(text[2:4]) <= 12 and (len(text) == 10) == (text[:4] >= "1501"):
            return text, None
        raise InvalidArxivId(f"no such arXiv id: {text!r}")
    candidate = text.strip()
    candidate = _URL_PREFIX.sub("", candidate)
    candidate = _ARXIV_PREFIX.sub("", candidate)
    candidate = candidate.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if candidate.lower().endswith(".pdf"):
        candidate = candidate[:-4]
    match = _ID_PATTERN.fullmatch(candidate)
    if match is None:
        raise InvalidArxivId(f"not an arXiv id or URL: {text.strip()[:80]!r}")
    version = int(match["version"]) if match["version"] else None
    if match["new"]:
        yymm, number = match["yymm"], match["number"]
        if not 1 <= int(yymm[2:]) <= 12:
            raise InvalidArxivId(f"no such month in arXiv id {text.strip()!r}")
        if (len(number) == 5) != (yymm >= "1501"):
            raise InvalidArxivId(f"wrong number of digits for {yymm} in arXiv id {text.strip()!r}")
        return match["new"], version
    oldnum = match["oldnum"]
    if not 1 <= int(oldnum[2:4]) <= 12:
        raise InvalidArxivId(f"no such month in arXiv id {text.strip()!r}")
    subject = f".{match['subject'].upper()}" if match["subject"] else ""
    return f"{match['archive']}{subject}/{oldnum}", version
