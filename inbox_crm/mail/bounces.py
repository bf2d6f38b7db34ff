"""Read delivery reports: RFC 3464 reports and the common non-standard bounces."""

from __future__ import annotations

import base64
import binascii
import logging
import quopri
import re
from dataclasses import dataclass
from email.message import Message

from flufl.bounce import all_failures

from inbox_crm.mail.bodies import flatten, subparts
from inbox_crm.mail.message import Bounce, ParsedMessage

_log = logging.getLogger(__name__)

_STATUS_TYPES = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "text/delivery-status",
    }
)
_KEPT_ACTIONS = frozenset({"failed", "delayed"})
_DAEMONS = frozenset({"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"})
_DAEMON_NAMES = re.compile(r"mail delivery (?:system|subsystem)|mailer.daemon", re.I)
_FAILURE_SUBJECT = re.compile(
    r"undeliver|returned mail|delivery status notification \(failure"
    r"|mail delivery failed|delivery failure|delivery has failed|failure notice"
    r"|non.?delivery|nondeliverable|message not delivered|unzustellbar|non remis"
    r"|no se puede entregar|non recapitabile",
    re.I,
)
_DELAY_SUBJECT = re.compile(
    r"delivery status notification \(delay|delayed mail|delivery delayed"
    r"|warning: could not send|message delayed",
    re.I,
)
_STATUS_CODE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_FIELD = re.compile(r"([A-Za-z0-9-]+)[ \t]*:[ \t]*(.*)")
_GROUP_BREAK = re.compile(r"\r?\n[ \t]*\r?\n")
_SPACES = re.compile(r"\s+")

Fields = dict[str, str]


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery report says, and whether it reports a permanent failure."""

    bounces: tuple[Bounce, ...]
    failed: bool
    reason: str


def read_delivery_report(parsed: ParsedMessage) -> DeliveryReport | None:
    """Return the delivery report a message carries, or None for other mail.

    Failed recipients make a bounce; a report with only delayed (or no
    failing) recipients is an automatic notice, not a bounce.
    """
    message = parsed.email
    if message is None:
        return None

    if report_type(message) != "delivery-status":
        return _non_standard_report(message, parsed)

    bounces = tuple(_report_bounces(message))
    if any(bounce.action == "failed" for bounce in bounces):
        return DeliveryReport(bounces, True, "bounce: RFC 3464 report, failed")

    # A report whose recipient groups we could not read still bounces when
    # its sender and subject say so.
    guessed = _non_standard_report(message, parsed)
    if guessed is not None and guessed.failed:
        return guessed
    reason = "delayed" if bounces else "no failure"
    return DeliveryReport(bounces, False, f"delivery report: RFC 3464, {reason}")


def _non_standard_report(
    message: Message, parsed: ParsedMessage
) -> DeliveryReport | None:
    """Recognise a bounce by its sender and subject, as non-RFC MTAs send them."""
    if not _from_mail_system(message, parsed):
        return None
    if _FAILURE_SUBJECT.search(parsed.subject):
        return _guessed_report(message, parsed, failed=True)
    if _DELAY_SUBJECT.search(parsed.subject):
        return _guessed_report(message, parsed, failed=False)
    return None


def report_type(message: Message | None) -> str | None:
    """Return the report-type of a multipart/report message, lower-cased."""
    if message is None or message.get_content_type() != "multipart/report":
        return None
    value = message.get_param("report-type")
    return value.lower() if isinstance(value, str) else None


def _report_bounces(message: Message) -> list[Bounce]:
    """Return the failed and delayed recipients of an RFC 3464 report."""
    bounces = []
    for part in subparts(message):
        if part.get_content_type() not in _STATUS_TYPES:
            continue
        for fields in _field_groups(_status_text(part)):
            bounce = _bounce(fields)
            if bounce is not None:
                bounces.append(bounce)
    return bounces


def _status_text(part: Message) -> str:
    """Return the text of a delivery-status part, transfer encoding undone."""
    payload = part.get_payload()
    if isinstance(payload, list):
        text = (flatten(subparts(part)) or b"").decode("utf-8", "replace")
    else:
        text = str(payload)

    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if encoding == "base64":
        return _unbase64(text)
    if encoding == "quoted-printable":
        return quopri.decodestring(text.encode("latin-1", "replace")).decode("latin-1")
    return text


def _field_groups(text: str) -> list[Fields]:
    """Split status text into its field groups (per message, per recipient).

    Some MTAs base64-encode the recipient groups inside the part, announced
    by a Content-Transfer-Encoding field in the group before them.
    """
    groups: list[Fields] = []
    encoded = False
    for chunk in _GROUP_BREAK.split(text):
        fields = _fields(chunk)
        if fields is None and encoded:
            groups.extend(_field_groups(_unbase64(chunk)))
        elif fields:
            groups.append(fields)
            encoded = fields.get("content-transfer-encoding", "").lower() == "base64"
    return groups


def _fields(chunk: str) -> Fields | None:
    """Parse "Name: value" lines with continuations; None if the chunk is not fields."""
    fields: Fields = {}
    name = ""
    for line in chunk.splitlines():
        if not line.strip():
            continue
        if line[0] in " \t" and name:
            fields[name] += " " + line.strip()
            continue
        match = _FIELD.fullmatch(line.rstrip())
        if match is None:
            return None
        name = match.group(1).lower()
        fields.setdefault(name, match.group(2))
    return fields


def _bounce(fields: Fields) -> Bounce | None:
    """Build a Bounce from one recipient's fields, if it failed or was delayed."""
    action = fields.get("action", "").strip().lower()
    recipient = _typed_value(fields.get("final-recipient") or "")
    recipient = recipient or _typed_value(fields.get("original-recipient") or "")
    if action not in _KEPT_ACTIONS or not recipient:
        return None

    status = fields.get("status", "")
    code = _STATUS_CODE.search(status)
    return Bounce(
        recipient=recipient.strip("<>"),
        status=code.group(1) if code else status.strip(),
        action=action,
        diagnostic=_SPACES.sub(" ", _typed_value(fields.get("diagnostic-code", ""))),
    )


