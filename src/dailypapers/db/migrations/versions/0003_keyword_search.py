"""Keyword search over titles, abstracts and authors: FTS5 on SQLite, a tsvector on PostgreSQL.

On PostgreSQL the index is a generated column, always current. On SQLite new papers enter the
FTS5 index in batches after they are stored (``dailypapers index``, run by every ingest command).
None of these objects is in the ORM metadata: ``dailypapers.search.keyword.SEARCH_OBJECTS`` names
them for Alembic.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_UPGRADE = [
    # External content: the text stays in papers, the FTS table holds only the inverted index.
    """CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, abstract, authors,
        content='papers', content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    # New papers are indexed in batches (dailypapers.search.keyword.index_new_papers), not by an
    # insert trigger: indexing costs more than storing, and bulk imports must not wait for it.
    # Papers up to last_rowid are in the index; changes to them are followed by the triggers below.
    "CREATE TABLE keyword_index_state (id INTEGER PRIMARY KEY CHECK (id = 1), last_rowid INTEGER NOT NULL)",
    "INSERT INTO keyword_index_state VALUES (1, 0)",
    """CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers
    WHEN old.rowid <= (SELECT last_rowid FROM keyword_index_state) BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
        VALUES ('delete', old.rowid, old.title, old.abstract, old.authors);
    END""",
    # Only when the indexed text changes: version-history updates leave the index alone.
    """CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors ON papers
    WHEN old.rowid <= (SELECT last_rowid FROM keyword_index_state) BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
        VALUES ('delete', old.rowid, old.title, old.abstract, old.authors);
        INSERT INTO papers_fts(rowid, title, abstract, authors)
        VALUES (new.rowid, new.title, new.abstract, new.authors);
    END""",
]

POSTGRES_UPGRADE = [
    """ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', authors::text), 'C')
        || setweight(to_tsvector('english', abstract), 'B')
    ) STORED""",
    "CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)",
]


def upgrade() -> None:
    statements = SQLITE_UPGRADE if op.get_bind().dialect.name == "sqlite" else POSTGRES_UPGRADE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("delete", "update"):
            op.execute(f"DROP TRIGGER papers_fts_{trigger}")
        op.execute("DROP TABLE keyword_index_state")
        op.execute("DROP TABLE papers_fts")
    else:
        op.execute("DROP INDEX ix_papers_search_vector")
        op.execute("ALTER TABLE papers DROP COLUMN search_vector")
