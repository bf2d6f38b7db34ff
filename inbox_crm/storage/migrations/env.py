"""Alembic environment: runs migrations on the connection inbox-crm hands it."""

from alembic import context

# Each import registers its package's tables on Base.metadata.
import inbox_crm.agent.models
import inbox_crm.contacts.models
import inbox_crm.digest.models
import inbox_crm.outreach.models
import inbox_crm.storage.tracking  # noqa: F401
from inbox_crm.storage.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
