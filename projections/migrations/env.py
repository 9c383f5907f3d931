"""Alembic environment for the read-model store.

Run programmatically by projections.store.migrate, which passes an open connection in
`config.attributes["connection"]`; there is no alembic.ini and no offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context

from projections.store import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through projections.store.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
