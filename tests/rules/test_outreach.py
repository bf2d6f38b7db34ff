"""The outbox seam: what a rule asks of the outbox, and loop protection."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from inbox_crm.contacts import ignore
from inbox_crm.rules.outreach import OutreachRefused, OutreachRequest
from inbox_crm.storage.models import Message
from inbox_crm.storage.tracking import RuleFiring
from tests.mailfactory import make_message
from tests.rules.world import World

DAY = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

ACK = """\
rules:
  - id: acknowledge
    description: acknowledge every request
    trigger: message_received
    actions:
      - outreach: {template: received, to: sender, delay: 10 minutes}
"""


@dataclass
class RecordingOutbox:
    """A stand-in outbox that keeps the requests it is given."""

    requests: list[OutreachRequest] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def queue(self, session: Session, request: OutreachRequest) -> int:
        if request.to_address in self.refuse:
            raise OutreachRefused(f"{request.to_address} unsubscribed")
        self.requests.append(request)
        return len(self.requests)


def test_a_rule_queues_its_request_with_the_thread_and_delay(world: World) -> None:
    outbox = RecordingOutbox()
    world.outreach = outbox
    world.rule_file("ack.yaml", ACK)
    world.add(make_message(date=DAY))

    [request] = outbox.requests
    assert request.template == "received"
    assert request.to_address == "ann@client.example"
    assert request.mailbox == "work"
    assert request.send_at == DAY + timedelta(minutes=10)
    assert request.rule_id == "acknowledge"
    assert request.reply_to_message_id == 1
    assert request.thread_id is not None
    [firing] = world.rows(RuleFiring)
    assert firing.id == request.firing_id
    assert '"outbox_id": 1' in firing.actions


def test_an_acknowledgement_never_answers_an_out_of_office(world: World) -> None:
    outbox = RecordingOutbox()
    world.outreach = outbox
    world.rule_file("ack.yaml", ACK)
    world.add(
        make_message(
            subject="Out of office",
            headers={"Auto-Submitted": "auto-replied"},
            date=DAY,
        )
    )
    world.add(
        make_message(
            sender="MAILER-DAEMON@client.example",
            message_id="<b@client.example>",
            date=DAY,
        )
    )

    assert outbox.requests == []


def test_a_refusal_by_the_outbox_is_recorded(world: World) -> None:
    outbox = RecordingOutbox(refuse={"ann@client.example"})
    world.outreach = outbox
    world.rule_file("ack.yaml", ACK)
    world.add(make_message(date=DAY))

    [firing] = world.rows(RuleFiring)
    assert firing.status == "done"
    assert "refused by the outbox: ann@client.example unsubscribed" in firing.actions


def test_without_an_outbox_the_firing_fails_clearly(world: World) -> None:
    world.rule_file("ack.yaml", ACK)
    world.add(make_message(date=DAY))

    [firing] = world.rows(RuleFiring)
    assert firing.status == "failed"
    assert firing.error is not None
    assert firing.error.startswith("outreach is not configured: rule acknowledge")


def test_mail_from_an_ignored_address_or_domain_fires_no_rules(world: World) -> None:
    outbox = RecordingOutbox()
    world.outreach = outbox
    world.rule_file("ack.yaml", ACK)
    with world.database.session() as session, session.begin():
        ignore.add(session, "spamco.example")
        ignore.add(session, "pest@client.example")

    world.add(make_message(sender="deals@spamco.example", date=DAY))
    world.add(
        make_message(
            sender="news@mail.spamco.example", message_id="<n@x.example>", date=DAY
        )
    )
    world.add(
        make_message(sender="pest@client.example", message_id="<p@x.example>", date=DAY)
    )
    world.add(make_message(message_id="<ann@x.example>", date=DAY))

    assert [request.to_address for request in outbox.requests] == ["ann@client.example"]
    assert [firing.sender for firing in world.rows(RuleFiring)] == [
        "ann@client.example"
    ]
    assert len(world.rows(Message)) == 4
