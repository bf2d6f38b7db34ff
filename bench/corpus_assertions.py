"""The corpus manifest's paraphrased upstream assertions, as data.

Only those about what inbox-crm stores: sender, subject, recipients, kind,
bounces, references, attachment names, body text. Each check is (field,
expected, reader); a reader returns the expected value when it holds, else
what was found instead, so a failure shows what we stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.corpus_checks import Stored

Reader = Callable[["Stored"], object]
Check = tuple[str, object, Reader]


def key(name: str) -> Reader:
    """A key of the exported record."""
    return lambda message: message.record[name]


def sender(message: Stored) -> object:
    found = message.record["from"]
    return None if found is None else (found["address"], found["name"])


def sender_address(message: Stored) -> object:
    return (message.record["from"] or {}).get("address")


def sender_name(message: Stored) -> object:
    return (message.record["from"] or {}).get("name")


def recipients(role: str) -> Reader:
    return lambda message: [(e["address"], e["name"]) for e in message.record[role]]


def references(message: Stored) -> object:
    return message.references


def bounces(message: Stored) -> object:
    return message.bounces


def attachment_names(message: Stored) -> list[str | None]:
    return [filename for filename, _ in message.attachments]


def first_attachment(message: Stored) -> object:
    return message.attachments[0] if message.attachments else None


def names_reference(message_id: str) -> Check:
    """The message names `message_id` among the ids it refers to."""
    return (
        "references",
        message_id,
        lambda m: message_id if message_id in m.references else m.references,
    )


def text_has(fragment: str) -> Check:
    """The stored body text holds `fragment`."""
    return ("text", fragment, lambda m: fragment if fragment in m.text else m.text)


def has_attachment(filename: str) -> Check:
    return (
        "attachment",
        filename,
        lambda m: filename if filename in attachment_names(m) else m.attachments,
    )


HELLO_MD5 = hashlib.md5(b"Hello Zammad").hexdigest()
JITBIT_ID = (
    "44565655.JitbitHelpdesk.13439.691a0afc-a0a0-457c-8208-f20b7c4a4cb1@jitbit.com"
)
MAIL091_TEXT = "このアドレスへのメルマガを解除してください。"

ASSERTIONS: dict[tuple[str, str], list[Check]] = {
    ("mimekit", "bounce.txt"): [
        ("kind", "bounce", key("kind")),
        ("bounces", [("netec.test@netecgc.com", "5.1.1", "failed")], bounces),
        names_reference(JITBIT_ID),
    ],
    ("mimekit", "disposition-notification.txt"): [
        # A read receipt is an automatic message, never a customer's request.
        ("kind", "auto_reply", key("kind")),
        ("date", "1995-09-20T04:19:00Z", key("date")),
        names_reference("199509192301.23456@example.org"),
    ],
    ("mimekit", "ukr.eml"): [
        ("from", ("rrtest1@xink.io", "RR Tester 1"), sender),
        text_has("шостий"),
    ],
    ("mikel-mail", "raw_email_reply.eml"): [
        ("message_id", "473FFE27.20003@xxx.org", key("message_id")),
        (
            "references",
            ["473FF3B8.9020707@xxx.org", "348F04F142D69C21-291E56D292BC@xxxx.net"],
            references,
        ),
        ("subject", "Re: Test reply email", key("subject")),
    ],
    ("mikel-mail", "multiple_references_with_one_invalid.eml"): [
        ("references", ["foo@bar.net"], references),
    ],
    ("mikel-mail", "empty_in_reply_to.eml"): [
        ("in_reply_to", None, key("in_reply_to")),
    ],
    ("mikel-mail", "cant_parse_from.eml"): [
        ("from address", "news@insideapple.apple.com", sender_address),
        text_has("From one solid piece"),
    ],
    ("mikel-mail", "weird_to_header.eml"): [
        (
            "to",
            [("user-example@aol.com", ""), ("e-s-a-s-2200@app.ar.com", "")],
            recipients("to"),
        ),
        ("subject", "", key("subject")),
    ],
    ("mikel-mail", "attachment_nonascii_filename.eml"): [
        ("attachments", ["ciële.txt"], attachment_names),
    ],
    ("mikel-mail", "multi_address_bounce1.eml"): [
        ("kind", "bounce", key("kind")),
        names_reference("118707422.15521266992174819.JavaMail.root@lvmail01"),
    ],
    ("mail-parser", "mail_malformed_2"): [has_attachment("DSN57BAC498.txt")],
    ("mail-parser", "mail_test_12"): [("from name", "张先生", sender_name)],
    ("mail-parser", "mail_test_18"): [
        ("from", ("comma.name@example.com", "LastßlName, FirstName"), sender),
        ("to", [("tony.stark@example.com", "")], recipients("to")),
        (
            "cc",
            [
                ("simple@example.net", ""),
                ("john.doe@example.com", 'John "Johnny" Doe'),
            ],
            recipients("cc"),
        ),
    ],
    ("zammad", "mail091.box"): [text_has(MAIL091_TEXT)],
    ("zammad", "mail078-content_transfer_encoding_x_uuencode.box"): [
        ("attachment", ("PGP_Cmts_on_12-14-01_Pkg.txt", HELLO_MD5), first_attachment),
    ],
    ("zammad", "mail033-undelivered-mail-returned-to-sender.box"): [
        ("kind", "bounce", key("kind")),
        names_reference("20150830145601.30.608881@edenhofer.zammad.com"),
    ],
    ("zammad", "mail055.box"): [
        ("kind", "bounce", key("kind")),
        names_reference("20170526150141.232.13312@example.zammad.loc"),
    ],
    ("zammad", "mail078.box"): [
        # A delay is no failure: an automatic notice, not a bounce.
        ("kind", "auto_reply", key("kind")),
        names_reference("20150830145601.30.608881@example.com"),
    ],
}

# Pairs that share one Message-ID but differ: both must be stored.
SHARED_MESSAGE_IDS = [("mail089.box", "mail090.box"), ("mail103.box", "mail104.box")]

# Zammad links these by its own ticket tags and external ids, which are not
# inbox-crm's threading keys: shown for information, not counted.
ZAMMAD_CHAINS = [
    ("mail003.box", "mail004.box", "[Ticket#11168] subject tag"),
    ("mail089.box", "mail090.box", "ServiceNow incident INC678439"),
    ("mail103.box", "mail104.box", "JIRA issue SYS-422"),
]
