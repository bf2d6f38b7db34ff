"""The IMAP connection against a real Dovecot: what fetching costs in memory."""

from __future__ import annotations

import asyncio
import tracemalloc

from inbox_crm.imap.client import FETCH_CHUNK, connect
from tests.imap.conftest import mailbox_config
from tests.mailfactory import make_message
from tests.servers.dovecot import ImapAccount

MESSAGES = 2 * FETCH_CHUNK


def small_message(number: int) -> bytes:
    return make_message(
        subject=f"Update {number}",
        message_id=f"<update{number}@client.example>",
        body="A short update on the project.\n" * 40,
    )


def test_fetching_a_batch_of_small_messages_holds_little_more_than_the_batch(
    account: ImapAccount,
) -> None:
    """Many small messages in one read once cost about 20 MB to take apart."""
    mail = [small_message(number) for number in range(MESSAGES)]
    account.bulk_load(mail)
    batch_bytes = sum(len(raw) for raw in mail)

    async def fetch_all() -> tuple[int, int]:
        connection = await connect(mailbox_config(account), account.password, 10.0)
        try:
            await connection.examine("INBOX")
            uids = await connection.uids_from(1)
            tracemalloc.start()
            try:
                fetched = await connection.fetch(uids)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        finally:
            await connection.logout()
        return len(fetched), peak

    count, peak = asyncio.run(fetch_all())

    assert count == MESSAGES
    assert peak < 4 * batch_bytes + 1024 * 1024
