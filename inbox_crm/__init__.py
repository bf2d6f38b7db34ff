"""inbox-crm: an email-centric CRM agent that keeps the client history current."""

__version__ = "0.1.0"
