"""Submission fetches: papers members submitted that the worker fetches from arXiv, and who asked.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_fetches",
        sa.Column("arxiv_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("arxiv_id", name=op.f("pk_submission_fetches")),
    )
    op.create_index(op.f("ix_submission_fetches_state"), "submission_fetches", ["state"])
    op.create_table(
        "submission_requests",
        sa.Column("arxiv_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["arxiv_id"],
            ["submission_fetches.arxiv_id"],
            name=op.f("fk_submission_requests_arxiv_id_submission_fetches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_submission_requests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("arxiv_id", "user_id", name=op.f("pk_submission_requests")),
    )
    op.create_index(op.f("ix_submission_requests_user_id"), "submission_requests", ["user_id"])


def downgrade() -> None:
    op.drop_table("submission_requests")
    op.drop_table("submission_fetches")
