"""Performance data: plan tree, indicators, versioned targets, realisasi, evidence, data events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Numbers are stored as canonical decimal text (never floats: SQLite has no exact decimal type);
data_events is append-only like audit_events.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("units", sa.Column("capaian_policy", sa.String(length=32), nullable=True))
    op.create_table(
        "plan_nodes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("plan_nodes.id"), nullable=True),
        sa.Column("flag", sa.Text(), nullable=True),
        sa.UniqueConstraint("unit_id", "year", "code", name="uq_plan_nodes_unit_year_code"),
    )
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("plan_nodes.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("satuan", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("aggregation", sa.String(length=16), nullable=False),
        sa.Column("scale", sa.String(length=32), nullable=True),
        sa.Column("external_source", sa.String(length=64), nullable=True),
        sa.Column("owner_role", sa.String(length=32), nullable=True),
        sa.Column("owner_seksi", sa.String(length=32), nullable=True),
        sa.Column("owner_person_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("sumber_data", sa.Text(), nullable=True),
        sa.Column("formulation", sa.Text(), nullable=True),
        sa.Column("min_value", sa.String(length=40), nullable=True),
        sa.Column("max_value", sa.String(length=40), nullable=True),
        sa.Column("penyerapan", sa.Boolean(), nullable=False),
        sa.Column("flag", sa.Text(), nullable=True),
        sa.UniqueConstraint("unit_id", "year", "code", name="uq_indicators_unit_year_code"),
    )
    op.create_table(
        "target_sets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.UniqueConstraint("unit_id", "year", "kind", "version", name="uq_target_sets_version"),
    )
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("target_set_id", sa.Integer(), sa.ForeignKey("target_sets.id"), nullable=False),
        sa.Column("indicator_id", sa.Integer(), sa.ForeignKey("indicators.id"), nullable=False),
        sa.Column("annual", sa.String(length=40), nullable=False),
        sa.Column("tw1", sa.String(length=40), nullable=True),
        sa.Column("tw2", sa.String(length=40), nullable=True),
        sa.Column("tw3", sa.String(length=40), nullable=True),
        sa.Column("tw4", sa.String(length=40), nullable=True),
        sa.UniqueConstraint("target_set_id", "indicator_id", name="uq_targets_set_indicator"),
    )
    op.create_table(
        "realisasi",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("indicator_id", sa.Integer(), sa.ForeignKey("indicators.id"), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=True),
        sa.Column("numerator", sa.String(length=40), nullable=True),
        sa.Column("denominator", sa.String(length=40), nullable=True),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("source_period", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("return_note", sa.Text(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("instances.id"), nullable=False),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("tasks.id"), nullable=True),
        sa.Column("target_set_id", sa.Integer(), sa.ForeignKey("target_sets.id"), nullable=True),
        sa.Column("target_value", sa.String(length=40), nullable=True),
        sa.Column("capaian", sa.String(length=40), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("indicator_id", "period", name="uq_realisasi_indicator_period"),
    )
    op.create_index("ix_realisasi_unit_period", "realisasi", ["unit_id", "period"])
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("realisasi_id", sa.Integer(), sa.ForeignKey("realisasi.id"), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_evidence_realisasi_id", "evidence", ["realisasi_id"])
    op.create_table(
        "data_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
    )
    op.create_index("ix_data_events_unit_id", "data_events", ["unit_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE instances ADD COLUMN target_set_id INTEGER "
            "CONSTRAINT fk_instances_target_set_id REFERENCES target_sets (id)"
        )
        for statement in (
            "CREATE TRIGGER data_events_no_update BEFORE UPDATE ON data_events "
            "BEGIN SELECT RAISE(ABORT, 'data_events is append-only'); END",
            "CREATE TRIGGER data_events_no_delete BEFORE DELETE ON data_events "
            "BEGIN SELECT RAISE(ABORT, 'data_events is append-only'); END",
        ):
            op.execute(statement)
    else:
        op.add_column(
            "instances",
            sa.Column(
                "target_set_id", sa.Integer(), sa.ForeignKey("target_sets.id", name="fk_instances_target_set_id")
            ),
        )
        op.execute(
            "CREATE FUNCTION data_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'data_events is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER data_events_no_change BEFORE UPDATE OR DELETE ON data_events "
            "FOR EACH ROW EXECUTE FUNCTION data_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER data_events_no_truncate BEFORE TRUNCATE ON data_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION data_events_append_only()"
        )


def downgrade() -> None:
    with op.batch_alter_table("instances") as batch:
        batch.drop_constraint("fk_instances_target_set_id", type_="foreignkey")
        batch.drop_column("target_set_id")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER data_events_no_update")
        op.execute("DROP TRIGGER data_events_no_delete")
    else:
        op.execute("DROP TRIGGER data_events_no_truncate ON data_events")
        op.execute("DROP TRIGGER data_events_no_change ON data_events")
        op.execute("DROP FUNCTION data_events_append_only()")
    for table in ("data_events", "evidence", "realisasi", "targets", "target_sets", "indicators", "plan_nodes"):
        op.drop_table(table)
    op.drop_column("units", "capaian_policy")
