"""Threading on a real database: references first, then subject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox_crm.ingest.pipeline import Incoming
from inbox_crm.storage.models import Message, Thread
from tests.ingest.store import Store
from tests.mailfactory import make_message

DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CLIENT = "Ann Client <ann@client.example>"
ME = "Maya <maya@agency.example>"
EML = Path(__file__).parent.parent / "mail" / "eml"
REPORTS = ("bounce_postfix.eml", "mdn_read_receipt.eml")


def threads_of(store: Store) -> dict[str | None, int | None]:
    with store.database.session() as session:
        rows = session.execute(select(Message.message_id, Message.thread_id))
        return {message_id: thread for message_id, thread in rows}


def thread_count(store: Store) -> int:
    with store.database.session() as session:
        return len(list(session.scalars(select(Thread.id))))


def original() -> bytes:
    return make_message(message_id="<p1@client.example>", date=DAY)


def reply(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "sender": ME,
        "to": CLIENT,
        "subject": "Re: Project kickoff",
        "message_id": "<r1@agency.example>",
        "date": DAY + timedelta(hours=2),
        "in_reply_to": "<p1@client.example>",
        "references": "<p1@client.example>",
    }
    fields.update(changes)
    return make_message(**fields)  # type: ignore[arg-type]


def test_reply_joins_its_parent_by_in_reply_to(store: Store) -> None:
    store.add(original())
    store.add(reply(references=None))

    threads = threads_of(store)
    assert threads["r1@agency.example"] == threads["p1@client.example"]
    assert thread_count(store) == 1


def test_reply_arriving_before_its_parent_is_joined_when_the_parent_comes(
    store: Store,
) -> None:
    store.add(reply())
    store.add(
        reply(
            message_id="<r2@client.example>",
            sender=CLIENT,
            references="<p1@client.example> <r1@agency.example>",
            in_reply_to="<r1@agency.example>",
        )
    )
    store.add(original())

    threads = threads_of(store)
    assert len(set(threads.values())) == 1
    with store.database.session() as session:
        [thread] = session.scalars(select(Thread))
        assert thread.message_count == 3
        assert thread.subject == "Project kickoff"


def test_folded_and_repeated_references_are_followed(store: Store) -> None:
    store.add(original())
    folded = (
        b"References: <unknown@elsewhere.example>\r\n <p1@client.example>\r\n"
        b"References: <p1@client.example>\r\n"
    ) + reply(in_reply_to=None, references=None)
    store.add(folded)

    assert thread_count(store) == 1


def test_localised_reply_without_references_joins_by_subject(store: Store) -> None:
    store.add(original())
    store.add(
        reply(
            subject="AW: Project kickoff",
            in_reply_to=None,
            references=None,
        )
    )
    store.add(
        reply(
            subject="SV: VS: Project kickoff",
            message_id="<r3@agency.example>",
            in_reply_to=None,
            references=None,
        )
    )

    assert thread_count(store) == 1


def test_subject_match_needs_a_shared_participant(store: Store) -> None:
    store.add(original())
    store.add(
        reply(
            sender="Stranger <x@other.example>",
            to="y@other.example",
            in_reply_to=None,
            references=None,
        )
    )

    assert thread_count(store) == 2


def test_subject_match_only_within_the_time_window(store: Store) -> None:
    store.add(original())
    store.add(reply(in_reply_to=None, references=None, date=DAY + timedelta(days=45)))

    assert thread_count(store) == 2


def test_a_new_message_with_the_same_subject_starts_a_new_thread(
    store: Store,
) -> None:
    store.add(original())
    store.add(
        make_message(
            message_id="<p2@client.example>",
            date=DAY + timedelta(days=1),
        )
    )

    assert thread_count(store) == 2


def test_broken_references_still_join_by_subject(store: Store) -> None:
    store.add(original())
    store.add(
        reply(
            in_reply_to="<p1@client.examp1e>",
            references="<p1@client.examp1e>",
            subject="Re: Project kickoff [Ticket#11]",
        )
    )
    store.add(
        reply(
            message_id="<r9@agency.example>",
            in_reply_to="<nowhere@client.example>",
            references="<nowhere@client.example>",
        )
    )

    threads = threads_of(store)
    assert threads["r9@agency.example"] == threads["p1@client.example"]


def test_own_address_is_not_the_shared_participant(store: Store) -> None:
    # Two clients each start a conversation with the same subject; a reply to
    # the second one arrives before its parent is stored.
    store.add(make_message(message_id="<c1@one.example>", sender="a@one.example"))
    store.add(
        reply(
            message_id="<r2@agency.example>",
            to="b@two.example",
            in_reply_to="<c2@two.example>",
            references="<c2@two.example>",
        )
    )
    store.add(make_message(message_id="<c2@two.example>", sender="b@two.example"))

    threads = threads_of(store)
    assert threads["r2@agency.example"] == threads["c2@two.example"]
    assert threads["c1@one.example"] != threads["c2@two.example"]


@pytest.mark.parametrize("original_first", [True, False])
def test_bounce_and_read_receipt_join_the_message_they_report_on(
    store: Store, original_first: bool
) -> None:
    offer = make_message(
        sender="Sales <sales@example.org>",
        to="nobody@example.net",
        subject="Offer",
        message_id="<offer-1@example.org>",
        date=datetime(2023, 3, 24, 8, 0, tzinfo=UTC),
    )
    reports = [(EML / name).read_bytes() for name in REPORTS]
    for raw in [offer, *reports] if original_first else [*reports, offer]:
        store.add(raw)

    threads = threads_of(store)
    assert len(threads) == 3
    assert len(set(threads.values())) == 1


def subject_only_reply(hours: float = 2) -> bytes:
    """Ann's answer to Maya, with a localised prefix and no References."""
    return make_message(
        sender=CLIENT,
        to=ME,
        subject="AW: Angebot für Größenänderung",
        message_id="<aw1@client.example>",
        date=DAY + timedelta(hours=hours),
    )


def maya_original() -> bytes:
    return make_message(
        sender=ME,
        to=CLIENT,
        subject="Angebot für Größenänderung",
        message_id="<offer@agency.example>",
        date=DAY,
    )


def test_original_stored_after_its_subject_only_reply_joins_it(store: Store) -> None:
    store.add(subject_only_reply())
    store.add(maya_original(), folder=store.sent)

    threads = threads_of(store)
    assert threads["offer@agency.example"] == threads["aw1@client.example"]
    assert thread_count(store) == 1


def test_original_and_earlier_stored_reply_in_one_batch_share_a_thread(
    store: Store,
) -> None:
    items = [
        Incoming(raw=raw, folder_id=store.inbox, uidvalidity=1, uid=uid)
        for uid, raw in enumerate((subject_only_reply(), maya_original()), start=1)
    ]
    with store.database.session() as session, session.begin():
        store.ingestor.ingest(session, items)

    assert thread_count(store) == 1


def test_an_older_message_never_joins_a_later_conversation_that_is_no_reply(
    store: Store,
) -> None:
    later = make_message(
        sender=CLIENT, to=ME, subject="Invoice", message_id="<inv2@client.example>"
    )
    earlier = make_message(
        sender=CLIENT,
        to=ME,
        subject="Invoice",
        message_id="<inv1@client.example>",
        date=DAY - timedelta(days=7),
    )
    store.add(later)
    store.add(earlier)

    assert thread_count(store) == 2


def test_a_reply_long_after_the_window_starts_its_own_conversation(
    store: Store,
) -> None:
    store.add(subject_only_reply(hours=24 * 45))
    store.add(maya_original(), folder=store.sent)

    assert thread_count(store) == 2
