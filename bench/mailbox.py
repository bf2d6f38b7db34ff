"""A deterministic benchmark mailbox: realistic mail, the same bytes on every run.

Conversations between an agency (the mailbox owner) and its correspondents,
with replies that carry In-Reply-To and References and quote their parent,
plain-text and HTML mail, attachments, newsletters, auto-replies and a few
non-ASCII names and subjects. Sizes run from about 2 KB to a few hundred KB,
about 5.8 KB on average, as in real mailboxes. The bytes are written from
templates (the email package would take longer than the benchmark itself).
"""

from __future__ import annotations

import base64
import hashlib
import quopri
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime, formataddr


def _words(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(separator))


SEED = 2026
START = datetime(2024, 1, 8, 8, 0, tzinfo=UTC)
OWN_ADDRESS = "maya@brightlane.example"
OPEN_CONVERSATIONS = 300

FIRST = _words(
    "Anna Ben Chloe David Emma Felix Grace Henrik Ines Jonas Kira Liam Mara Noah "
    "Olga Paul Rosa Sam Tara Umar Vera Will Yara Zoe"
)
LAST = _words(
    "Adler Brooks Costa Dahl Evans Fischer Garcia Hughes Ito Jensen Keller Lopez "
    "Moreau Novak Olsen Patel Quinn Rossi Silva Tanaka Ueda Vogel Walsh Young"
)
# Display names that need RFC 2047 encoding.
WIDE_NAMES = ("Jürgen Weiß", "Zoë Ångström", "Søren Ødegård", "李娜", "Élodie Brûlé")
COMPANIES = _words(
    "northwind harborhealth fjord-outdoor greenleaf atlas-logistics kranich "
    "weiss-partner bluepeak copperline sunmill ravenworks tidewater"
)
TOPICS = _words(
    "Website relaunch|Q3 campaign|Brand guidelines|Invoice {n}|Workshop dates|"
    "Photo shoot|Newsletter template|Contract renewal|Logo variants|Budget review|"
    "Angebot für Phase {n}|Réunion de lancement|Kickoff next week|Print proofs|"
    "Landing page copy|Social media plan|Hosting migration|Feedback round {n}",
    "|",
)
WORDS = _words(
    "we the and to of a project design draft review client team week plan budget "
    "schedule meeting call update version page copy layout colour brand launch "
    "campaign proposal feedback invoice contract deadline proof print photo logo "
    "timeline scope phase deliver agree confirm attach send share check need can "
    "will should would please thanks next monday friday morning afternoon today "
    "tomorrow later soon already still also just only very good great fine sure"
)
REPLY_PREFIXES = ("Re: ", "Re: ", "Re: ", "AW: ", "SV: ", "RE: ")
MAILERS = ("Thunderbird/115.6.0", "Apple Mail (2.3774)", "Microsoft Outlook 16.0")
ATTACHMENTS = (
    ("application/pdf", "pdf"),
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
)
STYLE = (
    "<style>body{font-family:Helvetica,Arial,sans-serif;color:#222}"
    "p{margin:0 0 12px}table{border-collapse:collapse}</style>"
)


@dataclass(frozen=True)
class Person:
    name: str
    address: str

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


@dataclass
class Conversation:
    """One thread in the making: subject, people and the ids said so far."""

    subject: str
    correspondent: Person
    copied: list[Person]
    ids: list[str] = field(default_factory=list)
    last_text: str = ""
    last_from_me: bool = False


ME = Person("Maya Lindqvist", OWN_ADDRESS)


def mailbox(count: int, seed: int = SEED) -> Iterator[tuple[str, bytes, datetime]]:
    """Yield (folder, raw bytes, arrival time) for `count` messages, oldest first."""
    writer = Writer(random.Random(seed), seed)
    for index in range(count):
        yield writer.next_message(index)


