"""Alembic environment: migrations run on the connection handed over by ``dailypapers.db.migrate``."""

from alembic import context

from dailypapers.db.models import include_object, metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    from dailypapers.db.engine import create_db_engine
    from dailypapers.settings import Settings

    with create_db_engine(Settings()).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=True, include_object=include_object
    )
    with context.begin_transaction():
        context.run_migrations()
