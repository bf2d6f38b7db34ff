"""Preparing a message for storage: parse, fingerprint, classify, build its rows.

Pure work on the raw bytes, with no database, so that it can run in another
process while the previous batch is being stored. What it gives back is in
`prepared`, which the storing side imports without the parser.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from inbox_crm.errors import ParseError
from inbox_crm.ingest.fingerprint import fingerprint
from inbox_crm.ingest.prepared import (
    EPOCH,
    Preparation,
    Prepared,
    unreadable,
)
from inbox_crm.ingest.records import message_rows
from inbox_crm.mail.classify import classify
from inbox_crm.mail.message import ParsedMessage
from inbox_crm.mail.parse import parse_message

log = logging.getLogger(__name__)


def prepare(
    raw: bytes, received_at: datetime | None, own_addresses: Sequence[str]
) -> Preparation:
    """Parse and classify `raw`; an unreadable message comes back as Unreadable."""
    try:
        parsed = parse_message(raw)
    except ParseError as exc:
        return unreadable(raw, f"cannot parse: {exc}")
    try:
        return _prepared(parsed, raw, received_at, own_addresses)
    except Exception as exc:  # one bad message never stops the batch
        log.exception("a parsed message could not be classified")
        return unreadable(raw, f"storage failed: {exc}")


def prepare_many(
    items: Sequence[tuple[bytes, datetime | None]], own_addresses: Sequence[str]
) -> list[Preparation]:
    """`prepare` for each (raw, arrival time) pair: one call for a whole batch."""
    return [prepare(raw, received_at, own_addresses) for raw, received_at in items]


def message_date(
    parsed: ParsedMessage, received_at: datetime | None
) -> tuple[datetime, str]:
    """The Date header, else the server's arrival time (flagged), else 1970."""
    if parsed.date is not None:
        return parsed.date, "header"
    if received_at is not None:
        return received_at.astimezone(UTC), "internaldate"
    return EPOCH, "unknown"


def _prepared(
    parsed: ParsedMessage,
    raw: bytes,
    received_at: datetime | None,
    own_addresses: Sequence[str],
) -> Prepared:
    key = fingerprint(parsed)
    classification = classify(parsed, own_addresses)
    date, date_source = message_date(parsed, received_at)
    sha256 = hashlib.sha256(raw).hexdigest()
    rows = message_rows(parsed, classification, sha256, len(raw), date, date_source)
    return Prepared(key, rows)
