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
    """Drops the IMAP traffic lines of an authentication exchange.

    aioimaplib masks the secret it is told about, but a server's challenge
    or a mechanism it does not know could still carry one: no line of a
    login is kept. It sits on the handler, because aioimaplib logs through
    child loggers, which a filter on their parent never sees.
    """

    MARKERS = ("LOGIN", "AUTHENTICATE", "XOAUTH2")

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("aioimaplib"):
            return True
        text = str(record.msg) + " ".join(str(arg) for arg in record.args or ())
        return not any(marker in text for marker in self.MARKERS)


# Verbosity steps: what -v, -vv, -vvv add to a command's default.
WARNINGS, DECISIONS, DETAIL, TRAFFIC = range(4)
LEVELS = {WARNINGS: logging.WARNING, DECISIONS: logging.INFO}

_format = "text"


def configure_verbosity(step: int, log_format: str) -> None:
    """Logs at a verbosity step: warnings, decisions, detail, IMAP traffic."""
    level = LEVELS.get(step, logging.DEBUG)
    configure_logging(level, log_format, imap_traffic=step >= TRAFFIC)


def report_error(message: str) -> None:
    """An error that ends a command, on stderr in the chosen log format."""
    if _format == "json":
        entry = {
            "time": datetime.now(UTC).isoformat(),
            "level": "error",
            "logger": "inbox_crm",
            "message": message,
        }
        print(json.dumps(entry, ensure_ascii=False), file=sys.stderr)
    else:
        print(f"error: {message}", file=sys.stderr)


def configure_logging(level: int, log_format: str, *, imap_traffic: bool) -> None:
    global _format
    _format = log_format
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        )
    handler.addFilter(HideCredentials())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aioimaplib logs every line it sends and receives at DEBUG and ignored
    # untagged data at INFO; keep it quiet unless traffic was asked for.
    imap_level = logging.DEBUG if imap_traffic else logging.WARNING
    logging.getLogger("aioimaplib").setLevel(imap_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler reports every run at INFO; the agent logs what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
