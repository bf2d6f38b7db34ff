"""What preparing a message gives the storing side: Prepared or Unreadable.

Kept apart from the parser so that the process that stores batches (and
unpickles the preparations its worker sends back) never loads the parsing
libraries: only the worker parses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from inbox_crm.ingest.fingerprint import raw_fingerprint
from inbox_crm.ingest.records import MessageRows

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Prepared:
    """A message ready to store: its identity and its rows."""

    key: str
    rows: MessageRows


@dataclass(frozen=True)
class Unreadable:
    """A message to store raw and quarantined, with the reason."""

    key: str
    sha256: str
    reason: str


Preparation = Prepared | Unreadable


def unreadable(raw: bytes, reason: str) -> Unreadable:
    return Unreadable(raw_fingerprint(raw), hashlib.sha256(raw).hexdigest(), reason)
