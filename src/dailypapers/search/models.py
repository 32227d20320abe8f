"""Stored paper vectors: the source the approximate-nearest-neighbour index is built from."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dailypapers.db.base import Base

#: What migration 0009 adds to ``paper_embeddings`` on PostgreSQL with pgvector, outside the model:
#: the ``halfvec`` copy of ``vector``, its HNSW index, and an index of the rows not yet copied
#: (``search/pgvector_index.py``).
VECTOR_OBJECTS = frozenset({"embedding", "ix_paper_embeddings_embedding", "ix_paper_embeddings_unfilled"})


class PaperEmbedding(Base):
    """A paper's vector from one model, for the paper's text as it was when embedded.

    ``label`` is the key in the vector index. It only grows: a paper whose text changed gets a
    new row and a new label, so the index takes in everything above the last label it holds.
    """

    __tablename__ = "paper_embeddings"
    __table_args__ = ({"sqlite_autoincrement": True},)

    label: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), unique=True)
    model: Mapped[str] = mapped_column(sa.String(64))
    #: ``Paper.content_hash`` at the time of embedding; a different hash means the text changed.
    content_hash: Mapped[str] = mapped_column(sa.String(32))
    #: float16, little-endian: half the space of float32, and cosine scores differ by under 1e-3.
    vector: Mapped[bytes] = mapped_column(sa.LargeBinary)
