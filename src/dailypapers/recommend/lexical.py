"""Papers as tf-idf vectors of their words and word pairs, the lexical detail a member's taste is read from.

Research interests show in exact words (method names, datasets, jargon), which a small sentence model
blurs: ``bench/recommend_readers.py`` measured the feed's words against arxiv-sanity-lite's tf-idf +
LinearSVC. The weighting is the usual one (sublinear term frequency, smoothed idf, unit length), over
single words and adjacent pairs with English function words left out. Words are hashed into a fixed
number of slots instead of kept in a vocabulary: a month of 4,732 papers holds 412,332 distinct words
and pairs, which as a dictionary of Python strings would cost tens of MB per window, and the slots' document
frequencies cost 8 MB.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import xxhash
from scipy import sparse

#: Power of the idf in a word's weight: rare words (a method's name, a dataset) say more of a narrow
#: interest than the usual idf grants. On the readers bench's tuning split, P@10 at 20 upvotes (content
#: only) was 0.0413 at 1, 0.0447 at 1.5, 0.0420 at 2 and 0.0380 at 3, with 5 upvotes level (0.0235,
#: 0.0230, 0.0235, 0.0225).
IDF_POWER = 1.5
#: Hash slots for words and pairs: 2^21 keeps collisions among a 12,000-paper window's terms (about a
#: million) to a few percent.
SLOTS = 2**21
TOKEN = re.compile(r"\b[a-z_][a-z0-9_]+\b")
#: Function words, which say nothing of a topic and make meaningless pairs ("of the").
STOP_WORDS = frozenset(
    """a about above after again against all almost also although always am among an and another any are
    around as at be because been before being below between both but by can could did do does doing done
    down during each either else enough etc even ever every few for from further had has have having he
    her here hers herself him himself his how however i if in into is it its itself just less may me
    might more most much must my myself neither no nor not now of off often on once one only onto or
    other others otherwise our ours ourselves out over own per perhaps rather same several she should
    since so some such than that the their theirs them themselves then there therefore these they this
    those though through thus to too toward towards under until up upon us very via was we were what
    whatever when whence where whereas whether which while who whom whose why will with within without
    would yet you your yours yourself yourselves""".split()  # noqa: SIM905 (a paragraph of words reads better than a list)
)


def words(text: str) -> list[str]:
    """Lower-cased words without accents or function words, in order."""
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return [word for word in TOKEN.findall(folded) if word not in STOP_WORDS]


#: Words whose hash is kept: hashing each word anew cost half the time of weighing a window.
WORD_CODES_KEPT = 2**20
#: Odd multiplier that mixes a pair's two word hashes into the pair's own.
PAIR_MIX = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=WORD_CODES_KEPT)
def _code(word: str) -> int:
    return xxhash.xxh3_64_intdigest(word.encode())


#: Texts whose counted slots are kept: a member's upvotes are counted once, not on every feed they see
#: (about 2 kB a text; counting 20 upvotes took 60 ms of a 120 ms feed).
COUNTED_KEPT = 20_000
#: A text's distinct slots and how often each occurs.
Counted = tuple[np.ndarray, np.ndarray]


@lru_cache(maxsize=COUNTED_KEPT)
def counted(text: str) -> Counted:
    """The slots of the text's words and of each adjacent pair of them, counted."""
    found = words(text)
    codes = np.fromiter(map(_code, found), np.uint64, len(found))
    with np.errstate(over="ignore"):  # the mix wraps around on purpose
        pairs = codes[:-1] * PAIR_MIX + codes[1:]
    slots, counts = np.unique(np.concatenate([codes, pairs]) % np.uint64(SLOTS), return_counts=True)
    return slots.astype(np.int64), counts.astype(np.float32)


def _weighed(text: Counted, idf: np.ndarray) -> Counted:
    """Unit-length (1 + log tf) * idf of a text's slots; slots of zero idf (words the window lacks) are
    dropped."""
    slots, counts = text
    weights = (1 + np.log(counts)) * idf[slots]
    kept = weights > 0
    norm = float(np.linalg.norm(weights[kept]))
    return slots[kept], weights[kept] / norm if norm else weights[kept]


@dataclass(frozen=True)
class TermSpace:
    """Document frequencies of a set of papers, which weigh the words of any other text against them."""

    idf: np.ndarray

    @classmethod
    def fit(cls, texts: Sequence[str]) -> tuple[TermSpace, sparse.csr_matrix]:
        """The space of ``texts`` and their rows in it."""
        # The window's own texts are counted once, not kept: they are not asked for again.
        counts = [counted.__wrapped__(text) for text in texts]
        frequency = np.bincount(
            np.concatenate([slots for slots, _ in counts] or [np.zeros(0, np.int64)]), minlength=SLOTS
        )
        # Smoothed idf, as if one more text held every word: a word in every text still weighs 1.
        idf = np.where(frequency > 0, np.log((1 + len(texts)) / (1 + frequency)) + 1, 0) ** IDF_POWER
        idf = idf.astype(np.float32)
        rows = [_weighed(text, idf) for text in counts]
        matrix = sparse.csr_matrix(
            (
                np.concatenate([weights for _, weights in rows]) if rows else np.zeros(0, np.float32),
                np.concatenate([slots for slots, _ in rows]) if rows else np.zeros(0, np.int64),
                np.cumsum([0] + [len(slots) for slots, _ in rows]),
            ),
            shape=(len(rows), SLOTS),
            dtype=np.float32,
        )
        return cls(idf), matrix

    def columns(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The slots ``texts`` use, and their weights there as a dense (slots x texts) matrix."""
        rows = [_weighed(counted(text), self.idf) for text in texts]
        used = np.unique(np.concatenate([slots for slots, _ in rows])) if rows else np.zeros(0, np.int64)
        dense = np.zeros((len(used), len(rows)), np.float32)
        for column, (slots, weights) in enumerate(rows):
            dense[np.searchsorted(used, slots), column] = weights
        return used, dense
