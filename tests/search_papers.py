"""Papers on clearly different topics, for tests of search by words and by meaning."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from dailypapers.papers.records import PaperRecord
from dailypapers.search.embedding import default_embedder
from dailypapers.search.semantic import embed_new_papers
from dailypapers.search.service import update_search_index, update_vectors_file

#: id: (title, abstract, first author, category)
TOPICS = {
    "2501.00001": (
        "Teaching robot arms to pick up household items",
        "We train a manipulator to grasp cups, bottles and toys from camera images.",
        "Rosalind Franklin",
        "cs.RO",
    ),
    "2501.00002": (
        "Folding proteins with deep networks",
        "Amino acid sequences are mapped to three-dimensional structures by a neural network.",
        "Dorothy Hodgkin",
        "q-bio.BM",
    ),
    "2501.00003": (
        "Translating between low-resource languages",
        "Machine translation for languages with little parallel text, using back-translation.",
        "Noam Chomsky",
        "cs.CL",
    ),
    "2501.00004": (
        "Finding tumours in chest X-rays",
        "A detector flags malignant nodules in thoracic radiology images for oncologists.",
        "Marie Curie",
        "eess.IV",
    ),
    "2501.00005": (
        "Cutting the electricity bill of data centres",
        "Scheduling jobs when power is cheap lowers the energy use of server farms.",
        "Nikola Tesla",
        "cs.DC",
    ),
    "2501.00006": (
        "Grasp planning for multi-fingered hands",
        "Dexterous robotic hands choose stable grips on unknown objects with tactile sensing.",
        "Ada Lovelace",
        "cs.RO",
    ),
}


def paper(
    arxiv_id: str,
    title: str,
    abstract: str,
    author: str = "Grace Hopper",
    category: str = "cs.CV",
    submitted: dt.datetime = dt.datetime(2025, 1, 2, 12),
    listed_on: dt.date = dt.date(2025, 1, 3),
) -> PaperRecord:
    return PaperRecord.build(
        id=arxiv_id,
        title=title,
        authors=[author, "Alan Turing"],
        abstract=abstract,
        categories=[category],
        submitted_at=submitted,
        listed_on=listed_on,
    )


def make_searchable(engine: sa.Engine, data_dir: Path) -> None:
    """What `dailypapers index` does: words, then vectors, then the vector index file."""
    update_search_index(engine)
    embed_new_papers(engine, default_embedder())
    update_vectors_file(engine, data_dir, default_embedder())
