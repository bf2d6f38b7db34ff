"""The engine on real storage: message triggers, idempotency, the import cut-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox_crm.storage.models import Message
from inbox_crm.storage.tracking import Activity, ItemTag, RuleFiring, Ticket
from tests.mailfactory import make_message
from tests.rules.world import ANN, ME, World

DAY = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # a Monday

TASK_RULE = """\
rules:
  - id: invoice-task
    description: A task for every invoice a client sends
    trigger: message_received
    when:
      subject: {contains: invoice}
    actions:
      - activity:
          kind: task
          title: "Pay {{ message.subject }} from {{ message.from }}"
          due: 2 business days
          assignee: maya
"""


def test_message_received_rule_creates_its_activity_once(world: World) -> None:
    world.rule_file("tasks.yaml", TASK_RULE)
    raw = make_message(subject="Invoice 42", date=DAY)

    world.add(raw)
    world.add(raw)  # the same message again, as a re-sync would bring it

    [activity] = world.rows(Activity)
    assert activity.title == "Pay Invoice 42 from ann@client.example"
    assert activity.kind == "task"
    assert activity.assignee == "maya"
    assert activity.rule_id == "invoice-task"
    # Monday 10:30 Berlin + 2 business days = Wednesday 10:30 (09:30 UTC).
    assert activity.due_at == datetime(2026, 11, 4, 9, 30, tzinfo=UTC)
    assert len(world.rows(RuleFiring)) == 1


def test_a_rule_does_not_fire_twice_for_a_message_stored_again(world: World) -> None:
    world.rule_file("tasks.yaml", TASK_RULE)
    raw = make_message(subject="Invoice 42", date=DAY)
    world.add(raw)
    with world.database.session() as session, session.begin():
        world.engine.on_message(session, session.get_one(Message, 1))

    assert len(world.rows(Activity)) == 1


def test_a_miss_creates_nothing(world: World) -> None:
    world.rule_file("tasks.yaml", TASK_RULE)
    world.add(make_message(subject="Lunch?", date=DAY))

    assert world.rows(Activity) == []
    assert world.rows(RuleFiring) == []


def test_mail_dated_before_the_rules_start_fires_nothing(world: World) -> None:
    world.rule_file("tasks.yaml", TASK_RULE)
    old = make_message(subject="Invoice 2025-7", date=datetime(2025, 7, 1, tzinfo=UTC))

    world.add(old)

    assert world.rows(Activity) == []


def test_without_since_the_rules_start_when_first_used(world: World) -> None:
    del world.settings["rules"]["since"]
    world.rule_file("tasks.yaml", TASK_RULE)
    now = datetime.now(UTC)
    world.add(make_message(subject="Invoice old", date=now - timedelta(days=3)))
    world.add(
        make_message(
            subject="Invoice new",
            date=now + timedelta(minutes=1),
            message_id="<new@client.example>",
        )
    )

    assert [a.title for a in world.rows(Activity)] == [
        "Pay Invoice new from ann@client.example"
    ]


def test_message_sent_rule_sees_outbound_mail_only(world: World) -> None:
    world.rule_file(
        "sent.yaml",
        """\
        rules:
          - id: log-quote
            description: Tag every quote I send
            trigger: message_sent
            when:
              subject: {matches: "^quote\\\\b"}
            actions:
              - tag: {name: quote, target: message}
        """,
    )
    world.add(
        make_message(sender=ME, to=ANN, subject="Quote for the website", date=DAY)
    )
    world.add(
        make_message(
            subject="quote request", date=DAY, message_id="<in@client.example>"
        )
    )

    [tag] = world.rows(ItemTag)
    assert (tag.target, tag.tag) == ("message", "quote")
    assert tag.target_id == 1


def test_stop_keeps_later_rules_from_running(world: World) -> None:
    world.rule_file(
        "a.yaml",
        """\
        rules:
          - id: first
            description: tag and stop
            trigger: message_received
            actions:
              - tag: {name: first, target: message}
              - stop
          - id: second
            description: never reached
            trigger: message_received
            actions:
              - tag: {name: second, target: message}
        """,
    )
    world.add(make_message(date=DAY))

    assert [tag.tag for tag in world.rows(ItemTag)] == ["first"]


def test_a_failed_action_is_recorded_and_rolls_back_its_firing(world: World) -> None:
    world.rule_file(
        "out.yaml",
        """\
        rules:
          - id: acknowledge
            description: thank them and note it
            trigger: message_received
            actions:
              - activity: {title: "Acknowledged {{ message.subject }}"}
              - outreach: {template: thanks, to: sender}
        """,
    )
    world.add(make_message(date=DAY))

    [firing] = world.rows(RuleFiring)
    assert firing.status == "failed"
    assert "outreach is not configured" in (firing.error or "")
    assert world.rows(Activity) == []
    assert world.rows(Ticket) == []
