"""arxiv-sanity-lite's tf-idf, the baseline that bench/search_quality.py and bench/recommend_quality.py
measure the product against: the TfidfVectorizer settings of its compute.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

#: Words of two or more characters, starting with a letter.
TOKENS = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b"


def tfidf_vectorizer(*, capped: bool) -> TfidfVectorizer:
    """Its vectorizer, with its caps on the vocabulary (20,000 words, in 5 to 10% of the texts), or
    without them (every word in two texts or more), which ranks better on a small catalog."""
    caps = {"max_features": 20_000, "max_df": 0.1, "min_df": 5} if capped else {"min_df": 2}
    return TfidfVectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=TOKENS,
        ngram_range=(1, 2),
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        **caps,  # type: ignore[arg-type]
    )


def tfidf_search(
    ids: Sequence[str], texts: Sequence[str], *, capped: bool, top: int
) -> tuple[Callable[[str], list[str]], int]:
    """Its search: ``texts`` vectorised, a query vectorised alike, the ``top`` ids by cosine (none
    that share no term with the query); and the size of the vocabulary."""
    vectorizer = tfidf_vectorizer(capped=capped)
    matrix = vectorizer.fit_transform(texts).tocsr()

    def ranked(text: str) -> list[str]:
        scores = (matrix @ vectorizer.transform([text]).T).toarray().ravel()
        if not scores.any():
            return []
        best = np.argpartition(-scores, top)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [ids[i] for i in best if scores[i] > 0]

    return ranked, len(vectorizer.vocabulary_)
