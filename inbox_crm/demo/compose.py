"""Writing the demo's messages with the email package, one kind at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from inbox_crm.demo.people import Person

# Tiny but well-formed files, so attachment sizes and types look real.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2219bc3"
    "0000000049454e44ae426082"
)

REPLY_PREFIX = {"de": "AW: ", "en": "Re: "}
AUTO_REPLY_PREFIX = {"de": "Abwesenheitsnotiz: ", "en": "Automatic reply: "}
AUTO_REPLY_TEXT = {
    "de": (
        "Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich Montag "
        "nicht im Büro und lese meine E-Mails nach meiner Rückkehr.\n\n"
        "In dringenden Fällen wenden Sie sich bitte an unser Sekretariat."
    ),
    "en": (
        "Thank you for your message. I am out of the office with limited "
        "access to email and will reply when I am back.\n\n"
        "For anything urgent, please call the front desk."
    ),
}
SIGN_OFF = {"de": "Viele Grüße", "en": "Best"}
QUOTE_INTRO = {"de": "Am {stamp} schrieb {name}:", "en": "On {stamp}, {name} wrote:"}


def message_id(seed: int, key: str, index: int, domain: str) -> str:
    """A Message-ID (without brackets) that is the same on every run."""
    digest = hashlib.sha256(f"{seed}:{key}:{index}".encode()).hexdigest()[:12]
    return f"{key}.{index}.{digest}@{domain}"


def address(person: Person) -> Address:
    """The person as a header address; the policy encodes non-ASCII names."""
    return Address(person.name, addr_spec=person.address)


def compose(
    sender: Person,
    recipients: Sequence[Person],
    copied: Sequence[Person],
    subject: str,
    when: datetime,
    mid: str,
    body: str,
) -> EmailMessage:
    """A plain-text message with its identifying headers set."""
    message = EmailMessage(policy=SMTP)
    message["From"] = address(sender)
    message["To"] = [address(person) for person in recipients]
    if copied:
        message["Cc"] = [address(person) for person in copied]
    message["Subject"] = subject
    message["Date"] = format_datetime(when.astimezone(sender.zone))
    message["Message-ID"] = f"<{mid}>"
    message["MIME-Version"] = "1.0"
    message.set_content(body)
    return message


def signed(body: str, sender: Person, language: str) -> str:
    """The body with a short sign-off in the conversation's language."""
    first_name = sender.name.split()[0]
    return f"{body}\n\n{SIGN_OFF[language]},\n{first_name}\n"


def quoted(body: str, author: Person, when: datetime, language: str) -> str:
    """The quote a mail client puts under a reply, in its user's language."""
    stamp = format_datetime(when.astimezone(author.zone))
    lines = "\n".join(f"> {line}" if line else ">" for line in body.splitlines())
    intro = QUOTE_INTRO[language].format(stamp=stamp, name=author.name)
    return f"\n\n{intro}\n{lines}\n"


def thread_headers(
    message: EmailMessage, parent: str | None, references: Sequence[str]
) -> None:
    """Set In-Reply-To and References from the parent and its ancestors."""
    if parent is None:
        return
    message["In-Reply-To"] = f"<{parent}>"
    message["References"] = " ".join(f"<{ref}>" for ref in [*references, parent])


def attach(message: EmailMessage, filename: str) -> None:
    """Attach a small file whose type follows its name."""
    if filename.endswith(".png"):
        message.add_attachment(
            PNG_BYTES, maintype="image", subtype="png", filename=filename
        )
    else:
        message.add_attachment(
            PDF_BYTES, maintype="application", subtype="pdf", filename=filename
        )


def auto_reply(
    sender: Person, to: Person, subject: str, when: datetime, mid: str
) -> EmailMessage:
    """An out-of-office answer, marked as RFC 3834 asks."""
    language = sender.language
    message = compose(
        sender,
        [to],
        [],
        AUTO_REPLY_PREFIX[language] + subject,
        when,
        mid,
        AUTO_REPLY_TEXT[language],
    )
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    return message


def newsletter(
    sender: Person, to: Person, subject: str, when: datetime, mid: str, body: str
) -> EmailMessage:
    """One issue of a newsletter, with the list headers a mailing service adds."""
    message = compose(sender, [to], [], subject, when, mid, body)
    list_name = sender.domain.partition(".")[0]
    message["List-Id"] = f"{sender.name} <{list_name}.list.{sender.domain}>"
    message["List-Unsubscribe"] = f"<https://{sender.domain}/unsubscribe?u=maya>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def bounce(
    daemon: Person, failed: EmailMessage, recipient: str, when: datetime, mid: str
) -> EmailMessage:
    """A delivery status notification (RFC 3464) for one rejected recipient."""
    sender = str(failed["From"])
    report = compose(
        daemon,
        [],
        [],
        "Undelivered Mail Returned to Sender",
        when,
        mid,
        "This is the mail system at host mx.brightlane.example.\n\n"
        "I'm sorry to have to inform you that your message could not be "
        "delivered to one or more recipients.\n\n"
        f"<{recipient}>: host mx.bennet-legal.example said: 550 5.1.1 "
        "Recipient address rejected: User unknown in virtual mailbox table\n",
    )
    del report["To"]
    report["To"] = sender
    report["Auto-Submitted"] = "auto-replied"
    report.make_mixed()
    report.attach(_delivery_status(recipient, when))
    report.attach(_returned_headers(failed))
    # make_mixed gives multipart/mixed; a report keeps its boundary and parts.
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")
    return report


def _delivery_status(recipient: str, when: datetime) -> EmailMessage:
    per_message = EmailMessage(policy=SMTP)
    per_message["Reporting-MTA"] = "dns; mx.brightlane.example"
    per_message["Arrival-Date"] = format_datetime(when)
    per_recipient = EmailMessage(policy=SMTP)
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Original-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = "5.1.1"
    per_recipient["Remote-MTA"] = "dns; mx.bennet-legal.example"
    per_recipient["Diagnostic-Code"] = (
        f"smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown"
    )
    part = EmailMessage(policy=SMTP)
    part["Content-Type"] = "message/delivery-status"
    part["Content-Description"] = "Delivery report"
    part.set_payload([per_message, per_recipient])
    return part


def _returned_headers(failed: EmailMessage) -> EmailMessage:
    part = EmailMessage(policy=SMTP)
    header_lines = "".join(
        SMTP.fold(name, value).replace("\r\n", "\n")
        for name, value in failed.items()
        if not name.lower().startswith(("content-", "mime-"))
    )
    part.set_content(header_lines, subtype="rfc822-headers")
    part["Content-Description"] = "Undelivered Message Headers"
    return part


def to_bytes(message: EmailMessage, mid: str) -> bytes:
    """The message's source, with MIME boundaries that are the same every run."""
    digest = hashlib.sha256(mid.encode()).hexdigest()[:16]
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_brightlane_{digest}_{index}")
    return message.as_bytes(policy=SMTP)


def broken_blobs() -> list[bytes]:
    """Bytes that reach a mailbox now and then but hold no mail at all.

    A scanner once dropped a bare PDF into the folder; a sync tool crash
    left a run of binary noise. Neither has a single mail header.
    """
    pdf = PDF_BYTES + bytes(range(128, 256)) * 4
    noise = bytes((index * 73 + 41) % 256 for index in range(900))
    return [pdf, b"\x00\x01\x02\xff" + noise.replace(b"\n", b"\x0b")]
