"""Outreach: templated mail sent over SMTP through a durable outbox."""
