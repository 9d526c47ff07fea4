"""Alembic environment: runs on the connection `storage.db.migrate` hands over (no URL in a config file)."""

from __future__ import annotations

from alembic import context

from cardiowatch.server.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through cardiowatch.server.storage.db.migrate(engine)")
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
