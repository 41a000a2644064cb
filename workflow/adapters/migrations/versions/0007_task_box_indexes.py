"""Indexes for the task boxes at scale: a person's archive, and a unit's open tasks per role

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The archive box and its count (every page shows it): tasks finished by one person.
    op.create_index("ix_tasks_finished_by", "tasks", ["finished_by_id", "finished_at"])
    # The inbox and queue boxes: a unit's open tasks of a role.
    op.create_index("ix_tasks_unit_role_status", "tasks", ["unit_id", "role", "status"])


def downgrade() -> None:
    op.drop_index("ix_tasks_unit_role_status", table_name="tasks")
    op.drop_index("ix_tasks_finished_by", table_name="tasks")
