"""Decode header fields: RFC 2047 words, raw 8-bit text, message ids and dates."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_tz

from mailparser.dates import parse_mail_date

from inbox_crm.mail.charsets import decode_bytes

ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")
_FOLD = re.compile(r"\r?\n")
_BASE64_CHUNK = re.compile(r"[A-Za-z0-9+/]+")
_ID_TOKEN = re.compile(r"<([^<>]*)>|([^\s<>,;\"()]+@[^\s<>,;\"()]+)")
_COMMENT = re.compile(r"\([^()]*\)")
_WHITESPACE = re.compile(r"\s+")

# Dates before the first Unix mail or well past today are typing errors or spam
# tricks; the caller's fallback (the server's arrival time) is better than them.
_EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=2 * 366)


def unfold(value: str) -> str:
    """Join a folded header value onto one line (RFC 5322 section 2.2.3)."""
    if "\n" not in value:
        return value
    return _FOLD.sub("", value)


def to_text(value: str, hint: str | None = None) -> str:
    """Return a raw header value as text, decoding undeclared 8-bit bytes.

    The email package keeps 8-bit header bytes as surrogate escapes; RFC 6532
    says they are UTF-8, older mailers used the message's own charset.
    """
    if value.isascii():
        return value
    return decode_bytes(raw_bytes(value), None, hint)


def raw_bytes(value: str) -> bytes:
    """Return the bytes a raw header value was read from."""
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace")


def decode_text(value: str, hint: str | None = None) -> str:
    """Decode an unstructured header value (Subject, a display name) to text."""
    text = to_text(unfold(value), hint)
    if "=?" not in text:
        return text
    return decode_words(text, hint)


def decode_words(text: str, hint: str | None = None) -> str:
    """Replace the RFC 2047 encoded words in `text` by what they encode.

    Whitespace between two encoded words is dropped, and the bytes of
    neighbouring words in one charset are joined before decoding, so a
    character split across two words survives. Between words in different
    charsets that carry no blank of their own, one space is kept: such words
    were encoded one word at a time, and the blank was the sender's.
    """
    out: list[str] = []
    pending = bytearray()
    pending_charset: str | None = None
    end = 0
    for match in ENCODED_WORD.finditer(text):
        between = text[end : match.start()]
        if between.strip() or not pending_charset:
            out.append(decode_bytes(bytes(pending), pending_charset, hint))
            out.append(between)
            pending.clear()
            pending_charset = None

        charset = match.group(1).partition("*")[0].lower()
        word = _word_bytes(match.group(2), match.group(3))
        if pending_charset is not None and charset != pending_charset:
            left = decode_bytes(bytes(pending), pending_charset, hint)
            out.append(left)
            pending.clear()
            if between and not left[-1:].isspace() and not word[:1].isspace():
                out.append(" ")
        pending_charset = charset
        pending += word
        end = match.end()

    out.append(decode_bytes(bytes(pending), pending_charset, hint))
    out.append(text[end:])
    return "".join(out)


def _word_bytes(encoding: str, payload: str) -> bytes:
    """Decode the payload of one encoded word, forgiving bad base64 padding."""
    if encoding in "qQ":
        return binascii.a2b_qp(payload.encode("utf-8"), header=True)

    # Some encoders glue several padded chunks into one word: decode each.
    return b"".join(_unpadded_base64(chunk) for chunk in _BASE64_CHUNK.findall(payload))


def _unpadded_base64(letters: str) -> bytes:
    """Decode base64 letters whatever their padding."""
    if len(letters) % 4 == 1:
        letters = letters[:-1]
    return base64.b64decode(letters + "=" * (-len(letters) % 4))


def message_ids(values: Iterable[str]) -> list[str]:
    """Return the message ids in header values, without brackets or repeats.

    Ids are read in order, bracketed or bare (a bare one needs an "@");
    comments and other words between them are skipped. A value that is one
    bare word without "@" ("Message-ID: 20201221110303") counts as an id.
    """
    found: list[str] = []
    for value in values:
        text = _COMMENT.sub(" ", to_text(unfold(value)))
        ids = [
            _WHITESPACE.sub("", bracketed) or bare
            for bracketed, bare in _ID_TOKEN.findall(text)
        ]
        ids = [i for i in ids if i] or _lone_word(text)
        found.extend(i for i in ids if i not in found)
    return found


def _lone_word(text: str) -> list[str]:
    """Treat a value of one word without brackets as an id."""
    words = text.split()
    return words if len(words) == 1 and "<" not in text else []


def parse_date(value: str | None) -> datetime | None:
    """Read a Date header as aware UTC; None when missing, invalid or absurd."""
    if not value or not value.strip():
        return None
    text = unfold(value)
    date = parse_mail_date(text).value or _lenient_date(text)
    if date is None or not _EARLIEST <= date <= datetime.now(UTC) + _FUTURE_SLACK:
        return None
    return date


def _lenient_date(text: str) -> datetime | None:
    """Fall back to the email package's reader for dates with trailing junk."""
    parts = parsedate_tz(text)
    if parts is None:
        return None
    year, month, day, hour, minute, second = parts[:6]
    try:
        local = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
        return local - timedelta(seconds=parts[9] or 0)
    except (ValueError, OverflowError):
        return None
