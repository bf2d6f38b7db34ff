"""Walk a message's MIME tree once: body text, HTML presence, attachment metadata.

Forwarded messages (message/rfc822) and other message/* parts are listed as
one attachment each and not opened: their own bodies and attachments belong
to the forwarded message, not to ours. Signed and encrypted containers are
walked like any multipart, so their signature or ciphertext parts show up as
attachments.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import Message
from email.policy import Compat32
from io import BytesIO

from inscriptis import get_text

from inbox_crm.mail.charsets import decode_bytes
from inbox_crm.mail.headers import decode_text, raw_bytes, to_text
from inbox_crm.mail.message import Attachment

_BODY_TYPES = frozenset({"text/plain", "text/html"})
_ANGLES = "<> \t\r\n"
_UUENCODE = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})
_UU_ENDS = frozenset({b"", b"`", b"end"})
_PLAIN_LINES = frozenset({"", "7bit", "8bit"})
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass
class Bodies:
    """What one walk over the MIME tree found."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The plain body, or else the HTML body turned into text."""
        if self.plain:
            return "\n".join(self.plain)
        if self.html:
            return _html_to_text("\n".join(self.html))
        return ""


def walk(message: Message, hint: str | None) -> Bodies:
    """Collect body texts and attachment metadata from a parsed message."""
    found = Bodies()
    stack = [message]
    while stack:
        part = stack.pop()
        found.defects.extend(type(defect).__name__ for defect in part.defects)
        if part.get_content_maintype() == "message" or not part.is_multipart():
            _take_leaf(part, hint, found)
        else:
            stack.extend(reversed(subparts(part)))
    return found


def subparts(part: Message) -> list[Message]:
    """Return the parts a multipart (or message/*) part holds, else []."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    return [inner for inner in payload if isinstance(inner, Message)]


def _take_leaf(part: Message, hint: str | None, found: Bodies) -> None:
    """File one part as body text or as an attachment."""
    content_type = part.get_content_type()
    disposition = part.get_content_disposition()
    filename = _filename(part, hint)
    if part.get_content_maintype() == "multipart":
        # A multipart without a usable boundary: its payload is plain text.
        content_type = "text/plain"

    if content_type in _BODY_TYPES and disposition != "attachment" and not filename:
        text = _part_text(part, hint)
        (found.html if content_type == "text/html" else found.plain).append(text)
        return

    data = _part_bytes(part, found)
    found.attachments.append(
        Attachment(
            filename=filename,
            content_type=content_type,
            size=len(data),
            disposition=disposition,
            content_id=_content_id(part),
            md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        )
    )


def _part_text(part: Message, hint: str | None) -> str:
    """Decode a text part with its declared charset, falling back sensibly."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    return decode_bytes(data, part.get_content_charset(), hint)


def _part_bytes(part: Message, found: Bodies) -> bytes:
    """Return the decoded content of a part, a message/* part flattened to bytes.

    Parts sent as plain lines (7bit, 8bit) get LF line ends, so a file's
    size and MD5 do not depend on how the mail was stored. A message/* part
    is re-serialised, which can differ from its source in header spacing.
    """
    payload = part.get_payload()
    if isinstance(payload, list):
        return _flatten(part, subparts(part), found)

    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return b""
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding in _UUENCODE and "begin " not in payload:
        # The email package needs a "begin" line; Mac mailers left it out.
        return _uudecode(data)
    if encoding in _PLAIN_LINES:
        return data.replace(b"\r\n", b"\n")
    return data


def _flatten(part: Message, inner: list[Message], found: Bodies) -> bytes:
    """Serialise the messages inside a message/* part, noting a failure."""
    data = flatten(inner)
    if data is None:
        found.defects.append(f"{part.get_content_type()} part cannot be serialised")
        return b""
    return data


def flatten(messages: list[Message]) -> bytes | None:
    """Serialise messages (or delivery-status groups) with LF line ends.

    Header fields are written back as they were read, which is both closer to
    the source and much faster than letting the email package refold them.
    Returns None when the email package cannot serialise what it parsed.
    """
    out = BytesIO()
    generator = BytesGenerator(out, mangle_from_=False, policy=_AS_READ)
    try:
        for message in messages:
            generator.flatten(message)
    except (LookupError, UnicodeError, ValueError, TypeError):
        return None
    return out.getvalue().replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n"


class _AsRead(Compat32):
    """A policy that writes header fields back exactly as they were parsed."""

    def fold_binary(self, name: str, value: str) -> bytes:
        line = f"{name}: {value}" if value else f"{name}:"
        return raw_bytes(line + self.linesep)


_AS_READ = _AsRead(linesep="\n")


def _uudecode(data: bytes) -> bytes:
    """Decode uuencoded lines that come without "begin" and "end" lines."""
    lines = (line.strip() for line in data.splitlines())
    return b"".join(_uudecode_line(line) for line in lines if line not in _UU_ENDS)


def _uudecode_line(line: bytes) -> bytes:
    """Decode one uuencoded line, cutting the padding some encoders overdo."""
    try:
        return binascii.a2b_uu(line)
    except binascii.Error:
        length = (((line[0] - 32) & 63) * 4 + 5) // 3
    try:
        return binascii.a2b_uu(line[:length])
    except binascii.Error:
        return b""


def _filename(part: Message, hint: str | None) -> str | None:
    """Return a part's decoded file name (RFC 2231 or RFC 2047), or None."""
    for header, param in (
        ("content-disposition", "filename"),
        ("content-type", "name"),
    ):
        value = _param(part, header, param, hint)
        if value:
            return value
    return None


def _param(part: Message, header: str, param: str, hint: str | None) -> str | None:
    """Read one header parameter, decoding whichever encoding it arrived in."""
    source = part
    raw = _raw_header(part, header)
    if raw is not None and not raw.isascii():
        # The email package would replace 8-bit bytes with U+FFFD; decode first.
        source = Message()
        source[header] = to_text(raw, hint)

    value = source.get_param(param, None, header)
    if value is None:
        return None
    if isinstance(value, tuple):
        charset, _language, text = value
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            return text.strip() or None
        return decode_bytes(data, charset, hint).strip() or None
    return decode_text(value, hint).strip() or None


def _raw_header(part: Message, name: str) -> str | None:
    """Return the first raw value of a header, 8-bit bytes still escaped."""
    for key, value in part.raw_items():
        if key.lower() == name:
            return value
    return None


def _content_id(part: Message) -> str | None:
    """Return the Content-ID without angle brackets, or None."""
    value = part.get("content-id")
    if value is None:
        return None
    return str(value).strip(_ANGLES) or None


def _html_to_text(html: str) -> str:
    """Render HTML as readable text."""
    return _BLANK_LINES.sub("\n\n", get_text(html)).strip()
