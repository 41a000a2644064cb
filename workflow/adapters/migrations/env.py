"""Alembic environment: run against the connection `workflow.adapters.schema` hands over."""

from __future__ import annotations

from alembic import context

from workflow.adapters.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `sakip init` (workflow.adapters.schema.upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
