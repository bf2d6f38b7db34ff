"""What a digest tells: each section from the stored mail and work, in its period."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from inbox_crm.config import Config
from inbox_crm.contacts.models import Contact, ContactAddress, ReviewItem
from inbox_crm.digest.period import due_day
from inbox_crm.digest.queue import Digest, make_digest
from inbox_crm.ingest.pipeline import ensure_mailbox
from inbox_crm.storage.models import Message
from inbox_crm.storage.tracking import (
    Activity,
    Notification,
    RuleFiring,
    Ticket,
)
from tests.digest.conftest import DigestWorld, midnight
from tests.mailfactory import make_bounce, make_message
from tests.rules.world import ANN, ME

BOB = "Bob Buyer <bob@other.example>"
HOUR = timedelta(hours=1)


def digest_now(world: DigestWorld) -> tuple[Config, Digest]:
    config = world.config
    user = config.user("maya")
    now = datetime.now(UTC)
    with world.database.session() as session:
        return config, make_digest(session, config, user, due_day(user, now), now)


def mail(
    number: int,
    sender: str = ANN,
    to: str = ME,
    subject: str = "Website",
    ago: timedelta = timedelta(minutes=30),
    **options: object,
) -> bytes:
    return make_message(
        sender=sender,
        to=to,
        subject=subject,
        message_id=f"<m{number}@mail.example>",
        date=datetime.now(UTC) - ago,
        **options,  # type: ignore[arg-type]
    )


def seed_mail(world: DigestWorld) -> None:
    world.contact("Ann Client", "ann@client.example", "Client Co", "client.example")
    world.contact("Bob Buyer", "bob@other.example", "Other Ltd", "other.example")
    world.add(mail(1, subject="Website", ago=3 * HOUR))
    world.add(mail(2, subject="Re: Website", in_reply_to="<m1@mail.example>"))
    world.add(mail(3, sender=BOB, subject="Prices", ago=5 * HOUR))
    world.add(
        mail(4, sender="Zed <zed@freemail.example>", subject="Hello there", ago=HOUR)
    )
    world.add(
        mail(
            5,
            sender="News <news@letters.example>",
            subject="Issue 12",
            headers={"List-Id": "<news.letters.example>"},
        )
    )
    world.add(
        mail(
            6,
            sender=ME,
            to=BOB,
            subject="Proposal for Other Ltd",
            ago=2 * HOUR,
            in_reply_to="<m3@mail.example>",
        ),
        folder="sent",
    )


def test_new_mail_is_grouped_by_company_then_contact(world: DigestWorld) -> None:
    seed_mail(world)

    _, digest = digest_now(world)

    inbound = digest.content["inbound"]
    assert inbound["count"] == 4
    assert inbound["other"] == {"list": 1}
    groups = [(g["name"], g["count"]) for g in inbound["companies"]]
    assert groups == [("Client Co", 2), ("Other Ltd", 1), (None, 1)]
    [ann] = inbound["companies"][0]["contacts"]
    assert (ann["name"], ann["count"]) == ("Ann Client", 2)
    assert ann["subjects"] == ["Re: Website", "Website"]
    assert inbound["companies"][2]["contacts"][0]["address"] == "zed@freemail.example"


def test_mail_stored_before_the_period_or_dated_long_before_it_is_not_new(
    world: DigestWorld,
) -> None:
    world.add(mail(1, subject="Yesterday's news"))
    world.add(mail(2, subject="From the archive", ago=timedelta(days=90)))
    with world.database.session() as session, session.begin():
        session.execute(
            update(Message)
            .where(Message.subject == "Yesterday's news")
            .values(created_at=datetime.now(UTC) - timedelta(days=3))
        )

    _, digest = digest_now(world)

    assert digest.content["inbound"]["count"] == 0


def test_threads_awaiting_a_reply_ours_and_theirs_with_their_age(
    world: DigestWorld,
) -> None:
    seed_mail(world)

    _, digest = digest_now(world)

    ours = digest.content["awaiting_us"]
    theirs = digest.content["awaiting_them"]
    subjects = {thread["subject"] for thread in ours["threads"]}
    assert subjects == {"Re: Website", "Hello there"}
    # Bob asked, Maya answered with her proposal: it is Bob's turn.
    assert [t["subject"] for t in theirs["threads"]] == ["Proposal for Other Ltd"]
    assert theirs["threads"][0]["with"] == "Bob Buyer"
    assert [thread["age"] for thread in ours["threads"]] == ["1 hour", "30 minutes"]
    assert ours["count"] == 2 and theirs["count"] == 1


def test_sent_mail_that_bounced_or_went_to_no_reply_addresses_awaits_no_one(
    world: DigestWorld,
) -> None:
    typo = "Ann Client <ann@clinet.example>"
    world.add(mail(1, sender=ME, to=typo, subject="Typo", ago=3 * HOUR), "sent")
    world.add(make_bounce(about="<m1@mail.example>", date=now_minus(2 * HOUR)))
    world.add(mail(2, sender=ME, to="noreply@shop.example", subject="Order"), "sent")
    both = f"{typo}, {BOB}"
    world.add(mail(3, sender=ME, to=both, subject="Half", ago=3 * HOUR), "sent")
    world.add(
        make_bounce(
            about="<m3@mail.example>",
            message_id="<bounce-3@mx.agency.example>",
            date=now_minus(2 * HOUR),
        )
    )
    world.add(mail(4, sender=ME, to=BOB, subject="Prices", ago=HOUR), "sent")

    _, digest = digest_now(world)

    theirs = digest.content["awaiting_them"]
    assert [t["subject"] for t in theirs["threads"]] == ["Half", "Prices"]
    assert theirs["count"] == 2
    assert digest.content["awaiting_us"]["count"] == 0


def now_minus(ago: timedelta) -> datetime:
    return datetime.now(UTC) - ago


def test_follow_ups_due_today_and_overdue_by_the_users_local_day(
    world: DigestWorld,
) -> None:
    config = world.config
    now = datetime.now(UTC)
    day = due_day(config.user("maya"), now)
    with world.database.session() as session, session.begin():
        session.add_all(
            [
                Activity(kind="follow_up", title="late", due_at=midnight(day) - HOUR),
                Activity(kind="call", title="today", due_at=midnight(day) + HOUR),
                Activity(kind="task", title="nobody's", due_at=midnight(day) + HOUR),
                Activity(kind="task", title="tomorrow", due_at=midnight(day, 1)),
                Activity(
                    kind="task",
                    title="tom's",
                    due_at=midnight(day),
                    assignee="tom",
                ),
                Activity(
                    kind="task", title="done", due_at=midnight(day), status="done"
                ),
            ]
        )
        session.execute(
            update(Activity)
            .where(Activity.title.in_(("late", "today")))
            .values(assignee="maya")
        )

    _, digest = digest_now(world)

    due = digest.content["activities"]
    assert [a["title"] for a in due["overdue"]] == ["late"]
    assert [a["title"] for a in due["today"]] == ["today", "nobody's"]
    assert due["today"][0]["kind"] == "call"


def test_open_tickets_by_priority(world: DigestWorld) -> None:
    with world.database.session() as session, session.begin():
        mailbox = ensure_mailbox(session, "work").id
        for number, (priority, status, assignee) in enumerate(
            [
                ("normal", "open", None),
                ("urgent", "pending", "maya"),
                ("high", "closed", "maya"),
                ("low", "open", "tom"),
            ],
            start=1,
        ):
            session.add(
                Ticket(
                    number=number,
                    priority=priority,
                    status=status,
                    assignee=assignee,
                    subject=f"ticket {number}",
                    mailbox_id=mailbox,
                )
            )

    _, digest = digest_now(world)

    tickets = digest.content["tickets"]
    assert tickets["count"] == 2
    assert [
        (g["priority"], [t["number"] for t in g["tickets"]])
        for g in tickets["by_priority"]
    ] == [("urgent", ["T-2"]), ("normal", ["T-1"])]


def test_new_unknown_senders_and_review_candidates_are_possible_leads(
    world: DigestWorld,
) -> None:
    known = world.contact("Ann Client", "ann@client.example")
    with world.database.session() as session, session.begin():
        lead = Contact(name="Lee Lead", source="auto")
        lead.addresses = [
            ContactAddress(address="lee@lead.example", folded="lee@lead.example")
        ]
        session.add(lead)
        session.add(
            ReviewItem(
                address="a.client@free.example",
                name="Ann Client",
                contact_id=known,
                score=0.884,
            )
        )

    _, digest = digest_now(world)

    leads = digest.content["leads"]
    assert [(c["name"], c["address"]) for c in leads["contacts"]] == [
        ("Lee Lead", "lee@lead.example")
    ]
    assert [(r["address"], r["candidate"], r["score"]) for r in leads["review"]] == [
        ("a.client@free.example", "Ann Client", 88)
    ]


def test_a_contact_made_from_an_address_that_only_bounced_is_no_lead(
    world: DigestWorld,
) -> None:
    world.settings["linking"] = {"create_contacts": "personal"}
    typo = "Ann Client <ann@clinet.example>"
    world.add(mail(1, sender=ME, to=typo, subject="Typo", ago=3 * HOUR), "sent")
    world.add(make_bounce(about="<m1@mail.example>", date=now_minus(2 * HOUR)))
    world.add(mail(2, sender=ME, to=BOB, subject="Prices", ago=HOUR), "sent")

    _, digest = digest_now(world)

    leads = digest.content["leads"]
    assert [c["address"] for c in leads["contacts"]] == ["bob@other.example"]
    assert leads["count"] == 1


def test_a_contact_whose_address_bounced_but_who_wrote_to_us_is_a_lead(
    world: DigestWorld,
) -> None:
    world.settings["linking"] = {"create_contacts": "personal"}
    world.add(mail(1, sender=ME, to=BOB, subject="Prices", ago=3 * HOUR), "sent")
    world.add(
        make_bounce(
            failed=("bob@other.example",),
            about="<m1@mail.example>",
            date=now_minus(2 * HOUR),
        )
    )
    world.add(mail(2, sender=BOB, subject="Re: Prices", ago=HOUR))

    _, digest = digest_now(world)

    leads = digest.content["leads"]
    assert [c["address"] for c in leads["contacts"]] == ["bob@other.example"]


@pytest.mark.parametrize(
    ("score", "shown"), [(1.0, "100%"), (0.884, "88%"), (0.8, "80%"), (0.05, "5%")]
)
def test_a_review_candidates_match_score_shows_as_a_percentage(
    world: DigestWorld, score: float, shown: str
) -> None:
    known = world.contact("Ann Client", "ann@client.example")
    with world.database.session() as session, session.begin():
        session.add(
            ReviewItem(
                address="a.client@free.example",
                name="Ann Client",
                contact_id=known,
                score=score,
            )
        )

    _, digest = digest_now(world)

    assert f"may be Ann Client ({shown})" in digest.mail.text
    assert digest.mail.html is not None
    assert f"may be Ann Client ({shown})" in digest.mail.html


def test_what_the_rules_did_and_the_notes_they_left(world: DigestWorld) -> None:
    now = datetime.now(UTC)
    with world.database.session() as session, session.begin():
        for number, (rule, status, actions) in enumerate(
            [
                ("follow-up", "done", [{"action": "activity"}]),
                ("follow-up", "done", [{"action": "activity"}, {"action": "tag"}]),
                ("follow-up", "failed", [{"action": "activity"}]),
                ("support", "done", [{"action": "ticket"}, {"action": "stop"}]),
            ]
        ):
            session.add(
                RuleFiring(
                    rule_id=rule,
                    trigger="message_received",
                    trigger_key=f"k{number}",
                    event_at=now,
                    status=status,
                    actions=json.dumps(actions),
                )
            )
        session.add(Notification(user="maya", text="Ann is back"))
        session.add(Notification(user="tom", text="not for Maya"))

    _, digest = digest_now(world)

    rules = digest.content["rules"]
    assert (rules["count"], rules["failed"]) == (4, 1)
    assert rules["rules"] == [
        {"rule": "follow-up", "fired": 3, "failed": 1, "actions": "2 activity, 1 tag"},
        {"rule": "support", "fired": 1, "failed": 0, "actions": "1 ticket"},
    ]
    assert [note["text"] for note in digest.content["notifications"]] == ["Ann is back"]


def test_a_digest_of_a_quiet_day_is_empty(world: DigestWorld) -> None:
    _, digest = digest_now(world)

    assert digest.empty
    assert set(digest.content["counts"].values()) == {0}
    assert "Nothing new" in digest.mail.text


def test_the_mail_has_a_subject_a_text_and_an_html_part_that_say_it_all(
    world: DigestWorld,
) -> None:
    seed_mail(world)
    world.add(mail(7, sender=BOB, subject="<b>Bold</b> & <script>x()</script>"))

    _, digest = digest_now(world)
    text, html = digest.mail.text, digest.mail.html

    assert digest.mail.subject.startswith("Maya's digest for ")
    assert "5 new mails" in digest.mail.subject
    assert "Client Co (2)" in text and "Ann Client <ann@client.example>" in text
    assert "AWAITING THEIR REPLY (1)" in text
    assert html is not None
    assert "Client Co (2)" in html and "Proposal for Other Ltd" in html
    # Values are escaped; the template itself has no script and styles inline.
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<script" not in html and "<style" not in html
    assert '<table role="presentation"' in html


def test_a_digest_template_in_the_templates_folder_is_used(
    world: DigestWorld,
) -> None:
    folder = world.root / "templates" / "digest"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("Today: {{ inbound.count }} new\n")
    (folder / "body.txt").write_text("{{ day }}\n")
    seed_mail(world)

    _, digest = digest_now(world)

    assert digest.mail.subject == "Today: 4 new"
    assert digest.mail.html is None
    assert digest.mail.text.strip() == digest.period.day.isoformat()


def test_days_are_named_in_the_digest(world: DigestWorld) -> None:
    config = world.config
    user = config.user("maya")
    with world.database.session() as session:
        digest = make_digest(
            session,
            config,
            user,
            date(2026, 3, 29),
            datetime(2026, 3, 29, 9, tzinfo=UTC),
        )

    assert digest.content["day_label"] == "Sunday 29 March 2026"
    assert digest.content["period"] == {
        "start": "Sat 28 Mar 08:00",
        "end": "Sun 29 Mar 11:00",
    }


def test_the_digest_template_is_not_an_outreach_template(world: DigestWorld) -> None:
    from inbox_crm.errors import TemplateError
    from inbox_crm.outreach.queue import draft_outreach
    from inbox_crm.outreach.templates import TemplateLibrary

    config = world.config

    with world.database.session() as session, pytest.raises(TemplateError):
        draft_outreach(session, config, "digest", "ann@client.example")
    shipped = TemplateLibrary(Path(__file__).parents[2] / "templates")
    assert (shipped.directory / "digest" / "body.html").is_file()
    assert "digest" not in shipped.names() and "follow-up" in shipped.names()
