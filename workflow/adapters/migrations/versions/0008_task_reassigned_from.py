"""The person a reassigned task was first given to (whose indicators it still owes)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table, so it copies the table.
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column(
                "reassigned_from_id",
                sa.Integer(),
                sa.ForeignKey("people.id", name="fk_tasks_reassigned_from_id_people"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("reassigned_from_id")
