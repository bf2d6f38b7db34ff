"""Alembic migrations of the inbox-crm schema."""
