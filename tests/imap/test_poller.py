"""The poller against a real Dovecot: incremental, safe, read-only."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inbox_crm.config import SyncConfig
from inbox_crm.errors import ImapError
from inbox_crm.imap.client import FolderInfo, FolderStatus, ImapConnection
from inbox_crm.imap.poller import Poller, SyncReport
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Folder, Message, MessageLocation
from tests.imap.conftest import OWN_ADDRESS, mailbox_config
from tests.mailfactory import make_message
from tests.servers.dovecot import ImapAccount

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def inbound(number: int) -> bytes:
    return make_message(
        sender=f"Client {number} <client{number}@client.example>",
        subject=f"Question {number}",
        message_id=f"<q{number}@client.example>",
        date=START + timedelta(minutes=number),
        body=f"Question number {number}\n",
    )


def outbound(number: int) -> bytes:
    return make_message(
        sender=f"Maya <{OWN_ADDRESS}>",
        to=f"client{number}@client.example",
        subject=f"Re: Question {number}",
        message_id=f"<a{number}@agency.example>",
        in_reply_to=f"<q{number}@client.example>",
        date=START + timedelta(minutes=number, seconds=30),
        body=f"Answer number {number}\n",
    )


def sync(
    database: Database, account: ImapAccount, sync_config: SyncConfig, **changes: object
) -> SyncReport:
    poller = Poller(
        database, mailbox_config(account, **changes), sync_config, backoff=0.05
    )
    return asyncio.run(poller.run_once())


def stored(database: Database) -> list[tuple[str | None, str, int]]:
    """(message_id, direction, number of locations) of every stored message."""
    with database.session() as session:
        query = (
            select(Message.message_id, Message.direction, func.count())
            .join(MessageLocation, MessageLocation.message_id == Message.id)
            .group_by(Message.id, Message.message_id, Message.direction)
            .order_by(Message.message_id)
        )
        return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def folder_report(report: SyncReport, name: str) -> tuple[int, int, int]:
    [folder] = [f for f in report.folders if f.folder == name]
    assert folder.error is None
    return folder.fetched, folder.result.stored, folder.result.duplicates


def test_first_sync_stores_inbox_and_sent(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.bulk_load([inbound(n) for n in range(12)])
    account.bulk_load([outbound(n) for n in range(3)], folder="Sent")

    report = sync(database, account, sync_config)

    assert folder_report(report, "INBOX") == (12, 12, 0)
    assert folder_report(report, "Sent") == (3, 3, 0)
    rows = stored(database)
    assert len(rows) == 15
    directions = [direction for mid, direction, _ in rows if mid.startswith("a")]
    assert directions == ["outbound"] * 3


def test_sync_never_changes_flags(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    for number in range(3):
        account.append(inbound(number))

    sync(database, account, sync_config)

    with account.connect() as client:
        client.select("INBOX", readonly=True)
        _, data = client.uid("FETCH", "1:*", "(FLAGS)")
    flags = b" ".join(line for line in data if isinstance(line, bytes))
    assert b"\\Seen" not in flags
    assert flags.count(b"FLAGS") == 3


def test_second_sync_fetches_only_new_mail(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.bulk_load([inbound(n) for n in range(7)])
    sync(database, account, sync_config)
    account.append(inbound(100))
    account.append(inbound(101))

    report = sync(database, account, sync_config)

    assert folder_report(report, "INBOX") == (2, 2, 0)
    assert len(stored(database)) == 9


def opened_folders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders the poller EXAMINEs from now on, in order."""
    opened: list[str] = []
    examine = ImapConnection.examine

    async def noting(connection: ImapConnection, folder: str) -> FolderStatus:
        opened.append(folder)
        return await examine(connection, folder)

    monkeypatch.setattr(ImapConnection, "examine", noting)
    return opened


