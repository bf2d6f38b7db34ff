"""Parse one raw message into a ParsedMessage; the one place parse failures surface.

The email package (compat32) reads the MIME structure; mail-parser's date
reader handles the Date header; the header, address and body readers of this
package do the rest, in a single walk over the MIME tree.
"""

from __future__ import annotations

import re
from email import message_from_bytes
from email.errors import MissingHeaderBodySeparatorDefect
from email.message import Message

from inbox_crm.errors import ParseError
from inbox_crm.mail.addresses import first_mailbox, parse_addresses
from inbox_crm.mail.bodies import subparts, walk
from inbox_crm.mail.charsets import fits, guess_charset
from inbox_crm.mail.headers import (
    ENCODED_WORD,
    decode_text,
    message_ids,
    parse_date,
    raw_bytes,
)
from inbox_crm.mail.message import ParsedMessage
from inbox_crm.mail.reports import reported_message_id

# Without one of these, the bytes are not a mail (a PDF, a log file, noise).
_MAIL_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "received",
        "return-path",
        "mime-version",
        "content-type",
        "sender",
        "reply-to",
        "delivered-to",
        "in-reply-to",
        "references",
    }
)
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_WORD_HINT_FIELDS = ("subject", "from", "to")

Fields = dict[str, list[str]]


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse a message's raw source.

    Raises ParseError when the bytes hold no mail at all (empty input, no
    header a mail would have) or when the parser itself fails; anything less
    degrades: bad fields come back empty and are named in `defects`.

    Every non-body part is listed in `attachments`, signatures and encrypted
    parts included. A forwarded message (message/rfc822) is listed once, as
    itself: the attachments inside it are the forwarded mail's, not ours.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ParseError(f"expected the raw message as bytes, got {type(raw).__name__}")
    try:
        return _parse(bytes(raw))
    except ParseError:
        raise
    except Exception as exc:  # the boundary: nothing but ParseError leaves here
        raise ParseError(f"the parser failed: {type(exc).__name__}: {exc}") from exc


def _parse(raw: bytes) -> ParsedMessage:
    """Parse bytes known to be bytes; see parse_message."""
    data = _strip_mbox_line(raw).lstrip(b"\r\n")
    if not data.strip():
        raise ParseError("the message is empty")

    message, notes = _read(data)
    fields = _header_index(message)
    if not fields.keys() & _MAIL_HEADERS:
        raise ParseError("no mail header found: the input is not an email message")

    hint = _charset_hint(message, fields)
    bodies = walk(message, hint)
    parsed = ParsedMessage(
        message_id=_first(message_ids(fields.get("message-id", []))),
        subject=decode_text(_first(fields.get("subject", [])) or "", hint).strip(),
        from_=first_mailbox(fields.get("from", []), hint),
        to=parse_addresses(fields.get("to", []), hint),
        cc=parse_addresses(fields.get("cc", []), hint),
        bcc=parse_addresses(fields.get("bcc", []), hint),
        reply_to=parse_addresses(fields.get("reply-to", []), hint),
        sender=first_mailbox(fields.get("sender", []), hint),
        date=parse_date(_first(fields.get("date", []))),
        in_reply_to=_first(message_ids(fields.get("in-reply-to", []))),
        references=message_ids(fields.get("references", [])),
        reported_message_id=reported_message_id(message),
        text=bodies.text,
        has_html=bool(bodies.html),
        attachments=bodies.attachments,
        email=message,
    )
    parsed.defects = _defects(notes, bodies.defects, fields, parsed)
    return parsed


def _strip_mbox_line(raw: bytes) -> bytes:
    """Drop the "From sender date" line that mbox files put before a message."""
    if raw.startswith(b"From "):
        return raw.partition(b"\n")[2]
    return raw


def _read(data: bytes) -> tuple[Message, list[str]]:
    """Parse the bytes, repairing a header block broken by unindented lines."""
    message = message_from_bytes(data)
    broken = any(
        isinstance(defect, MissingHeaderBodySeparatorDefect)
        for defect in message.defects
    )
    if not broken:
        return message, []

    fixed = _repair_header_block(data)
    if fixed is None:
        return message, []
    repaired = message_from_bytes(fixed)
    if len(repaired) <= len(message):
        return message, []
    return repaired, ["header block repaired"]


def _repair_header_block(data: bytes) -> bytes | None:
    """Rejoin unindented continuation lines; None when there is nothing to save.

    Python ends the header block at the first line that is neither a field
    nor indented, losing every field after it. When fields do follow such a
    line, junk before the first field is dropped and other stray lines are
    taken as continuations of the field above them.
    """
    end = _BLANK_LINE.search(data)
    head, rest = (data[: end.start()], data[end.start() :]) if end else (data, b"")
    lines = head.splitlines(keepends=True)
    stray = [
        i
        for i, line in enumerate(lines)
        if not _HEADER_LINE.match(line) and line[:1] not in (b" ", b"\t")
    ]
    if not stray or not any(_HEADER_LINE.match(line) for line in lines[stray[0] :]):
        return None

    kept: list[bytes] = []
    for line in lines:
        if _HEADER_LINE.match(line) or (kept and line[:1] in (b" ", b"\t")):
            kept.append(line)
        elif kept:
            kept.append(b" " + line)
    return b"".join(kept) + rest


def _header_index(message: Message) -> Fields:
    """Map each lower-cased header name to its raw values, in order."""
    fields: Fields = {}
    for name, value in message.raw_items():
        fields.setdefault(name.lower(), []).append(str(value))
    return fields


def _charset_hint(message: Message, fields: Fields) -> str | None:
    """Guess the charset the sender's client used, for undeclared 8-bit text.

    The first declared body charset, or else that of an encoded word, serves
    unless the raw 8-bit header bytes read as mojibake in it; then all those
    bytes together go to the charset guesser, which needs the length.
    """
    declared = _body_charset(message) or _encoded_word_charset(fields)
    raw = b" ".join(
        raw_bytes(value)
        for values in fields.values()
        for value in values
        if not value.isascii()
    )
    if not raw or _is_utf8(raw) or fits(raw, declared):
        return declared
    return guess_charset(raw) or declared


def _body_charset(message: Message) -> str | None:
    """Return the charset declared by the first part that declares one."""
    part = message
    for _depth in range(8):
        charset = part.get_content_charset()
        if charset:
            return charset
        inner = subparts(part)
        if not inner:
            break
        part = inner[0]
    return None


def _encoded_word_charset(fields: Fields) -> str | None:
    """Return the charset of the first encoded word in Subject, From or To."""
    for name in _WORD_HINT_FIELDS:
        for value in fields.get(name, []):
            word = ENCODED_WORD.search(value)
            if word:
                return word.group(1)
    return None


def _is_utf8(data: bytes) -> bool:
    """Tell whether bytes are valid UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _first(values: list[str]) -> str | None:
    """Return the first item of a list, or None."""
    return values[0] if values else None


def _defects(
    notes: list[str], found: list[str], fields: Fields, parsed: ParsedMessage
) -> list[str]:
    """List the parse problems once each, parser defects first."""
    problems = [*notes, *found]
    if "from" in fields and parsed.from_ is None:
        problems.append("From header without an address")
    if "date" in fields and parsed.date is None:
        problems.append("unreadable Date header")
    return list(dict.fromkeys(problems))
