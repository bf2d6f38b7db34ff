"""Building the bytes of one outreach mail, safe against header injection.

Every header is set through the email package's header objects, never by
pasting strings: a display name or subject is reduced to one line first, and
the package refuses a CR or LF in any value as a second guard. Addresses are
validated; domains are sent in their ASCII (IDNA) form, and a non-ASCII local
part is used only where the server offers SMTPUTF8 (RFC 6531).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from email_validator import EmailNotValidError, ValidatedEmail, validate_email

from inbox_crm.errors import OutreachError
from inbox_crm.outreach.models import DIGEST, OUTREACH, OutboxRow
from inbox_crm.outreach.settings import OutreachConfig
from inbox_crm.outreach.templates import one_line
from inbox_crm.outreach.unsubscribe import UnsubscribeLinks, unsubscribe_links

# RFC 5322 allows 998 characters a line; at 78 the email package would encode
# a long List-Unsubscribe URL as an encoded word, which clients cannot follow.
LINE_LIMIT = 998
MAX_REFERENCES = 20
_MESSAGE_ID = re.compile(r"[^\s<>()\[\],;:\\\"]+@[^\s<>()\[\],;:\\\"@]+")


class Undeliverable(OutreachError):
    """This mail cannot be sent as it is (an address the server cannot take)."""


@dataclass(frozen=True)
class Envelope:
    """The SMTP envelope of one mail and whether it needs SMTPUTF8."""

    sender: str
    recipient: str
    utf8: bool


@dataclass(frozen=True)
class MailParts:
    """What a mail says and to whom, as the outbox row keeps it."""

    from_name: str
    to_name: str
    subject: str
    text: str
    html: str | None
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    kind: str = OUTREACH


def row_parts(row: OutboxRow) -> MailParts:
    """The parts of the mail an outbox row holds."""
    return MailParts(
        from_name=row.from_name,
        to_name=row.to_name,
        subject=row.subject,
        text=row.text,
        html=row.html,
        message_id=row.message_id,
        in_reply_to=row.in_reply_to,
        references=tuple(row.references.split()),
        kind=row.kind,
    )


def row_links(row: OutboxRow, settings: OutreachConfig) -> UnsubscribeLinks | None:
    """The unsubscribe links of an outbox row, as its mail carries them.

    A digest has none: its recipient is the user it is made for.
    """
    if row.kind == DIGEST:
        return None
    address = settings.unsubscribe_address or row.from_address
    return unsubscribe_links(row.unsubscribe_token, address, settings.unsubscribe_url)


def envelope(sender: str, recipient: str, server_utf8: bool) -> Envelope:
    """The envelope for these addresses on a server that does or does not
    offer SMTPUTF8; a clear Undeliverable when the server cannot take them."""
    checked = [_validated(address) for address in (sender, recipient)]
    ascii_forms = [form.ascii_email for form in checked]
    if all(ascii_forms):
        return Envelope(str(ascii_forms[0]), str(ascii_forms[1]), utf8=False)
    if not server_utf8:
        pairs = zip((sender, recipient), ascii_forms, strict=True)
        needing = [given for given, form in pairs if not form]
        raise Undeliverable(
            f"{', '.join(needing)} has non-ASCII characters before the @, which "
            "only a server offering SMTPUTF8 can take; this server does not"
        )
    return Envelope(checked[0].normalized, checked[1].normalized, utf8=True)


def compose(
    parts: MailParts,
    address: Envelope,
    links: UnsubscribeLinks | None,
    date: datetime,
) -> bytes:
    """The mail as sent: headers, a text part and, if any, an HTML alternative.

    A digest is marked as automatic mail (RFC 3834), so that mail clients and
    servers send no out-of-office answer to it and ingestion files it as such.
    """
    base = policy.SMTPUTF8 if address.utf8 else policy.SMTP
    message = EmailMessage(policy=base.clone(max_line_length=LINE_LIMIT))
    message["From"] = _address(parts.from_name, address.sender)
    message["To"] = _address(parts.to_name, address.recipient)
    message["Subject"] = one_line(parts.subject)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = f"<{parts.message_id}>"
    if parts.in_reply_to:
        message["In-Reply-To"] = f"<{parts.in_reply_to}>"
    references = clean_references(parts.references)
    if references:
        message["References"] = " ".join(f"<{value}>" for value in references)
    if links is not None:
        for name, value in links.headers().items():
            message[name] = value
    if parts.kind == DIGEST:
        message["Auto-Submitted"] = "auto-generated"

    message.set_content(parts.text, cte=_transfer_encoding(parts.text))
    if parts.html is not None:
        message.add_alternative(
            parts.html, subtype="html", cte=_transfer_encoding(parts.html)
        )
    return message.as_bytes()


def new_message_id(from_address: str) -> str:
    """A fresh Message-ID (without brackets) in the sender's domain."""
    domain = _validated(from_address).ascii_domain
    return make_msgid(domain=domain).strip("<>")


def clean_references(values: tuple[str, ...] | list[str]) -> list[str]:
    """Well-formed message ids only, each once, the newest MAX_REFERENCES kept."""
    kept: list[str] = []
    for value in values:
        value = value.strip().strip("<>")
        if _MESSAGE_ID.fullmatch(value) and value not in kept:
            kept.append(value)
    return kept[-MAX_REFERENCES:]


def _address(name: str, addr_spec: str) -> Address:
    # Given as parts: the addr_spec parser refuses a non-ASCII local part even
    # where SMTPUTF8 allows it.
    local, _, domain = addr_spec.rpartition("@")
    return Address(display_name=one_line(name), username=local, domain=domain)


def _validated(address: str) -> ValidatedEmail:
    try:
        return validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise Undeliverable(f"{address!r} is not a valid address: {exc}") from None


def _transfer_encoding(text: str) -> str:
    """7bit for short ASCII lines, else quoted-printable: safe on any server."""
    if text.isascii() and all(len(line) <= 900 for line in text.splitlines()):
        return "7bit"
    return "quoted-printable"
