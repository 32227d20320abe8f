"""What a person typed into the search box, read once for every search method.

Words and "quoted phrases" become terms; everything else (operators, punctuation, SQL) is dropped,
so no input can break the engines' own query languages. A query may be a whole pasted abstract:
longer input is cut, never refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id

#: Room for a pasted abstract (arXiv caps abstracts at 1,920 characters) and a little more.
MAX_QUERY_LENGTH = 2_000
_PHRASE = re.compile(r'"([^"]*)"')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchQuery:
    text: str
    #: Single words and multi-word phrases, in the order typed, without duplicates.
    terms: tuple[str, ...]
    #: The arXiv id the whole query names (``2306.09299``, an arXiv URL), if it names one.
    arxiv_id: str | None
    #: The typed text was longer than MAX_QUERY_LENGTH and ``text`` is its beginning.
    cut: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.terms and self.arxiv_id is None

    @property
    def wants_exact_words(self) -> bool:
        """A "quoted phrase" asks for those words, not for papers that mean something close."""
        return any(" " in term for term in self.terms)


def parse_query(text: str) -> SearchQuery:
    text = text.strip()
    cut = len(text) > MAX_QUERY_LENGTH
    text = text[:MAX_QUERY_LENGTH]
    try:
        arxiv_id: str | None = parse_arxiv_id(text).id
    except InvalidArxivId:
        arxiv_id = None
    terms: dict[str, None] = {}
    for position, part in enumerate(_PHRASE.split(text)):
        words = _WORD.findall(part.lower())
        if position % 2 and len(words) > 1:  # inside quotes
            terms[" ".join(words)] = None
        else:
            terms.update(dict.fromkeys(words))
    return SearchQuery(text, tuple(terms), arxiv_id, cut)
