"""Vectors in PostgreSQL: where the pgvector extension can be created, paper vectors get a ``halfvec``
column with an HNSW index, so that no web server needs a vector file. Elsewhere nothing changes.

The column is filled from the stored blobs here and by every vector index update after (see
``dailypapers.search.pgvector_index``). None of these objects is in the ORM metadata:
``search.models.VECTOR_OBJECTS`` names them for Alembic.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import logging
from contextlib import nullcontext

import sqlalchemy as sa
from alembic import op

from dailypapers.search.pgvector_index import fill_vector_column

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: all-MiniLM-L6-v2's, the model the site embeds with (``Embedder.dimensions``).
DIMENSIONS = 384
#: ``halfvec`` came with pgvector 0.7.0.
OLDEST_PGVECTOR = (0, 7)


def _pgvector(connection: sa.Connection) -> bool:
    """Create the extension if it is installed on the server and this role may; whether it is there."""
    if connection.dialect.name != "postgresql":
        return False
    available = connection.scalar(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"))
    if not available:
        return False
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
    except sa.exc.DBAPIError as refused:
        logging.getLogger(__name__).warning(
            "pgvector is installed but could not be created (%s): vectors stay in a file per data dir",
            str(refused.orig).strip(),
        )
        return False
    version = str(connection.scalar(sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")))
    return tuple(int(part) for part in version.split(".")[:2]) >= OLDEST_PGVECTOR


def upgrade() -> None:
    connection = op.get_bind()
    if not _pgvector(connection):
        return
    op.execute(f"ALTER TABLE paper_embeddings ADD COLUMN embedding halfvec({DIMENSIONS})")
    fill_vector_column(lambda: nullcontext(connection), DIMENSIONS)
    # After the fill: building the graph once is faster than growing it row by row. m and
    # ef_construction are usearch's (search/vectors.py CONNECTIVITY, EXPANSION_ADD).
    op.execute(
        "CREATE INDEX ix_paper_embeddings_embedding ON paper_embeddings "
        "USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 100)"
    )
    # Every index update looks for rows not yet copied into the column: few, found by this index
    # without reading the million that are.
    op.execute(
        "CREATE INDEX ix_paper_embeddings_unfilled ON paper_embeddings (label) WHERE embedding IS NULL"
    )


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_paper_embeddings_unfilled")
        op.execute("DROP INDEX IF EXISTS ix_paper_embeddings_embedding")
        op.execute("ALTER TABLE paper_embeddings DROP COLUMN IF EXISTS embedding")
