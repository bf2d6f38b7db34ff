"""Leases on SQLite and PostgreSQL: held by one owner, taken over only after expiry."""

from __future__ import annotations

import threading
from datetime import timedelta

from inbox_crm.agent.leases import Claim, claim, leases, release
from inbox_crm.storage.db import Database

RESOURCE = "mailbox:work"
MINUTE = timedelta(minutes=1)
# A lease that is already over when it is written: expiry without waiting.
GONE = timedelta(seconds=-1)


def claim_now(database: Database, owner: str, duration: timedelta = MINUTE) -> Claim:
    with database.session() as session, session.begin():
        return claim(session, RESOURCE, owner, duration)


def race(database: Database, owners: list[str]) -> dict[str, Claim]:
    """Every owner claims the lease at the same moment, each on its own connection."""
    outcomes: dict[str, Claim] = {}
    ready = threading.Barrier(len(owners))

    def contend(owner: str) -> None:
        ready.wait()
        outcomes[owner] = claim_now(database, owner)

    threads = [threading.Thread(target=contend, args=(o,)) for o in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_a_free_lease_is_taken_and_then_refused_to_others(database: Database) -> None:
    first = claim_now(database, "agent-a")
    second = claim_now(database, "agent-b")

    assert first.held and first.owner == "agent-a"
    assert not second.held
    assert second.owner == "agent-a"
    assert second.expires_at == first.expires_at


def test_the_holder_renews_and_pushes_the_expiry_on(database: Database) -> None:
    first = claim_now(database, "agent-a")
    renewed = claim_now(database, "agent-a", timedelta(minutes=5))

    assert renewed.held and renewed.taken_from is None
    assert renewed.expires_at is not None and first.expires_at is not None
    assert renewed.expires_at > first.expires_at


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_renew(
    database: Database,
) -> None:
    claim_now(database, "agent-a", GONE)

    taken = claim_now(database, "agent-b")
    late = claim_now(database, "agent-a")

    assert taken.held and taken.taken_from == "agent-a"
    assert not late.held and late.owner == "agent-b"


def test_a_released_lease_is_free_at_once(database: Database) -> None:
    claim_now(database, "agent-a")
    with database.session() as session, session.begin():
        assert release(session, RESOURCE, "agent-a")
        assert not release(session, RESOURCE, "agent-b")

    taken = claim_now(database, "agent-b")

    assert taken.held and taken.taken_from is None
    with database.session() as session:
        assert leases(session)[RESOURCE].owner == "agent-b"


def test_concurrent_claims_of_a_new_lease_have_one_winner(database: Database) -> None:
    owners = [f"agent-{n}" for n in range(8)]
    outcomes = race(database, owners)

    winners = [owner for owner, outcome in outcomes.items() if outcome.held]
    assert len(outcomes) == len(owners)
    assert len(winners) == 1
    assert {outcome.owner for outcome in outcomes.values()} == set(winners)


def test_concurrent_takeovers_of_an_expired_lease_have_one_winner(
    database: Database,
) -> None:
    claim_now(database, "agent-old", GONE)
    owners = [f"agent-{n}" for n in range(8)]
    outcomes = race(database, owners)

    winners = [owner for owner, outcome in outcomes.items() if outcome.held]
    assert len(winners) == 1
    assert outcomes[winners[0]].taken_from == "agent-old"
