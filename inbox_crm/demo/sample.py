"""The sample mailbox the demo ships: two months of a small agency's mail.

Maya Lindqvist runs Brightlane Studio. Her mailbox holds scripted
conversations with clients (one of them German-speaking), leads and vendors,
everyday status reports and scheduling, newsletters, out-of-office answers,
a bounce, two copies of messages already present and two files that are not
mail at all. Everything is derived from a fixed seed, so the same day gives
the same bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from random import Random
from typing import NamedTuple

from inbox_crm.demo import compose
from inbox_crm.demo.people import ME, PEOPLE, Person, person
from inbox_crm.demo.routine import routine_scripts
from inbox_crm.demo.scripts import SCRIPTS, Script, Turn

SEED = 20250314
# The newest day of the sample as written; a run moves it close to today.
REFERENCE_DAY = date(2025, 3, 14)
MAX_DELIVERY_DELAY = timedelta(seconds=90)
INBOX = "INBOX"
SENT = "Sent"
NEWSLETTERS = (("weekly", 1, 7, 9), ("ops", 4, 7, 8), ("front", 2, 3, 19))
TOPICS = (
    "Variable fonts in practice",
    "Colour systems that scale",
    "Pricing design retainers",
    "Accessible forms, revisited",
    "The case for slower websites",
    "Onboarding clients without chaos",
    "Container queries are here",
)


@dataclass(frozen=True)
class SampleMessage:
    """One message of the sample, with what ingestion should make of it."""

    folder: str
    raw: bytes
    received: datetime
    conversation: str | None
    message_id: str | None
    direction: str = "inbound"
    kind: str = "normal"
    quarantined: bool = False

    @property
    def identity(self) -> str:
        """Equal for two copies of one message, different for two messages."""
        return self.message_id or hashlib.sha256(self.raw).hexdigest()


@dataclass(frozen=True)
class SampleMailbox:
    """The owner and the messages of the sample, oldest arrival first."""

    owner: Person
    messages: tuple[SampleMessage, ...]

    @property
    def address(self) -> str:
        return self.owner.address

    def distinct(self) -> list[SampleMessage]:
        """One entry per message, whatever the number of its copies."""
        unique: dict[str, SampleMessage] = {}
        for message in self.messages:
            unique.setdefault(message.identity, message)
        return list(unique.values())

    def count(
        self,
        *,
        direction: str | None = None,
        kind: str | None = None,
        quarantined: bool = False,
    ) -> int:
        """How many distinct messages match; quarantined ones only when asked."""
        return sum(
            1
            for message in self.distinct()
            if message.quarantined == quarantined
            and direction in (None, message.direction)
            and kind in (None, message.kind)
        )

    def conversations(self) -> dict[str, set[str]]:
        """Message-IDs of each conversation: each should become one thread."""
        found: dict[str, set[str]] = {}
        for message in self.distinct():
            if message.conversation and message.message_id:
                found.setdefault(message.conversation, set()).add(message.message_id)
        return found


def sample_mailbox(now: datetime | None = None) -> SampleMailbox:
    """The sample; with `now`, moved by whole days so its newest mail is a day old.

    Whole days keep every message at its time of day, so office mail still
    arrives in office hours.
    """
    if now is None:
        return build_sample(REFERENCE_DAY)
    newest = _Builder(REFERENCE_DAY).newest()
    days = (now - timedelta(days=1) - newest).days
    return build_sample(REFERENCE_DAY + timedelta(days=days))


def build_sample(newest_day: date) -> SampleMailbox:
    """The sample as if its newest day were `newest_day`."""
    builder = _Builder(newest_day)
    for script in builder.scripts:
        builder.script(script)
    builder.newsletters()
    builder.bounced_introduction()
    builder.copies()
    builder.broken()
    ordered = sorted(builder.messages, key=lambda message: message.received)
    return SampleMailbox(ME, tuple(ordered))


class _Written(NamedTuple):
    """A human-written message of a conversation, as later turns refer to it."""

    mid: str
    author: Person
    when: datetime
    body: str
    subject: str


class _Builder:
    """Turns scripts and one-off messages into SampleMessages."""

    def __init__(self, newest_day: date) -> None:
        self.midnight = datetime.combine(newest_day, time(), UTC)
        self.scripts = (*SCRIPTS, *routine_scripts(Random(SEED)))
        self.messages: list[SampleMessage] = []

    def at(self, days_before: int, hour: float) -> datetime:
        moment = self.midnight - timedelta(days=days_before, hours=-hour)
        return moment.replace(microsecond=0)

    def newest(self) -> datetime:
        """The latest arrival in the sample, found without writing any mail."""
        planned = [max(self.times(script)) for script in self.scripts]
        planned.extend(self.at(first, 6) for _, first, _, _ in NEWSLETTERS)
        return max(planned) + MAX_DELIVERY_DELAY

    def times(self, script: Script) -> list[datetime]:
        """When each turn of `script` is written.

        Each script draws from its own generator, so its timing does not
        depend on the scripts before it.
        """
        rng = Random(f"{SEED}/{script.key}")
        when = self.at(script.start_day, script.start_hour)
        times = [when]
        for turn in script.turns[1:]:
            when = _later(when, turn, rng)
            times.append(when)
        return times

    def script(self, script: Script) -> None:
        """Every turn of `script`, each a reply to the last human message."""
        thread: list[_Written] = []
        times = self.times(script)
        for index, turn in enumerate(script.turns):
            when = times[index]
            sender = person(turn.who)
            mid = compose.message_id(SEED, script.key, index, sender.domain)
            if turn.auto_reply:
                parent = thread[-1]
                message = compose.auto_reply(
                    sender, parent.author, parent.subject, when, mid
                )
                compose.thread_headers(message, parent.mid, _ancestors(thread))
                self.add(message, mid, when, sender, script.key, "auto_reply")
                continue
            message = self._turn(script, turn, sender, when, mid, thread)
            self.add(message, mid, when, sender, script.key)
            thread.append(_Written(mid, sender, when, turn.body, message["Subject"]))

    def _turn(
        self,
        script: Script,
        turn: Turn,
        sender: Person,
        when: datetime,
        mid: str,
        thread: list[_Written],
    ) -> EmailMessage:
        others = [person(key) for key in ("me", *script.with_) if key != turn.who]
        # Maya writes to German-speaking clients in German, sign-off included.
        language = "de" if any(p.language == "de" for p in others) else "en"
        language = sender.language if sender != ME else language
        body = compose.signed(turn.body, sender, language)
        subject = script.subject
        to = others[:1]
        if thread:
            parent = thread[-1]
            subject = compose.REPLY_PREFIX[sender.language] + script.subject
            body += compose.quoted(parent.body, parent.author, parent.when, language)
            if parent.author != sender:
                to = [parent.author]
        copied = [other for other in others if other not in to]
        message = compose.compose(sender, to, copied, subject, when, mid, body)
        if thread and not turn.drops_references:
            compose.thread_headers(message, thread[-1].mid, _ancestors(thread))
        if turn.attachment:
            compose.attach(message, turn.attachment)
        return message

    def add(
        self,
        message: EmailMessage,
        mid: str,
        when: datetime,
        sender: Person,
        conversation: str,
        kind: str = "normal",
    ) -> SampleMessage:
        outbound = sender == ME
        # Inbound mail lands a little after its Date; Sent mail is filed at once.
        delay = timedelta(0) if outbound else _delivery_delay(mid)
        sample = SampleMessage(
            folder=SENT if outbound else INBOX,
            raw=compose.to_bytes(message, mid),
            received=when + delay,
            conversation=conversation,
            message_id=mid,
            direction="outbound" if outbound else "inbound",
            kind=kind,
        )
        self.messages.append(sample)
        return sample

    def newsletters(self) -> None:
        """Regular issues of three newsletters Maya subscribes to."""
        for key, first_day, every, issues in NEWSLETTERS:
            sender = PEOPLE[key]
            for issue in range(issues):
                number = 100 + issues - issue
                topic = TOPICS[(number + len(key)) % len(TOPICS)]
                subject = f"{sender.name} #{number}: {topic}"
                when = self.at(first_day + every * issue, 6 + len(key) / 10)
                mid = compose.message_id(SEED, f"news-{key}", number, sender.domain)
                body = _issue_text(sender, topic)
                message = compose.newsletter(sender, ME, subject, when, mid, body)
                self.add(message, mid, when, sender, f"news-{key}-{number}", "list")

    def bounced_introduction(self) -> None:
        """An introduction sent to a mistyped address, and the bounce it earned."""
        prospect = person("p6")
        typo = dataclasses.replace(prospect, address="noah@bennet-legal.example")
        when = self.at(38, 10.2)
        mid = compose.message_id(SEED, "outreach-typo", 0, ME.domain)
        text = "Hi Noah, great to meet you at the fair! Shall we talk next week?"
        body = compose.signed(text, ME, "en")
        subject = "Nice to meet you at the Small Business Fair"
        sent = compose.compose(ME, [typo], [], subject, when, mid, body)
        self.add(sent, mid, when, ME, "outreach-typo")

        daemon = PEOPLE["daemon"]
        later = when + timedelta(seconds=40)
        bounce_mid = compose.message_id(SEED, "bounce", 0, daemon.domain)
        report = compose.bounce(daemon, sent, typo.address, later, bounce_mid)
        # The bounce belongs with the introduction it returns.
        self.add(report, bounce_mid, later, daemon, "outreach-typo", "bounce")

    def copies(self) -> None:
        """Copies of messages already in the sample, as real mailboxes have them.

        Maya keeps herself in Bcc on proposals, so the first proposal is in
        INBOX as well as in Sent; and one newsletter issue came twice.
        """
        proposal = self._find("northwind-proposal")
        issue = self._find("news-weekly-107")
        self.messages.append(dataclasses.replace(proposal, folder=INBOX))
        again = issue.received + timedelta(minutes=7)
        self.messages.append(dataclasses.replace(issue, received=again))

    def broken(self) -> None:
        """Files that are not mail; ingestion keeps and quarantines them."""
        for index, blob in enumerate(compose.broken_blobs()):
            self.messages.append(
                SampleMessage(
                    folder=INBOX,
                    raw=blob,
                    received=self.at(27 - 14 * index, 3.25),
                    conversation=None,
                    message_id=None,
                    quarantined=True,
                )
            )

    def _find(self, conversation: str) -> SampleMessage:
        return next(m for m in self.messages if m.conversation == conversation)


def _later(when: datetime, turn: Turn, rng: Random) -> datetime:
    """When `turn` is written, given when the turn before it was."""
    later = when + timedelta(hours=turn.after_hours)
    if turn.auto_reply:
        return (later + timedelta(seconds=rng.randint(5, 50))).replace(microsecond=0)
    later += timedelta(minutes=rng.randint(1, 25))
    # People answer in office hours: an evening reply waits for the morning.
    if later.hour >= 19:
        later = later.replace(hour=7) + timedelta(days=1)
    elif later.hour < 7:
        later = later.replace(hour=7)
    return later.replace(microsecond=0)


def _delivery_delay(mid: str) -> timedelta:
    """Seconds between a message's Date and its arrival, the same every run."""
    digest = int(hashlib.sha256(mid.encode()).hexdigest()[:8], 16)
    return timedelta(seconds=3 + digest % 87)


def _ancestors(thread: Sequence[_Written]) -> list[str]:
    """The References of a reply to the thread's last message, but that one."""
    return [written.mid for written in thread[:-1]]


def _issue_text(sender: Person, topic: str) -> str:
    return (
        f"This week in {sender.name}: {topic}.\n\n"
        "1. A long read on the topic above, with examples from real studios.\n"
        "2. Three tools we tried this month, and one we stopped using.\n"
        "3. Jobs: two remote design roles and a freelance brief.\n\n"
        f"You receive this because you subscribed at {sender.domain}.\n"
        "Unsubscribe with one click in the link at the bottom of this mail.\n"
    )
