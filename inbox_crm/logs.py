"""Logging set-up: one line per decision, as text or JSON, secrets never."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class HideCredentials(logging.Filter):
    """Drops the IMAP traffic lines that carry a password or a token.

    aioimaplib masks a LOGIN password but not an AUTHENTICATE token, which
    it logs base64-encoded; no line of an authentication exchange is kept.
    """

    MARKERS = ("LOGIN", "AUTHENTICATE", "XOAUTH2")

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg) + " ".join(str(arg) for arg in record.args or ())
        return not any(marker in text for marker in self.MARKERS)


def configure_logging(level: int, log_format: str, *, imap_traffic: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aioimaplib logs every line it sends and receives at DEBUG and ignored
    # untagged data at INFO; keep it quiet unless traffic was asked for.
    imap_level = logging.DEBUG if imap_traffic else logging.WARNING
    imap_logger = logging.getLogger("aioimaplib")
    imap_logger.setLevel(imap_level)
    if not any(isinstance(f, HideCredentials) for f in imap_logger.filters):
        imap_logger.addFilter(HideCredentials())
    logging.getLogger("alembic").setLevel(logging.WARNING)
