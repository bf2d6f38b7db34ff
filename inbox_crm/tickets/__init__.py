"""Tickets: tracked requests with a number, a status and their thread."""
