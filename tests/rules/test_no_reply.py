"""No-reply triggers: waits, the sweep, answers, supersession, follow-ups closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inbox_crm.contacts import ignore
from inbox_crm.ingest.pipeline import Ingestor
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.rules.sweep import sweep
from inbox_crm.storage.tracking import Activity, RuleFiring, RuleWait
from tests.ingest.store import OWN
from tests.mailfactory import make_bounce, make_message
from tests.rules.world import ANN, ME, World

# Thursday 1 October 2026, 15:00 in Berlin (CEST); 3 October is German Unity Day.
SENT = datetime(2026, 10, 1, 13, 0, tzinfo=UTC)

FOLLOW_UP = """\
rules:
  - id: chase
    description: follow up after 3 business days without an answer
    trigger:
      no_reply: {after: outbound, within: 3 business days}
    when:
      contact.known: true
    actions:
      - activity:
          title: "Chase {{ contact.name }}: {{ message.subject }}"
          due: 1 business day
          assignee: mailbox_user
"""


def outbound(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "sender": ME,
        "to": ANN,
        "subject": "Proposal",
        "message_id": "<proposal@agency.example>",
        "date": SENT,
    }
    fields.update(changes)
    return make_message(**fields)  # type: ignore[arg-type]


def reply(date: datetime, **changes: object) -> bytes:
    fields: dict[str, object] = {
        "subject": "Re: Proposal",
        "message_id": "<answer@client.example>",
        "in_reply_to": "<proposal@agency.example>",
        "references": "<proposal@agency.example>",
        "date": date,
    }
    fields.update(changes)
    return make_message(**fields)  # type: ignore[arg-type]


def test_the_deadline_skips_the_weekend_and_the_holiday(world: World) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(), folder="sent")

    [wait] = world.rows(RuleWait)
    # Thu 1 Oct 15:00 → Fri 2 (1), [Sat 3 holiday, Sun 4], Mon 5 (2), Tue 6 (3).
    assert wait.due_at == datetime(2026, 10, 6, 13, 0, tzinfo=UTC)
    assert wait.state == "waiting"


def test_the_sweep_fires_after_the_deadline_and_only_once(world: World) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(), folder="sent")

    early = sweep(world.database, world.engine, datetime(2026, 10, 6, 12, tzinfo=UTC))
    assert early.fired == 0 and world.rows(Activity) == []

    late = datetime(2026, 10, 6, 14, tzinfo=UTC)
    assert sweep(world.database, world.engine, late).fired == 1
    assert sweep(world.database, world.engine, late).fired == 0

    [activity] = world.rows(Activity)
    assert activity.title == "Chase Ann Client: Proposal"
    assert activity.assignee == "maya"
    assert activity.closes_on_reply
    # Due one business day after the deadline (Tue 15:00 → Wed 15:00 CEST).
    assert activity.due_at == datetime(2026, 10, 7, 13, 0, tzinfo=UTC)
    [firing] = world.rows(RuleFiring)
    assert firing.trigger == "no_reply" and firing.contact_id is not None


def test_a_reply_before_the_deadline_means_no_follow_up(world: World) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(), folder="sent")
    world.add(reply(SENT + timedelta(days=1)))

    report = sweep(world.database, world.engine, SENT + timedelta(days=30))

    assert report.fired == 0
    assert [wait.state for wait in world.rows(RuleWait)] == ["answered"]
    assert world.rows(Activity) == []


def test_an_out_of_office_reply_is_no_answer(world: World) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(), folder="sent")
    world.add(
        reply(
            SENT + timedelta(minutes=1),
            subject="Out of office: Proposal",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )

    report = sweep(world.database, world.engine, SENT + timedelta(days=30))

    assert report.fired == 1


def test_the_follow_up_closes_when_the_reply_arrives(world: World) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(), folder="sent")
    sweep(world.database, world.engine, SENT + timedelta(days=6))
    assert [a.status for a in world.rows(Activity)] == ["open"]

    world.add(reply(SENT + timedelta(days=7)))

    [activity] = world.rows(Activity)
    assert activity.status == "done"
    assert "reply received" in (activity.done_reason or "")


def test_a_second_mail_in_the_thread_restarts_the_clock(world: World) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(), folder="sent")
    world.add(
        outbound(
            subject="Re: Proposal",
            message_id="<nudge@agency.example>",
            in_reply_to="<proposal@agency.example>",
            references="<proposal@agency.example>",
            date=SENT + timedelta(days=2),
        ),
        folder="sent",
    )

    states = [wait.state for wait in world.rows(RuleWait)]
    assert states == ["superseded", "waiting"]
    assert sweep(world.database, world.engine, SENT + timedelta(days=30)).fired == 1


TYPO = "Ann Client <ann@clinet.example>"


def test_mail_that_bounced_for_every_recipient_ends_its_wait_and_is_not_chased(
    world: World,
) -> None:
    world.contact("Ann Client", "ann@clinet.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(to=TYPO), folder="sent")
    assert [wait.state for wait in world.rows(RuleWait)] == ["waiting"]

    world.add(make_bounce(date=SENT + timedelta(minutes=1)))

    assert [wait.state for wait in world.rows(RuleWait)] == ["bounced"]
    report = sweep(world.database, world.engine, SENT + timedelta(days=30))
    assert report.fired == 0
    assert world.rows(Activity) == []


def test_a_bounce_stored_before_the_sent_copy_means_no_wait(world: World) -> None:
    world.contact("Ann Client", "ann@clinet.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    # The inbox is often synced before the Sent folder.
    world.add(make_bounce(date=SENT + timedelta(minutes=1)))
    world.add(outbound(to=TYPO), folder="sent")

    assert world.rows(RuleWait) == []
    assert sweep(world.database, world.engine, SENT + timedelta(days=30)).fired == 0


def test_the_sweep_fires_no_follow_up_for_mail_whose_bounce_is_stored(
    world: World,
) -> None:
    world.contact("Ann Client", "ann@clinet.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(to=TYPO), folder="sent")
    # Stored after the deadline and without the rules (as by an older version).
    world.store.ingestor = Ingestor(world.store.mailbox_id, OWN, timedelta(days=30))
    world.store.add(make_bounce(date=SENT + timedelta(days=4)))

    report = sweep(world.database, world.engine, SENT + timedelta(days=30))

    assert (report.fired, report.bounced) == (0, 1)
    assert [wait.state for wait in world.rows(RuleWait)] == ["bounced"]
    assert world.rows(Activity) == []


def test_mail_that_bounced_for_one_of_its_recipients_still_waits(
    world: World,
) -> None:
    world.contact("Ann Client", "ann@clinet.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(to=f"{TYPO}, Bob <bob@client.example>"), folder="sent")

    world.add(make_bounce(date=SENT + timedelta(minutes=1)))

    assert [wait.state for wait in world.rows(RuleWait)] == ["waiting"]
    assert sweep(world.database, world.engine, SENT + timedelta(days=30)).fired == 1


def test_a_bounce_from_weeks_before_the_mail_is_not_about_it(world: World) -> None:
    world.contact("Ann Client", "ann@clinet.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(
        make_bounce(about="<older@agency.example>", date=SENT - timedelta(days=20))
    )
    world.add(outbound(to=TYPO), folder="sent")

    assert [wait.state for wait in world.rows(RuleWait)] == ["waiting"]
    assert sweep(world.database, world.engine, SENT + timedelta(days=30)).fired == 1


@pytest.mark.parametrize(
    "address", ["noreply@shop.example", "no-reply@shop.example", "donotreply@x.example"]
)
def test_mail_only_to_no_reply_addresses_starts_no_wait(
    world: World, address: str
) -> None:
    world.contact("Shop", address)
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(to=f"Shop <{address}>"), folder="sent")

    assert world.rows(RuleWait) == []
    assert sweep(world.database, world.engine, SENT + timedelta(days=30)).fired == 0


def test_mail_to_a_person_and_a_no_reply_address_waits_for_the_person(
    world: World,
) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(to=f"{ANN}, noreply@shop.example"), folder="sent")

    assert [wait.state for wait in world.rows(RuleWait)] == ["waiting"]


def _sent_by_outbox(world: World, message_id: str, rule: str) -> None:
    """An outbox row, as the outbox leaves it, for mail sent for `rule`."""
    with world.database.session() as session, session.begin():
        session.add(
            OutboxRow(
                status="sent",
                mailbox_id=world.store.mailbox_id,
                template="nudge",
                rule=rule,
                to_address="ann@client.example",
                recipient_domain="client.example",
                from_address="me@agency.example",
                subject="Re: Proposal",
                text="Any news?",
                message_id=message_id,
                unsubscribe_token="token",
            )
        )


def test_mail_a_rule_sent_starts_no_wait_of_that_rule(world: World) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.rule_file("nudge.yaml", FOLLOW_UP.replace("id: chase", "id: nudge"))
    world.add(outbound(), folder="sent")
    _sent_by_outbox(world, "nudge@agency.example", rule="nudge")

    world.add(
        outbound(
            subject="Re: Proposal",
            message_id="<nudge@agency.example>",
            in_reply_to="<proposal@agency.example>",
            references="<proposal@agency.example>",
            date=SENT + timedelta(days=2),
        ),
        folder="sent",
    )

    waits = [
        (wait.rule_id, wait.message_id, wait.state) for wait in world.rows(RuleWait)
    ]
    # The rule that wrote the nudge waits on the first mail still; the other
    # rule restarts its clock from the nudge, as for mail a person sent.
    assert sorted(waits) == [
        ("chase", 1, "superseded"),
        ("chase", 2, "waiting"),
        ("nudge", 1, "waiting"),
    ]


def test_conditions_are_checked_at_the_deadline(world: World) -> None:
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(), folder="sent")  # no contact: the condition fails

    report = sweep(world.database, world.engine, SENT + timedelta(days=30))

    assert (report.fired, report.missed) == (0, 1)
    assert [wait.state for wait in world.rows(RuleWait)] == ["missed"]


def test_imported_old_mail_starts_no_waits(world: World) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(date=datetime(2025, 3, 2, tzinfo=UTC)), folder="sent")

    assert world.rows(RuleWait) == []
    assert sweep(world.database, world.engine, SENT).fired == 0


def test_an_address_ignored_while_its_wait_runs_gets_no_follow_up(
    world: World,
) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(), folder="sent")
    with world.database.session() as session, session.begin():
        ignore.add(session, "client.example")

    report = sweep(world.database, world.engine, SENT + timedelta(days=30))

    assert report.fired == 0
    assert [wait.state for wait in world.rows(RuleWait)] == ["dropped"]
    assert world.rows(Activity) == []


def test_a_reply_stored_after_the_deadline_is_answered_late_not_in_time(
    world: World,
) -> None:
    world.contact("Ann Client", "ann@client.example")
    world.rule_file("chase.yaml", FOLLOW_UP)
    world.add(outbound(), folder="sent")
    world.add(reply(SENT + timedelta(days=9)))
    # As if the reply had been stored without the rules (an import, say):
    # the sweep is the first to find it.
    with world.database.session() as session, session.begin():
        session.scalars(select(RuleWait)).one().state = "waiting"

    report = sweep(world.database, world.engine, SENT + timedelta(days=30))

    assert (report.answered, report.answered_late, report.fired) == (0, 1, 0)
    assert [wait.state for wait in world.rows(RuleWait)] == ["answered"]
    assert world.rows(Activity) == []