class Writer:
    """Writes one message after the other, keeping conversations going."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.seed = seed
        self.people = _people(rng)
        self.open: list[Conversation] = []
        self.when = START

    def next_message(self, index: int) -> tuple[str, bytes, datetime]:
        rng = self.rng
        self.when += timedelta(seconds=rng.randint(30, 900))
        roll = rng.random()
        if roll < 0.07:
            folder, head, body = "INBOX", *self._newsletter(index)
        elif roll < 0.09 and self.open:
            folder, head, body = "INBOX", *self._auto_reply(index)
        elif roll < 0.45 or not self.open:
            folder, head, body = self._new_conversation(index)
        else:
            folder, head, body = self._reply(index)
        raw = "\n".join([*self._trace(index), *head, "", body]).encode()
        return folder, raw, self.when

    # -- kinds of mail --------------------------------------------------------

    def _new_conversation(self, index: int) -> tuple[str, list[str], str]:
        rng = self.rng
        correspondent = rng.choice(self.people)
        topic = rng.choice(TOPICS).format(n=rng.randint(2, 99))
        # Most subjects name the client, as in real mail; a few stay generic.
        if rng.random() < 0.8:
            client = correspondent.domain.partition(".")[0].replace("-", " ")
            topic = f"{topic} ({client.title()})"
        copied = rng.sample(self.people, rng.choice((0, 0, 0, 1, 2)))
        conversation = Conversation(topic, correspondent, copied)
        self.open.append(conversation)
        if len(self.open) > OPEN_CONVERSATIONS:
            self.open.pop(0)
        return self._write(conversation, index, rng.random() < 0.25, topic)

    def _reply(self, index: int) -> tuple[str, list[str], str]:
        rng = self.rng
        # Recent conversations get most replies.
        back = min(int(rng.expovariate(0.08)), len(self.open) - 1)
        conversation = self.open[len(self.open) - 1 - back]
        from_me = not conversation.last_from_me and rng.random() < 0.55
        subject = rng.choice(REPLY_PREFIXES) + conversation.subject
        return self._write(conversation, index, from_me, subject)

    def _write(
        self, conversation: Conversation, index: int, from_me: bool, subject: str
    ) -> tuple[str, list[str], str]:
        rng = self.rng
        sender = ME if from_me else conversation.correspondent
        recipient = conversation.correspondent if from_me else ME
        mid = self._message_id(index, sender)
        head = self._head(sender, [recipient], conversation.copied, subject, mid)
        if conversation.ids:
            head.append(f"In-Reply-To: <{conversation.ids[-1]}>")
            head.append(_folded("References:", conversation.ids[-10:]))
        head.append(f"User-Agent: {rng.choice(MAILERS)}")

        text = self._text(rng.randint(1, 5))
        if conversation.last_text:
            quoted = "\n".join(
                "> " + line for line in conversation.last_text.split("\n")
            )
            text = f"{text}\n\nOn an earlier day, someone wrote:\n{quoted}"
        text += f"\n\n{sender.name}\n"
        parts = [_plain(text)]
        if rng.random() < 0.45:
            parts = [_alternative(parts[0], _html(text), self._boundary("alt"))]
        if rng.random() < 0.065:
            parts.append(self._attachment())

        conversation.ids.append(mid)
        conversation.last_text = text[:1500]
        conversation.last_from_me = from_me
        body = self._assemble(head, parts)
        return _folder(from_me), head, body

    def _newsletter(self, index: int) -> tuple[list[str], str]:
        rng = self.rng
        company = rng.choice(COMPANIES)
        sender = Person(f"{company.title()} News", f"news@{company}.example")
        subject = f"{company.title()} monthly: issue {index}"
        head = self._head(sender, [ME], [], subject, self._message_id(index, sender))
        head += [
            f"List-Id: {company} news <news.{company}.example>",
            f"List-Unsubscribe: <https://{company}.example/u/{index}>",
            "Precedence: bulk",
        ]
        text = self._text(rng.randint(4, 10))
        parts = [_alternative(_plain(text), _html(text, STYLE), self._boundary("n"))]
        return head, self._assemble(head, parts)

    def _auto_reply(self, index: int) -> tuple[list[str], str]:
        conversation = self.rng.choice(self.open)
        sender = conversation.correspondent
        subject = "Automatic reply: " + conversation.subject
        head = self._head(sender, [ME], [], subject, self._message_id(index, sender))
        if conversation.ids:
            head.append(f"In-Reply-To: <{conversation.ids[-1]}>")
        head.append("Auto-Submitted: auto-replied")
        body = self._assemble(head, [_plain("I am out of the office until Monday.\n")])
        return head, body

    # -- pieces -----------------------------------------------------------------

    def _head(
        self,
        sender: Person,
        to: list[Person],
        cc: list[Person],
        subject: str,
        mid: str,
    ) -> list[str]:
        head = [
            f"From: {_address(sender)}",
            "To: " + ", ".join(_address(person) for person in to),
        ]
        if cc:
            head.append("Cc: " + ",\n ".join(_address(person) for person in cc))
        head += [
            f"Subject: {_encoded(subject)}",
            f"Date: {format_datetime(self.when)}",
            f"Message-ID: <{mid}>",
            "MIME-Version: 1.0",
        ]
        return head

    def _assemble(self, head: list[str], parts: list[tuple[list[str], str]]) -> str:
        """Put the part headers into `head` and return the body."""
        if len(parts) == 1:
            part_head, body = parts[0]
            head += part_head
            return body
        boundary = self._boundary("mix")
        head.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        return _multipart(parts, boundary)

    def _attachment(self) -> tuple[list[str], str]:
        rng = self.rng
        # Log-normal sizes: most a few tens of KB, a few near the cap.
        size = min(int(rng.lognormvariate(9.6, 1.0)), 300_000)
        content_type, extension = rng.choice(ATTACHMENTS)
        name = rng.choice(("proof", "invoice", "brief", "photo", "Übersicht"))
        filename = f"{name}-{rng.randint(1, 99)}.{extension}"
        disposition = f"attachment; filename*=utf-8''{_rfc2231(filename)}"
        head = [
            f"Content-Type: {content_type}",
            f"Content-Disposition: {disposition}",
            "Content-Transfer-Encoding: base64",
        ]
        return head, base64.encodebytes(rng.randbytes(size)).decode()

    def _trace(self, index: int) -> list[str]:
        """Return-Path, Received and DKIM lines, as delivered mail has them."""
        rng = self.rng
        stamp = format_datetime(self.when)
        lines = [f"Return-Path: <bounce-{index}@relay.example>"]
        for hop in range(rng.randint(2, 4)):
            host = f"mx{hop}.relay{rng.randint(1, 40)}.example"
            address = f"10.{hop}.{index % 250}.{rng.randint(1, 250)}"
            lines.append(
                f"Received: from {host} ({host} [{address}])\n"
                f"\tby mail.brightlane.example with ESMTPS id {index:08x}{hop};\n"
                f"\t{stamp}"
            )
        signature = base64.b64encode(rng.randbytes(180)).decode()
        folded = "\n\t".join(
            signature[i : i + 70] for i in range(0, len(signature), 70)
        )
        lines.append(
            f"DKIM-Signature: v=1; a=rsa-sha256; d=example; s=s1;\n\tb={folded}"
        )
        return lines

    def _text(self, paragraphs: int) -> str:
        rng = self.rng
        return "\n\n".join(
            _wrap(" ".join(rng.choices(WORDS, k=rng.randint(20, 70))).capitalize())
            for _ in range(paragraphs)
        )

    def _message_id(self, index: int, sender: Person) -> str:
        digest = hashlib.sha256(f"{self.seed}:{index}".encode()).hexdigest()[:16]
        return f"{digest}.{index}@{sender.domain}"

    def _boundary(self, kind: str) -> str:
        return f"=_{kind}_{self.rng.getrandbits(64):016x}"


def _people(rng: random.Random) -> list[Person]:
    people = []
    for company in COMPANIES:
        for _ in range(rng.randint(2, 6)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            address = f"{first}.{last}@{company}.example".lower()
            people.append(Person(f"{first} {last}", address))
    for number, name in enumerate(WIDE_NAMES):
        people.append(Person(name, f"contact{number}@{rng.choice(COMPANIES)}.example"))
    return people


def _plain(text: str) -> tuple[list[str], str]:
    encoding = "7bit" if text.isascii() else "8bit"
    return [
        'Content-Type: text/plain; charset="utf-8"',
        f"Content-Transfer-Encoding: {encoding}",
    ], text


def _html(text: str, style: str = "") -> tuple[list[str], str]:
    paragraphs = "".join(
        f"<p>{p.replace(chr(10), ' ')}</p>\n" for p in text.split("\n\n")
    )
    page = f"<html><head>{style}</head><body>\n{paragraphs}</body></html>\n"
    return [
        'Content-Type: text/html; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
    ], quopri.encodestring(page.encode()).decode("ascii")


def _alternative(
    plain: tuple[list[str], str], html: tuple[list[str], str], boundary: str
) -> tuple[list[str], str]:
    head = [f'Content-Type: multipart/alternative; boundary="{boundary}"']
    return head, _multipart([plain, html], boundary)


def _multipart(parts: list[tuple[list[str], str]], boundary: str) -> str:
    chunks = [
        f"--{boundary}\n" + "\n".join(head) + "\n\n" + body for head, body in parts
    ]
    return "\n".join(chunks) + f"\n--{boundary}--\n"


def _address(person: Person) -> str:
    return formataddr((person.name, person.address), charset="utf-8")


def _encoded(text: str) -> str:
    return text if text.isascii() else Header(text, "utf-8").encode()


def _rfc2231(text: str) -> str:
    return "".join(
        chr(byte) if chr(byte).isalnum() or chr(byte) in ".-_" else f"%{byte:02X}"
        for byte in text.encode()
    )


def _folded(name: str, ids: list[str]) -> str:
    return name + "\n".join(f" <{mid}>" for mid in ids)


def _folder(from_me: bool) -> str:
    return "Sent" if from_me else "INBOX"


def _wrap(text: str, width: int = 72) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])
