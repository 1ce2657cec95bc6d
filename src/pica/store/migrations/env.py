"""Alembic environment for pica's store: run by :func:`pica.store.migrate` on a connection it
passes in (``config.attributes["connection"]``); no alembic.ini is needed anywhere."""

from __future__ import annotations

from alembic import context

from pica.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # ALTER on SQLite needs batch mode
)
with context.begin_transaction():
    context.run_migrations()
