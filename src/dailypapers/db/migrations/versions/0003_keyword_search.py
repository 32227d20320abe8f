"""Keyword search over titles, abstracts and authors: FTS5 on SQLite, a tsvector on PostgreSQL.

The index lives beside the papers table and follows it inside the same transactions (triggers on
SQLite, a generated column on PostgreSQL), so a search never misses a stored paper. Neither object
is in the ORM metadata: ``dailypapers.search.keyword.SEARCH_OBJECTS`` names them for Alembic.

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
    """CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
        INSERT INTO papers_fts(rowid, title, abstract, authors)
        VALUES (new.rowid, new.title, new.abstract, new.authors);
    END""",
    """CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
        VALUES ('delete', old.rowid, old.title, old.abstract, old.authors);
    END""",
    # Only when the indexed text changes: version-history updates leave the index alone.
    """CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
        VALUES ('delete', old.rowid, old.title, old.abstract, old.authors);
        INSERT INTO papers_fts(rowid, title, abstract, authors)
        VALUES (new.rowid, new.title, new.abstract, new.authors);
    END""",
    "INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')",
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
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER papers_fts_{trigger}")
        op.execute("DROP TABLE papers_fts")
    else:
        op.execute("DROP INDEX ix_papers_search_vector")
        op.execute("ALTER TABLE papers DROP COLUMN search_vector")