def test_idle_poll_is_one_command_after_login(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.bulk_load([inbound(n) for n in range(4)])
    account.append(outbound(1), folder="Sent")
    sync(database, account, sync_config)
    poller = Poller(database, mailbox_config(account), sync_config)

    async def idle_pass() -> tuple[SyncReport, int]:
        connection = await poller._connection()
        before = connection.commands
        report = await poller.run_once()
        return report, connection.commands - before

    report, commands = asyncio.run(idle_pass())

    assert folder_report(report, "INBOX") == (0, 0, 0)
    assert folder_report(report, "Sent") == (0, 0, 0)
    # One LIST-STATUS answers for every folder; none is opened.
    assert commands == 1
    assert report.commands == 1


def test_new_mail_in_one_folder_opens_only_that_folder(
    database: Database,
    account: ImapAccount,
    sync_config: SyncConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account.bulk_load([inbound(n) for n in range(4)])
    account.append(outbound(1), folder="Sent")
    sync(database, account, sync_config)
    account.append(outbound(2), folder="Sent")
    opened = opened_folders(monkeypatch)

    report = sync(database, account, sync_config)

    assert opened == ["Sent"]
    assert folder_report(report, "INBOX") == (0, 0, 0)
    assert folder_report(report, "Sent") == (1, 1, 0)
    assert len(stored(database)) == 6


def test_mail_arriving_after_the_folder_list_is_stored_once(
    database: Database,
    account: ImapAccount,
    sync_config: SyncConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account.bulk_load([inbound(n) for n in range(3)])
    sync(database, account, sync_config)
    account.append(inbound(400))
    list_folders = ImapConnection.list_folders

    async def list_then_deliver(connection: ImapConnection) -> list[FolderInfo]:
        folders = await list_folders(connection)
        account.append(inbound(401))
        account.append(outbound(402), folder="Sent")
        return folders

    monkeypatch.setattr(ImapConnection, "list_folders", list_then_deliver)
    during = sync(database, account, sync_config)
    monkeypatch.setattr(ImapConnection, "list_folders", list_folders)
    after = sync(database, account, sync_config)
    idle = sync(database, account, sync_config)

    # INBOX had changed: its fetch goes past the listed UIDNEXT. Sent looked
    # unchanged, so its new mail waits for the next pass.
    assert folder_report(during, "INBOX") == (2, 2, 0)
    assert folder_report(during, "Sent") == (0, 0, 0)
    assert folder_report(after, "INBOX") == (0, 0, 0)
    assert folder_report(after, "Sent") == (1, 1, 0)
    assert idle.commands == 1
    rows = stored(database)
    assert len(rows) == 6
    assert [count for _, _, count in rows] == [1] * 6


def test_uidvalidity_change_without_new_mail_resyncs_with_no_duplicates(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.bulk_load([inbound(n) for n in range(5)])
    sync(database, account, sync_config)
    account.change_uidvalidity("INBOX")

    report = sync(database, account, sync_config)
    idle = sync(database, account, sync_config)

    [inbox] = [f for f in report.folders if f.folder == "INBOX"]
    assert inbox.resynced
    assert (inbox.result.stored, inbox.result.duplicates) == (0, 5)
    assert [count for _, _, count in stored(database)] == [1] * 5
    assert idle.commands == 1


def test_without_list_status_an_idle_poll_is_one_status_per_folder(
    database: Database,
    account_without_list_status: ImapAccount,
    sync_config: SyncConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = account_without_list_status
    account.bulk_load([inbound(n) for n in range(3)])
    account.append(outbound(1), folder="Sent")
    sync(database, account, sync_config)
    opened = opened_folders(monkeypatch)

    idle = sync(database, account, sync_config)
    account.append(inbound(500))
    news = sync(database, account, sync_config)

    # LIST, then STATUS of INBOX and of Sent.
    assert idle.commands == 3
    assert folder_report(idle, "INBOX") == (0, 0, 0)
    assert opened == ["INBOX"]
    assert folder_report(news, "INBOX") == (1, 1, 0)
    assert folder_report(news, "Sent") == (0, 0, 0)
    assert len(stored(database)) == 5


def test_forgotten_cursor_resync_stores_nothing_twice(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.bulk_load([inbound(n) for n in range(6)])
    sync(database, account, sync_config)
    with database.session() as session, session.begin():
        for folder in session.scalars(select(Folder)):
            folder.last_uid, folder.uidnext = 0, None

    report = sync(database, account, sync_config)

    assert folder_report(report, "INBOX") == (6, 0, 6)
    assert [count for _, _, count in stored(database)] == [1] * 6


def test_uidvalidity_change_resyncs_and_takes_new_mail(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.bulk_load([inbound(n) for n in range(8)])
    sync(database, account, sync_config)
    account.change_uidvalidity("INBOX")
    # After the reset, new mail gets UIDs the old cursor had already passed.
    account.append(inbound(200))

    report = sync(database, account, sync_config)

    [inbox] = [f for f in report.folders if f.folder == "INBOX"]
    assert inbox.resynced
    assert (inbox.result.stored, inbox.result.duplicates) == (1, 8)
    rows = stored(database)
    assert len(rows) == 9
    assert [count for _, _, count in rows] == [1] * 9


def test_drop_mid_batch_reconnects_and_completes(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.bulk_load([inbound(n) for n in range(23)])
    kicked: list[int] = []

    def drop_once(folder: str, done: int, total: int) -> None:
        if folder == "INBOX" and not kicked:
            kicked.append(account.kick(hard=True))

    poller = Poller(
        database, mailbox_config(account), sync_config, progress=drop_once, backoff=0.05
    )
    report = asyncio.run(poller.run_once())

    assert kicked == [1]
    [inbox] = [f for f in report.folders if f.folder == "INBOX"]
    assert inbox.error is None
    assert inbox.result.stored == 23
    assert len(stored(database)) == 23


def test_mail_arriving_during_a_sync_is_stored_once(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.bulk_load([inbound(n) for n in range(12)])
    arrived: list[int] = []

    def deliver(folder: str, done: int, total: int) -> None:
        if folder == "INBOX" and len(arrived) < 2:
            arrived.append(account.append(inbound(300 + len(arrived))))

    poller = Poller(database, mailbox_config(account), sync_config, progress=deliver)
    asyncio.run(poller.run_once())
    sync(database, account, sync_config)

    rows = stored(database)
    assert len(rows) == 14
    assert [count for _, _, count in rows] == [1] * 14


def test_same_message_in_two_folders_is_stored_once(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.create_folder("Clients")
    account.append(inbound(1))
    account.append(inbound(1), folder="Clients")

    sync(database, account, sync_config, folders=("INBOX", "Clients"))

    assert stored(database) == [("q1@client.example", "inbound", 2)]


def test_missing_folder_is_reported_and_others_sync(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.append(inbound(1))

    report = sync(database, account, sync_config, folders=("INBOX", "Nope"))

    assert report.errors == ["Nope: no such folder on the server"]
    assert len(stored(database)) == 1


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_tls_with_the_test_ca(
    database: Database,
    account: ImapAccount,
    sync_config: SyncConfig,
    security: str,
) -> None:
    account.append(inbound(1))
    port = account.tls_port if security == "tls" else account.port

    report = sync(
        database,
        account,
        sync_config,
        security=security,
        port=port,
        ca_file=account.ca_file,
    )

    assert folder_report(report, "INBOX") == (1, 1, 0)


def test_tls_refuses_an_unknown_certificate(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    with pytest.raises(ImapError, match=r"(?i)certificate.*set ca_file"):
        sync(database, account, sync_config, security="tls", port=account.tls_port)


def test_tls_on_a_plain_port_says_which_security_fits(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    with pytest.raises(ImapError, match="does not speak TLS on this port"):
        sync(database, account, sync_config, security="tls", ca_file=account.ca_file)


def test_plain_imap_on_the_tls_port_says_to_use_tls(
    database: Database, account: ImapAccount
) -> None:
    quick = SyncConfig(batch_size=5, timeout=1.0)

    with pytest.raises(ImapError, match="set security = 'tls'"):
        sync(database, account, quick, port=account.tls_port)


def test_a_ca_file_without_a_certificate_is_named(
    database: Database, account: ImapAccount, sync_config: SyncConfig, tmp_path: Path
) -> None:
    not_a_certificate = tmp_path / "ca.pem"
    not_a_certificate.write_text("this is a password file, not a certificate\n")

    with pytest.raises(ImapError, match=r"ca_file .*ca\.pem holds no usable CA"):
        sync(
            database,
            account,
            sync_config,
            security="tls",
            port=account.tls_port,
            ca_file=not_a_certificate,
        )


def test_a_server_that_is_not_imap_is_named_at_once(
    database: Database, account: ImapAccount
) -> None:
    slow = SyncConfig(batch_size=5, timeout=30.0)
    with _server_saying(b"HTTP/1.1 400 Bad Request\r\n\r\n") as port:
        started = time.monotonic()
        with pytest.raises(ImapError, match=r"not an IMAP server.*HTTP/1\.1 400"):
            sync(database, account, slow, port=port)

    assert time.monotonic() - started < slow.timeout / 2


@contextlib.contextmanager
def _server_saying(greeting: bytes) -> Iterator[int]:
    """A TCP server on loopback that greets every client with `greeting`."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            with client:
                client.sendall(greeting)
                stop.wait(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_wrong_password_is_a_clear_error(
    database: Database,
    account: ImapAccount,
    sync_config: SyncConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INBOX_CRM_TEST_IMAP_PASSWORD", "wrong")

    with pytest.raises(ImapError, match=f"login as {account.user}.*refused"):
        sync(database, account, sync_config)


def test_authenticate_plain(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    account.append(inbound(1))

    report = sync(database, account, sync_config, auth="plain")

    assert folder_report(report, "INBOX") == (1, 1, 0)


@pytest.mark.parametrize("folder", ["Kunden/Müller", "Clients & Partners", "日本"])
def test_folders_with_non_ascii_names_and_ampersands(
    database: Database, account: ImapAccount, sync_config: SyncConfig, folder: str
) -> None:
    account.append(inbound(1), folder)

    report = sync(database, account, sync_config, folders=("INBOX", folder))

    assert folder_report(report, folder) == (1, 1, 0)
    with database.session() as session:
        names = set(session.scalars(select(Folder.name)))
    assert folder in names


def test_xoauth2_with_a_token_from_the_token_command(
    database: Database, account: ImapAccount, sync_config: SyncConfig, tmp_path: Path
) -> None:
    account.append(inbound(1))
    token_file = tmp_path / "token"
    token_file.write_text(account.issue_token() + "\n")
    command = f"cat {shlex.quote(str(token_file))}"

    report = sync(database, account, sync_config, auth="xoauth2", token_command=command)

    assert folder_report(report, "INBOX") == (1, 1, 0)
    assert account.server.tokens.requests >= 1


def test_xoauth2_with_a_refused_token_is_a_clear_error(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    command = "echo not-a-token"

    with pytest.raises(ImapError, match=f"login as {account.user}.*refused"):
        sync(database, account, sync_config, auth="xoauth2", token_command=command)


def test_messages_are_fetched_in_bounded_batches(
    database: Database, account: ImapAccount
) -> None:
    account.bulk_load([inbound(n) for n in range(11)])
    seen: list[int] = []

    def record(folder: str, done: int, total: int) -> None:
        if folder == "INBOX":
            seen.append(done)

    poller = Poller(
        database,
        mailbox_config(account),
        SyncConfig(batch_size=4, timeout=10.0),
        progress=record,
    )
    asyncio.run(poller.run_once())

    assert seen == [4, 8, 11]
