"""Working calendar per unit, triwulan cycles, reminders, notifications, outbox delivery state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Only operations SQLite can do in place (create table, add column, create index) are used, so
no table is copied and the append-only triggers and foreign keys stay as they are.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("units", sa.Column("calendar", sa.JSON(), nullable=True))
    op.create_table(
        "schedules",
        sa.Column("kabupaten_id", sa.Integer(), sa.ForeignKey("units.id"), primary_key=True),
        sa.Column("lead_working_days", sa.JSON(), nullable=False),
        sa.Column("max_lateness_minutes", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "cycles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kabupaten_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("sop_key", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("kabupaten_id", "sop_key", "period", name="uq_cycles_kabupaten_sop_period"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its foreign key in one statement, or not at all.
        op.execute(
            "ALTER TABLE instances ADD COLUMN cycle_id INTEGER CONSTRAINT fk_instances_cycle_id REFERENCES cycles (id)"
        )
    else:
        op.add_column(
            "instances",
            sa.Column("cycle_id", sa.Integer(), sa.ForeignKey("cycles.id", name="fk_instances_cycle_id")),
        )
    op.create_index("ix_instances_cycle_id", "instances", ["cycle_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_notifications_person_read", "notifications", ["person_id", "read_at"])
    op.add_column("outbox", sa.Column("status", sa.String(length=16), nullable=False, server_default="pending"))
    op.add_column("outbox", sa.Column("dedupe_key", sa.String(length=200), nullable=True))
    op.add_column("outbox", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("outbox", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("last_error", sa.Text(), nullable=True))
    op.create_index("ix_outbox_topic_status", "outbox", ["topic", "status", "next_attempt_at"])
    op.create_index("uq_outbox_dedupe_key", "outbox", ["dedupe_key"], unique=True)
    # Events written before notifications existed are history, not news.
    op.execute("UPDATE outbox SET processed_at = created_at, status = 'processed' WHERE processed_at IS NULL")
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("digest_id", sa.Integer(), sa.ForeignKey("outbox.id"), nullable=True),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("tasks.id"), nullable=True),
        sa.Column("cycle_id", sa.Integer(), sa.ForeignKey("cycles.id"), nullable=True),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_reminders_person_status", "reminders", ["person_id", "status"])
    op.create_index("ix_reminders_task_kind", "reminders", ["task_id", "kind"])
    op.create_index("ix_reminders_cycle_kind", "reminders", ["cycle_id", "kind"])


def downgrade() -> None:
    op.drop_table("reminders")
    op.drop_index("uq_outbox_dedupe_key", table_name="outbox")
    op.drop_index("ix_outbox_topic_status", table_name="outbox")
    for column in ("last_error", "claimed_at", "next_attempt_at", "attempts", "dedupe_key", "status"):
        op.drop_column("outbox", column)
    op.drop_table("notifications")
    op.drop_index("ix_instances_cycle_id", table_name="instances")
    with op.batch_alter_table("instances") as batch:
        batch.drop_constraint("fk_instances_cycle_id", type_="foreignkey")
        batch.drop_column("cycle_id")
    op.drop_table("cycles")
    op.drop_table("schedules")
    op.drop_column("units", "calendar")
