"""Ingestion: from raw bytes to a stored, classified, threaded message."""
