"""The ingestion pipeline on a real database: store, de-duplicate, quarantine."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from inbox_crm.export import message_record
from inbox_crm.ingest.pipeline import Incoming
from inbox_crm.storage.models import Message, MessageLocation
from tests.ingest.store import Store
from tests.mailfactory import make_message


def test_a_message_is_stored_with_its_participants(store: Store) -> None:
    raw = make_message(to="Maya <maya@agency.example>, Bo <bo@agency.example>")

    result = store.add(raw)

    assert (result.stored, result.duplicates, result.quarantined) == (1, 0, 0)
    [message] = store.messages()
    record = message_record(message, "work")
    assert record["message_id"] == "kickoff-1@client.example"
    assert plain(record["from"]) == {
        "address": "ann@client.example",
        "name": "Ann Client",
    }
    assert [plain(entry) for entry in record["to"]] == [
        {"address": "maya@agency.example", "name": "Maya"},
        {"address": "bo@agency.example", "name": "Bo"},
    ]
    assert record["date"] == "2026-11-02T09:30:00Z"
    assert record["folders"] == ["INBOX"]
    assert record["direction"] == "inbound"
    assert record["kind"] == "normal"
    assert record["quarantined"] is False
    with store.database.session() as session:
        assert session.get_one(Message, message.id).source.raw == raw


def plain(entry: dict[str, object]) -> dict[str, object]:
    """An exported address without its link (the linking tests cover that)."""
    return {"address": entry["address"], "name": entry["name"]}


def test_the_same_message_twice_is_stored_once(store: Store) -> None:
    raw = make_message()

    store.add(raw)
    second = store.add(raw)

    assert (second.stored, second.duplicates) == (0, 1)
    assert store.count() == 1


def test_one_message_in_two_folders_is_stored_once_with_both(store: Store) -> None:
    raw = make_message(sender="Maya <maya@agency.example>", to="ann@client.example")

    store.add(raw, folder=store.inbox)
    store.add(raw, folder=store.sent)

    [message] = store.messages()
    assert sorted(loc.folder.name for loc in message.locations) == ["INBOX", "Sent"]


def test_a_copy_with_extra_server_headers_is_the_same_message(store: Store) -> None:
    raw = make_message()
    delivered = b"Received: from mx.example by mail.example; Mon, 2 Nov 2026\r\n" + raw

    store.add(raw, folder=store.sent)
    store.add(delivered, folder=store.inbox)

    assert store.count() == 1


def test_without_message_id_a_repoll_imports_nothing_new(store: Store) -> None:
    raw = make_message(message_id=None)

    store.add(raw)
    again = store.add(raw)

    assert again.duplicates == 1
    assert store.count() == 1
    [message] = store.messages()
    assert message.message_id is None


def test_different_messages_without_message_id_are_both_kept(store: Store) -> None:
    store.add(make_message(message_id=None, body="first\n"))
    store.add(make_message(message_id=None, body="second\n"))

    assert store.count() == 2


def test_two_different_messages_sharing_a_message_id_are_both_kept(
    store: Store,
) -> None:
    store.add(make_message(message_id="<same@x.example>", subject="Invoice"))
    store.add(
        make_message(
            message_id="<same@x.example>",
            subject="Newsletter",
            sender="news@other.example",
        )
    )

    assert store.count() == 2


def test_outbound_by_own_address_with_plus_tag(store: Store) -> None:
    store.add(make_message(sender="Maya <Maya+crm@agency.example>"))

    [message] = store.messages()
    assert message.direction == "outbound"


def test_bad_date_falls_back_to_internaldate_and_is_flagged(store: Store) -> None:
    arrival = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    raw = make_message(date=None, headers={"Date": "not a date at all"})

    store.add(raw, received_at=arrival)

    [message] = store.messages()
    assert message.date == arrival
    assert message.date_source == "internaldate"


def test_unparseable_bytes_are_kept_raw_and_quarantined(store: Store) -> None:
    raw = b"\x00\x01\x02 this is not mail"

    result = store.add(raw)
    again = store.add(raw)

    assert (result.quarantined, again.quarantined, again.duplicates) == (1, 0, 1)
    [message] = store.messages()
    assert message.quarantined is True
    assert message.quarantine_reason
    assert "parse" in message.quarantine_reason
    with store.database.session() as session:
        assert session.get_one(Message, message.id).source.raw == raw


def test_one_bad_message_does_not_stop_the_batch(store: Store) -> None:
    items = [
        Incoming(make_message(message_id="<a@x.example>"), store.inbox, 1, 10),
        Incoming(b"\x00garbage", store.inbox, 1, 11),
        Incoming(make_message(message_id="<b@x.example>"), store.inbox, 1, 12),
    ]
    with store.database.session() as session, session.begin():
        result = store.ingestor.ingest(session, items)

    assert (result.stored, result.quarantined) == (2, 1)
    assert store.count() == 3


def test_nul_characters_in_headers_are_stored(store: Store) -> None:
    raw = make_message(subject="Quote\x00 for you", body="Price:\x00 12 EUR\n")

    result = store.add(raw)

    assert result.stored + result.quarantined == 1
    [message] = store.messages()
    assert "\x00" not in message.subject
    assert "\x00" not in message.text


def test_locations_keep_uid_and_uidvalidity(store: Store) -> None:
    store.add(make_message())

    with store.database.session() as session:
        [location] = session.scalars(select(MessageLocation))
        assert (location.uidvalidity, location.uid) == (1, 1)
