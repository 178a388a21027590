"""Alembic environment: runs on the connection handed in by tianwang.migrate.upgrade."""

from alembic import context

from tianwang.migrate import all_metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `tianwang db upgrade`, which hands in the connection")

context.configure(
    connection=connection,
    target_metadata=all_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
