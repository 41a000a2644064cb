"""Document numbers (Nota Dinas) given once per instance, in sequence per unit and year

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("units", sa.Column("nota_dinas_pattern", sa.String(length=100), nullable=True))
    op.create_table(
        "document_numbers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("instances.id"), nullable=False),
        sa.Column("number", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("unit_id", "year", "kind", "seq", name="uq_document_numbers_seq"),
        sa.UniqueConstraint("instance_id", "kind", name="uq_document_numbers_instance"),
    )


def downgrade() -> None:
    op.drop_table("document_numbers")
    op.drop_column("units", "nota_dinas_pattern")
