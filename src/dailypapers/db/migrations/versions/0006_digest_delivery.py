"""Digest delivery: subscriber preferences and bounces, editions, and the outbox.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as table:
        table.add_column(sa.Column("categories", JSON, server_default="[]", nullable=False))
        table.add_column(sa.Column("confirmation_sent_at", sa.DateTime(), nullable=True))
        table.add_column(sa.Column("bounces", sa.Integer(), server_default="0", nullable=False))
        table.add_column(sa.Column("suppressed_at", sa.DateTime(), nullable=True))
    op.create_table(
        "digest_editions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("paper_ids", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_editions")),
        sa.UniqueConstraint(
            "frequency", "period_start", name=op.f("uq_digest_editions_frequency_period_start")
        ),
    )
    op.create_table(
        "digest_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["digest_editions.id"],
            name=op.f("fk_digest_outbox_edition_id_digest_editions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_digest_outbox_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_outbox")),
        sa.UniqueConstraint(
            "edition_id", "subscriber_id", name=op.f("uq_digest_outbox_edition_id_subscriber_id")
        ),
        sa.UniqueConstraint("message_id", name=op.f("uq_digest_outbox_message_id")),
    )
    op.create_index("ix_digest_outbox_status_next_attempt_at", "digest_outbox", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_digest_outbox_subscriber_id"), "digest_outbox", ["subscriber_id"])


def downgrade() -> None:
    op.drop_table("digest_outbox")
    op.drop_table("digest_editions")
    with op.batch_alter_table("subscribers") as table:
        for column in ("suppressed_at", "bounces", "confirmation_sent_at", "categories"):
            table.drop_column(column)
