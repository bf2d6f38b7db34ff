"""The stable identity of a message, used to store each message once.

The same message in several folders (Gmail labels, a copy in Sent and in
INBOX) has the same fingerprint, so it is stored once with all its folders.
Two different messages that share a Message-ID differ in sender, date or
subject, so both are kept. A message without a Message-ID is identified by
its content, so re-polls never import it again.
"""

from __future__ import annotations

import hashlib

from inbox_crm.mail.message import Address, ParsedMessage


def fingerprint(parsed: ParsedMessage) -> str:
    """A hex SHA-256 over the fields that identify `parsed`."""
    sender = _address(parsed.from_)
    date = parsed.date.isoformat() if parsed.date else ""
    if parsed.message_id:
        parts = ["id", parsed.message_id, sender, date, parsed.subject]
    else:
        body = hashlib.sha256(parsed.text.encode("utf-8", "replace")).hexdigest()
        recipients = [_address(address) for address in parsed.to + parsed.cc]
        parts = ["content", sender, date, parsed.subject, *recipients, body]
    return _digest(parts)


def raw_fingerprint(raw: bytes) -> str:
    """Identity of a message that could not be parsed: its bytes."""
    return _digest(["raw", hashlib.sha256(raw).hexdigest()])


def _address(address: Address | None) -> str:
    return address.address.lower() if address else ""


def _digest(parts: list[str]) -> str:
    joined = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()
