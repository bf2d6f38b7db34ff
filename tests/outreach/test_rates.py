"""Rate limits hold mail back, globally a minute and an hour, and per domain."""

from __future__ import annotations

from collections.abc import Callable

from inbox_crm.config import Config
from inbox_crm.storage.db import Database
from tests.outreach.conftest import flush, get_row, queue_one
from tests.servers.smtp import SmtpServer


def test_the_minute_limit_holds_the_rest_back(
    database: Database, configure: Callable[..., Config], smtp_server: SmtpServer
) -> None:
    config = configure(outreach={"max_per_minute": 3})
    rows = [queue_one(database, config, to=f"c{n}@client{n}.example") for n in range(5)]

    report = flush(database, config)

    assert (report.sent, report.deferred) == (3, 2)
    assert [get_row(database, r).status for r in rows] == ["sent"] * 3 + ["queued"] * 2
    assert len(smtp_server.received) == 3


def test_sends_of_an_earlier_flush_count(
    database: Database, configure: Callable[..., Config], smtp_server: SmtpServer
) -> None:
    config = configure(outreach={"max_per_hour": 2})
    for n in range(3):
        queue_one(database, config, to=f"c{n}@client.example")
    flush(database, config)

    later = flush(database, config)

    assert (later.sent, later.deferred) == (0, 1)
    assert len(smtp_server.received) == 2


def test_the_domain_limit_lets_other_domains_through(
    database: Database, configure: Callable[..., Config], smtp_server: SmtpServer
) -> None:
    config = configure(outreach={"max_per_domain_per_hour": 2})
    busy = [queue_one(database, config, to=f"c{n}@busy.example") for n in range(3)]
    other = [queue_one(database, config, to=f"c{n}@other.example") for n in range(2)]

    report = flush(database, config)

    assert report.sent == 4
    assert [get_row(database, r).status for r in busy] == ["sent", "sent", "queued"]
    assert {get_row(database, r).status for r in other} == {"sent"}
    assert report.deferred == 1
    assert sorted(m.rcpt_tos[0] for m in smtp_server.received) == [
        "c0@busy.example",
        "c0@other.example",
        "c1@busy.example",
        "c1@other.example",
    ]
