"""Author names in a search: a query that names an author finds that author's papers first.

Names are compared in a normal form (no accents, lower case, letters only), part by part and in any
order, so "Yohan Jo", "Jo, Yohan", "Y. Jo" and "yohan jo" all name the author written "Yohan Jo",
and "Jose Garcia" names "José García". The index only proposes papers whose author lists hold the
query's words; each author's name is then checked here, so two authors who share the words between
them ("Yohan Kim" and "Min Jo") do not make a match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy.orm import Session

from dailypapers.search.filters import SearchFilters
from dailypapers.search.keyword import STOP_WORDS, papers_by_author_words

#: A name is a few words: longer queries are not read as names.
MAX_NAME_PARTS = 4
#: Queries longer than this are descriptions, not names.
MAX_NAME_CHARACTERS = 60
_PART = re.compile(r"[^\W\d_]+")


def name_parts(name: str) -> list[str]:
    """The parts of a name in normal form: ``"José  García-Ruiz"`` -> ``["jose", "garcia", "ruiz"]``."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return _PART.findall(bare.lower())


def query_name(text: str) -> list[str] | None:
    """The parts of the name ``text`` may be (``"Last, First"`` read as ``"First Last"``); None when
    it cannot be a name (too long, holding a stop word, or anything but letters, spaces, dots,
    commas, hyphens)."""
    text = text.strip()
    if not text or len(text) > MAX_NAME_CHARACTERS or re.search(r"[^\w\s.,'-]|\d|_", text):
        return None
    if text.count(",") == 1:
        last, first = text.split(",")
        text = f"{first} {last}"
    parts = name_parts(text)
    if not parts or len(parts) > MAX_NAME_PARTS or all(len(part) == 1 for part in parts):
        return None
    # "for Mitigating Bias in" is a phrase, and looking it up among authors cost 30 ms at a million
    # papers (bench/search_speed.py's slowest queries).
    if any(part in STOP_WORDS for part in parts):
        return None
    return parts


def names_author(query: Sequence[str], author: str) -> bool:
    """Whether the name parts ``query`` name ``author``: each part matches one of the author's parts
    (a whole word, or an initial matching the first letter), and the author's last name is among
    the whole words."""
    parts = name_parts(author)
    if not parts or parts[-1] not in query:
        return False
    unused = list(parts)
    for part in sorted(query, key=len, reverse=True):
        match = next((other for other in unused if other == part), None)
        if match is None:
            match = next(
                (other for other in unused if (len(part) == 1 or len(other) == 1) and other[0] == part[0]),
                None,
            )
        if match is None:
            return False
        unused.remove(match)
    return True


def papers_by_author(
    session: Session, text: str, *, limit: int, filters: SearchFilters | None = None
) -> list[str]:
    """Ids of up to ``limit`` papers, newest first, by the author ``text`` names; none when
    ``text`` names nobody in the catalog."""
    parts = query_name(text)
    if parts is None:
        return []
    words = sorted({part for part in parts if len(part) > 1})
    # Among the newest papers with those words some may be by other authors who share them: look
    # further than ``limit``.
    found = papers_by_author_words(session, words, limit=limit * 2, filters=filters)
    return [paper_id for paper_id, authors in found if any(names_author(parts, name) for name in authors)][
        :limit
    ]
