"""Claims: no row is ever handed to two senders; abandoned claims are recovered."""

from __future__ import annotations

import socket
import subprocess
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from inbox_crm.config import Config
from inbox_crm.outreach.claims import CLAIMANT, claim_next, recover_abandoned
from inbox_crm.outreach.models import OutboxRow
from inbox_crm.storage.db import Database, open_database
from tests.outreach.conftest import get_row, queue_one

TIMEOUT = timedelta(minutes=15)


def claim_all(url: str, mailbox_id: int, claimed: list[int]) -> None:
    database = open_database(url, upgrade=False)
    started = datetime.now(UTC)
    try:
        while True:
            with database.session() as session, session.begin():
                row_id = claim_next(
                    session, mailbox_id, datetime.now(UTC), started=started
                )
            if row_id is None:
                return
            claimed.append(row_id)
    finally:
        database.dispose()


def test_concurrent_senders_never_claim_the_same_row(
    database: Database, config: Config, db_url: str
) -> None:
    rows = [queue_one(database, config, to=f"c{n}@client.example") for n in range(60)]
    mailbox_id = get_row(database, rows[0]).mailbox_id
    claims: list[list[int]] = [[], [], []]

    threads = [
        threading.Thread(target=claim_all, args=(db_url, mailbox_id, claimed))
        for claimed in claims
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    everything = [row_id for claimed in claims for row_id in claimed]
    assert sorted(everything) == rows
    assert {get_row(database, r).status for r in rows} == {"sending"}
    assert {get_row(database, r).attempts for r in rows} == {1}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_skips_a_row_another_sender_holds(
    database: Database, config: Config
) -> None:
    first = queue_one(database, config)
    second = queue_one(database, config, to="bo@client.example")
    mailbox_id = get_row(database, first).mailbox_id
    now = datetime.now(UTC)

    with database.session() as holder, holder.begin():
        assert claim_next(holder, mailbox_id, now, started=now) == first
        # Another sender, while the first still holds its row, is not blocked.
        with database.session() as other, other.begin():
            assert claim_next(other, mailbox_id, now, started=now) == second
            assert claim_next(other, mailbox_id, now, started=now) is None


def test_rows_tried_in_this_flush_are_passed_over(
    database: Database, config: Config
) -> None:
    row_id = queue_one(database, config)
    started = datetime.now(UTC)
    with database.session() as session, session.begin():
        session.execute(update(OutboxRow).values(last_attempt_at=started))
        mailbox_id = get_row(database, row_id).mailbox_id

        assert claim_next(session, mailbox_id, started, started=started) is None
        later = started + timedelta(seconds=1)
        assert claim_next(session, mailbox_id, later, started=later) == row_id


def dead_claimant() -> str:
    """The claim of a process that has ended on this host."""
    process = subprocess.Popen(["true"])
    process.wait()
    return f"{socket.gethostname()}:{process.pid}:00000000"


def claimed_row(
    database: Database, config: Config, claimant: str, *, data: bool, age: timedelta
) -> int:
    row_id = queue_one(database, config)
    with database.session() as session, session.begin():
        moment = datetime.now(UTC) - age
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id)
            .values(
                status="sending",
                claimed_by=claimant,
                claimed_at=moment,
                data_at=moment if data else None,
                attempts=1,
            )
        )
    return row_id


def recover(database: Database, row_id: int) -> None:
    mailbox_id = get_row(database, row_id).mailbox_id
    with database.session() as session, session.begin():
        recover_abandoned(session, mailbox_id, datetime.now(UTC), TIMEOUT)


def test_a_dead_senders_claim_before_data_is_queued_again(
    database: Database, config: Config
) -> None:
    row_id = claimed_row(database, config, dead_claimant(), data=False, age=timedelta())

    recover(database, row_id)

    assert get_row(database, row_id).status == "queued"


def test_a_dead_senders_claim_after_data_is_in_doubt(
    database: Database, config: Config
) -> None:
    row_id = claimed_row(database, config, dead_claimant(), data=True, age=timedelta())

    recover(database, row_id)

    assert get_row(database, row_id).status == "in_doubt"


def test_a_live_claim_is_left_alone_until_it_times_out(
    database: Database, config: Config
) -> None:
    fresh = claimed_row(database, config, CLAIMANT, data=True, age=timedelta())
    old = claimed_row(database, config, "elsewhere:1:1", data=False, age=TIMEOUT * 2)
    remote = claimed_row(database, config, "elsewhere:1:1", data=True, age=timedelta())

    recover(database, fresh)

    assert get_row(database, fresh).status == "sending"
    assert get_row(database, remote).status == "sending"
    assert get_row(database, old).status == "queued"
