"""Background jobs of search (see ``dailypapers.queue``): new papers become findable by their
words, then by their meaning, and every web server sees the new vectors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from dailypapers.queue import JobRuntime, periodic_job
from dailypapers.search.embedding import Embedder, ModelMissing, default_embedder
from dailypapers.search.semantic import embed_new_papers
from dailypapers.search.service import update_search_index, update_vectors_file


@periodic_job("indexed")
def index_new_papers(runtime: JobRuntime, moment: dt.datetime) -> int:
    """Add the papers not yet in the keyword index; how many."""
    return update_search_index(runtime.engine)


@periodic_job("embedded")
def embed_papers(runtime: JobRuntime, moment: dt.datetime) -> int | str:
    """Store the vectors of the papers that lack one; how many (or that the model is missing)."""
    return _with_the_model(lambda embedder: embed_new_papers(runtime.engine, embedder))


@periodic_job("published")
def publish_vectors(runtime: JobRuntime, moment: dt.datetime) -> int | str:
    """Bring the vector index file in the data dir up to the stored vectors; how many it took in."""
    data_dir = runtime.settings.data_dir
    return _with_the_model(lambda embedder: update_vectors_file(runtime.engine, data_dir, embedder))


def _with_the_model(work: Callable[[Embedder], int]) -> int | str:
    """``work`` done with the embedding model, or "no model" on a site that has not fetched it:
    semantic search is optional, so that is no failure to retry."""
    try:
        embedder = default_embedder()
    except ModelMissing:
        return "no model"
    return work(embedder)
