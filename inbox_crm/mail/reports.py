"""Find the message that a delivery report or a read receipt is about.

Both come as multipart/report (RFC 6522). A read receipt (RFC 8098) names
the message in its Original-Message-ID field; a delivery report (RFC 3464)
returns the message, or only its header, as a part of its own. Knowing that
message lets a bounce or a receipt join the conversation it belongs to,
even though neither carries In-Reply-To.
"""

from __future__ import annotations

from email.message import Message
from email.parser import HeaderParser

from inbox_crm.mail.bodies import subparts
from inbox_crm.mail.headers import message_ids

_RECEIPT_TYPES = frozenset(
    {"message/disposition-notification", "message/global-disposition-notification"}
)
_RETURNED_TYPES = frozenset({"message/rfc822", "message/global"})
_RETURNED_HEADER_TYPES = frozenset({"text/rfc822-headers", "message/global-headers"})


def reported_message_id(message: Message | None) -> str | None:
    """The Message-ID of the message a report is about; None for other mail.

    TODO(bounces that are no multipart/report): qmail and old Exim quote the
    returned message in the body text; its Message-ID is not read from there,
    so such a bounce starts a thread of its own.
    """
    if message is None or message.get_content_type() != "multipart/report":
        return None
    for part in subparts(message):
        found = _named_id(part)
        if found is not None:
            return found
    return None


def _named_id(part: Message) -> str | None:
    """The message id that one part of a report names, if any."""
    content_type = part.get_content_type()
    if content_type in _RECEIPT_TYPES:
        return _field(subparts(part), "original-message-id")
    if content_type in _RETURNED_TYPES:
        return _field(subparts(part), "message-id")
    if content_type in _RETURNED_HEADER_TYPES:
        return _field([_header_block(part)], "message-id")
    return None


def _header_block(part: Message) -> Message:
    """Read a part that holds only a header block (text/rfc822-headers)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return Message()
    text = payload.decode("utf-8", "surrogateescape")
    return HeaderParser().parsestr(text)


def _field(blocks: list[Message], name: str) -> str | None:
    """The first message id held by field `name` in the given header blocks."""
    for block in blocks:
        values = [str(value) for value in block.get_all(name, [])]
        ids = message_ids(values)
        if ids:
            return ids[0]
    return None
