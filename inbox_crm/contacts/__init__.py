"""Contacts and companies: the client history and how mail is linked to it."""
