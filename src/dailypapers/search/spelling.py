"""Spelling: a word of a query that no paper holds is read as the title word one typo away that the
most titles hold ("difusion modles" -> "diffusion models").

The catalog is its own dictionary, always current and on both databases: the candidates (every
word one letter left out, added, replaced or two swapped away) are looked up in the titles'
index at once, and the one most frequent among the titles found wins. Only short queries are
corrected (a pasted text is found by its other words) and only words of MIN_WORD letters or more
(shorter ones have too many neighbours to choose from, and are often names).
"""

from __future__ import annotations

import re
import string
from collections import Counter

from sqlalchemy.orm import Session

from dailypapers.search.keyword import STOP_WORDS, titles_with_any, unknown_words
from dailypapers.search.query import SearchQuery, parse_query

#: Longer queries are descriptions or pasted text: found by their other words, not corrected.
MAX_QUERY_TERMS = 12
#: At most this many words are corrected (each costs a lookup of its few hundred neighbours: about
#: 20 ms at a million papers).
MAX_CORRECTIONS = 2
MIN_WORD = 4
#: Titles read to choose between the neighbours found: enough to tell a common word from a rare one
#: (reading 200 at a million papers cost 25 ms more than the index lookup).
SAMPLE_TITLES = 50
_LETTERS = re.compile(r"[a-z]+")


def neighbours(word: str) -> set[str]:
    """Every word one typo away from ``word``: a letter left out, added or replaced, or two swapped."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    left_out = {head + tail[1:] for head, tail in splits if tail}
    swapped = {head + tail[1] + tail[0] + tail[2:] for head, tail in splits if len(tail) > 1}
    replaced = {
        head + letter + tail[1:] for head, tail in splits if tail for letter in string.ascii_lowercase
    }
    added = {head + letter + tail for head, tail in splits for letter in string.ascii_lowercase}
    return (left_out | swapped | replaced | added) - {word}


def corrected(session: Session, query: SearchQuery) -> SearchQuery | None:
    """``query`` with its misspelt words corrected; None when none was found to correct."""
    if len(query.terms) > MAX_QUERY_TERMS or query.wants_exact_words or query.arxiv_id:
        return None
    suspects = [
        term
        for term in query.terms
        if len(term) >= MIN_WORD and _LETTERS.fullmatch(term) and term not in STOP_WORDS
    ]
    replacements = {}
    for word in unknown_words(session, suspects)[:MAX_CORRECTIONS]:
        candidates = neighbours(word)
        titles = titles_with_any(session, sorted(candidates), limit=SAMPLE_TITLES)
        found = Counter(title_word for title in titles for title_word in set(_LETTERS.findall(title.lower())))
        best = max(candidates & set(found), key=lambda candidate: (found[candidate], candidate), default=None)
        if best is not None:
            replacements[word] = best
    if not replacements:
        return None
    text = re.sub(r"\w+", lambda word: replacements.get(word.group().lower(), word.group()), query.text)
    return parse_query(text)
