"""The parsed form of one email, as the rest of the pipeline sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message


@dataclass(frozen=True)
class Address:
    """One mailbox address with its decoded display name.

    `address` is as written (local part case kept, domain lower-cased);
    `name` is the decoded display name, or "" when there is none.
    """

    address: str
    name: str = ""

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower()


@dataclass(frozen=True)
class Attachment:
    """Metadata of one attachment or inline part (the content is not kept)."""

    filename: str | None
    content_type: str
    size: int
    disposition: str | None = None
    content_id: str | None = None
    md5: str | None = None


@dataclass
class ParsedMessage:
    """Everything the pipeline needs from one message's raw source.

    `date` is timezone-aware UTC, or None when the Date header is missing or
    unreadable (the caller then falls back to the server's INTERNALDATE).
    Message ids (`message_id`, `in_reply_to`, `references`,
    `reported_message_id`) carry no angle brackets. `reported_message_id` is
    the message a delivery report or read receipt is about.
    """

    message_id: str | None
    subject: str
    from_: Address | None
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    sender: Address | None = None
    date: datetime | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    reported_message_id: str | None = None
    text: str = ""
    has_html: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    email: Message | None = None


@dataclass(frozen=True)
class Bounce:
    """What a delivery status report says about one failed recipient."""

    recipient: str
    status: str
    action: str = "failed"
    diagnostic: str = ""


@dataclass(frozen=True)
class Classification:
    """Direction and kind of a message, as the rules and reports use them.

    `kind` is one of normal, auto_reply, bounce, list.
    `direction` is inbound or outbound.
    """

    direction: str
    kind: str
    list_id: str | None = None
    bulk: bool = False
    auto_reply: bool = False
    bounces: tuple[Bounce, ...] = ()
    reasons: tuple[str, ...] = ()