def _typed_value(value: str) -> str:
    """Drop the type of an RFC 3464 typed field ("rfc822; a@b" -> "a@b")."""
    kind, semicolon, rest = value.partition(";")
    return (rest if semicolon else kind).strip()


def _unbase64(text: str) -> str:
    """Decode base64 text leniently."""
    letters = re.sub(r"[^A-Za-z0-9+/]", "", text)
    letters = letters[: len(letters) - len(letters) % 4]
    try:
        return base64.b64decode(letters).decode("utf-8", "replace")
    except binascii.Error:
        return ""


def _from_mail_system(message: Message, parsed: ParsedMessage) -> bool:
    """Tell whether a message comes from a mail server rather than a person.

    The null envelope sender (Return-Path: <>) is what RFC 5321 asks of every
    delivery notice; the From of most MTAs says it too.
    """
    if str(message.get("return-path", "")).strip() == "<>":
        return True
    sender = parsed.from_
    if sender is None:
        return False
    local = (sender.address.rpartition("@")[0] or sender.address).lower()
    return (
        local in _DAEMONS
        or local.startswith("microsoftexchange")
        or bool(_DAEMON_NAMES.search(sender.name))
    )


def _guessed_report(
    message: Message, parsed: ParsedMessage, failed: bool
) -> DeliveryReport:
    """Report a non-standard bounce, with the recipients flufl.bounce can find."""
    temporary, permanent = _scan(message)
    code = _STATUS_CODE.search(parsed.text)
    status = code.group(1) if code else ""
    bounces = [Bounce(r, status, "failed") for r in sorted(permanent)]
    bounces += [Bounce(r, status, "delayed") for r in sorted(temporary)]
    if failed:
        return DeliveryReport(tuple(bounces), True, "bounce: mail system, subject")
    delayed = tuple(Bounce(b.recipient, b.status, "delayed") for b in bounces)
    return DeliveryReport(delayed, False, "delivery report: delay subject")


def _scan(message: Message) -> tuple[set[str], set[str]]:
    """Run flufl.bounce's detectors; they are heuristics over odd text."""
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # a third-party heuristic must not lose the classification
        _log.warning("bounce detectors failed on a message", exc_info=True)
        return set(), set()
    return _texts(temporary), _texts(permanent)


def _texts(addresses: frozenset[bytes]) -> set[str]:
    """Decode the byte addresses flufl.bounce returns."""
    return {address.decode("utf-8", "replace") for address in addresses}
