"""Writing a batch of prepared messages with a few bulk statements.

Per batch: one query finds the messages already stored, one INSERT with
RETURNING stores the new ones in order (so ids come out as if inserted one
by one), and one executemany per kind of row stores sources, participants,
attachments, bounces, references and folder locations. Threading then runs
message by message, in order, as it would after single inserts: a message
not yet threaded is invisible to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from inbox_crm.ingest.lists import in_lists
from inbox_crm.ingest.prepared import EPOCH, Preparation, Prepared, Unreadable
from inbox_crm.ingest.records import Row, quarantine_row
from inbox_crm.ingest.results import BatchResult, Incoming
from inbox_crm.ingest.threads import NewMessage, Threader
from inbox_crm.storage.models import (
    AttachmentRow,
    BounceRow,
    Message,
    MessageLocation,
    MessageReference,
    MessageSource,
    Participant,
)

log = logging.getLogger(__name__)

Pair = tuple[Incoming, Preparation]
Place = tuple[int, int, int, int | None]


@dataclass
class _New:
    """A message of the batch seen for the first time."""

    item: Incoming
    preparation: Preparation
    id: int = 0


class BatchWriter:
    """Stores prepared messages of one mailbox in the session's transaction."""

    def __init__(self, session: Session, mailbox_id: int, threader: Threader) -> None:
        self.session = session
        self.mailbox_id = mailbox_id
        self.threader = threader

    def write(self, pairs: Sequence[Pair]) -> BatchResult:
        """Store `pairs` in order; the caller commits (or rolls back)."""
        connection = self.session.connection()
        known = self._stored_ids(connection, {p.key for _, p in pairs})

        # The first copy of a message in the batch is new; later ones and
        # those already stored are duplicates that only add a location.
        new: dict[str, _New] = {}
        for item, preparation in pairs:
            if preparation.key not in known and preparation.key not in new:
                new[preparation.key] = _New(item, preparation)
        self._insert(connection, list(new.values()))
        ids = {**known, **{key: entry.id for key, entry in new.items()}}
        self._locate(connection, pairs, ids, set(known.values()))

        result = BatchResult(duplicates=len(pairs) - len(new))
        self._thread(list(new.values()), result)
        return result

    def _thread(self, new: list[_New], result: BatchResult) -> None:
        """Thread and count the new messages, in order, then write the threads."""
        rows = [e.preparation.rows for e in new if isinstance(e.preparation, Prepared)]
        self.threader.look_up(
            [row.message["message_id"] for row in rows if row.message["message_id"]],
            {reference for row in rows for reference in row.references},
            [row.message["subject"] for row in rows],
        )
        for entry in new:
            self._account(entry, result)
        self.threader.finish()

    def _stored_ids(self, connection: Connection, keys: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in in_lists(keys):
            query = select(Message.fingerprint, Message.id).where(
                Message.mailbox_id == self.mailbox_id, Message.fingerprint.in_(chunk)
            )
            found.update({key: id_ for key, id_ in connection.execute(query)})
        return found

    def _insert(self, connection: Connection, new: list[_New]) -> None:
        if not new:
            return
        rows = [self._message_row(entry) for entry in new]
        statement = insert(Message).returning(Message.id, sort_by_parameter_order=True)
        ids = connection.execute(statement, rows).scalars().all()
        for entry, id_ in zip(new, ids, strict=True):
            entry.id = id_

        _insert_rows(
            connection,
            MessageSource,
            (
                {"message_id": e.id, "raw": e.item.raw, "sha256": _sha256(e)}
                for e in new
            ),
        )
        prepared = [
            (e.id, e.preparation.rows)
            for e in new
            if isinstance(e.preparation, Prepared)
        ]
        for model, kind in (
            (Participant, "participants"),
            (AttachmentRow, "attachments"),
            (BounceRow, "bounces"),
        ):
            children = (
                {**row, "message_id": id_}
                for id_, rows in prepared
                for row in getattr(rows, kind)
            )
            _insert_rows(connection, model, children)
        references = (
            {"message_id": id_, "referenced": referenced}
            for id_, rows in prepared
            for referenced in rows.references
        )
        _insert_rows(connection, MessageReference, references)

    def _message_row(self, entry: _New) -> Row:
        preparation, item = entry.preparation, entry.item
        if isinstance(preparation, Prepared):
            row = dict(preparation.rows.message)
        else:
            date = item.received_at or EPOCH
            row = quarantine_row(len(item.raw), date, preparation.reason)
        row.update(mailbox_id=self.mailbox_id, fingerprint=preparation.key)
        return row

    def _locate(
        self,
        connection: Connection,
        pairs: Sequence[Pair],
        ids: dict[str, int],
        known_ids: set[int],
    ) -> None:
        """Record each folder and UID a message was found at, once."""
        places = self._stored_places(connection, known_ids)
        rows: list[Row] = []
        for item, preparation in pairs:
            if item.folder_id is None:
                continue
            place = (ids[preparation.key], item.folder_id, item.uidvalidity, item.uid)
            # A location without a UID (a file import) matches any UID there.
            if place in places:
                continue
            places.add(place)
            places.add((*place[:3], None))
            rows.append(
                {
                    "message_id": place[0],
                    "folder_id": item.folder_id,
                    "uidvalidity": item.uidvalidity,
                    "uid": item.uid,
                }
            )
        _insert_rows(connection, MessageLocation, rows)

    def _stored_places(
        self, connection: Connection, message_ids: set[int]
    ) -> set[Place]:
        """Locations of stored messages, each also under a UID of None."""
        places: set[Place] = set()
        for chunk in in_lists(message_ids):
            query = select(
                MessageLocation.message_id,
                MessageLocation.folder_id,
                MessageLocation.uidvalidity,
                MessageLocation.uid,
            ).where(MessageLocation.message_id.in_(chunk))
            for message_id, folder_id, uidvalidity, uid in connection.execute(query):
                places.add((message_id, folder_id, uidvalidity, uid))
                places.add((message_id, folder_id, uidvalidity, None))
        return places

    def _account(self, entry: _New, result: BatchResult) -> None:
        preparation = entry.preparation
        result.new_ids.append(entry.id)
        if isinstance(preparation, Unreadable):
            result.quarantined += 1
            log.warning("message %s quarantined: %s", entry.id, preparation.reason)
            return

        rows = preparation.rows
        message = NewMessage(
            id=entry.id,
            message_id=rows.message["message_id"],
            subject=rows.message["subject"],
            date=rows.message["date"],
        )
        thread_id = self.threader.assign(message, rows.references, rows.addresses)
        result.stored += 1
        log.info(
            "message %s stored: %s %s in thread %s",
            entry.id,
            rows.message["direction"],
            rows.message["kind"],
            thread_id,
        )


def _insert_rows(connection: Connection, model: type, rows: Iterable[Row]) -> None:
    batch = list(rows)
    if batch:
        connection.execute(insert(model), batch)


def _sha256(entry: _New) -> str:
    preparation = entry.preparation
    if isinstance(preparation, Prepared):
        return preparation.rows.sha256
    return preparation.sha256
