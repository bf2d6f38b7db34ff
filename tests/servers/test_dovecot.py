"""The test Dovecot really serves IMAP: TLS, mail, folders, UIDVALIDITY and kicks."""

from __future__ import annotations

import imaplib
import os
import re
import ssl
from datetime import UTC, datetime

import pytest

from tests.servers.dovecot import (
    DovecotError,
    DovecotServer,
    ImapAccount,
    imap_mailbox_name,
)


def _message(number: int, body: bytes = b"Hello.\r\n") -> bytes:
    headers = (
        f"From: sender{number}@example.com\r\n"
        "To: alice@example.org\r\n"
        f"Subject: message {number}\r\n"
        f"Message-ID: <{number}@test.example>\r\n"
        "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\n"
    )
    return headers.encode() + body


def _message_ids(client: imaplib.IMAP4, folder: str = "INBOX") -> dict[int, str]:
    """UID to Message-ID of every message in a folder, read without setting \\Seen."""
    client.select(imap_mailbox_name(folder), readonly=True)
    _, data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    found = {}
    for part in data:
        if isinstance(part, tuple):
            uid = re.search(rb"UID (\d+)", part[0])
            value = part[1].decode().split(":", 1)[1].strip()
            assert uid is not None
            found[int(uid.group(1))] = value
    return found


def test_login_over_plain_imap_offers_starttls(imap_account: ImapAccount) -> None:
    client = imaplib.IMAP4(imap_account.host, imap_account.port, timeout=5)
    assert "STARTTLS" in client.capabilities
    assert client.login(imap_account.user, imap_account.password)[0] == "OK"
    client.logout()


def test_starttls_verifies_with_the_test_ca(imap_account: ImapAccount) -> None:
    context = ssl.create_default_context(cafile=str(imap_account.ca_file))
    client = imaplib.IMAP4(imap_account.host, imap_account.port, timeout=5)
    client.starttls(context)
    assert client.login(imap_account.user, imap_account.password)[0] == "OK"
    assert isinstance(client.sock, ssl.SSLSocket)
    client.logout()


def test_imaps_verifies_with_the_test_ca(imap_account: ImapAccount) -> None:
    context = ssl.create_default_context(cafile=str(imap_account.ca_file))
    host, port = imap_account.host, imap_account.tls_port
    with imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=5) as client:
        assert client.login(imap_account.user, imap_account.password)[0] == "OK"


def test_imaps_is_refused_without_the_test_ca(imap_account: ImapAccount) -> None:
    context = ssl.create_default_context()
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(
            imap_account.host, imap_account.tls_port, ssl_context=context, timeout=5
        )


def test_wrong_password_is_refused(imap_account: ImapAccount) -> None:
    client = imaplib.IMAP4(imap_account.host, imap_account.port, timeout=5)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login(imap_account.user, "wrong")
    client.logout()


def test_append_then_fetch_keeps_bytes_flags_and_date(
    imap_account: ImapAccount,
) -> None:
    raw = _message(1)
    received = datetime(2023, 5, 4, 3, 2, 1, tzinfo=UTC)

    uid = imap_account.append(raw, flags=["\\Flagged"], internaldate=received)

    with imap_account.connect() as client:
        client.select("INBOX", readonly=True)
        _, data = client.uid("FETCH", str(uid), "(FLAGS INTERNALDATE BODY.PEEK[])")
    envelope, body = data[0]
    assert body == raw
    assert b"\\Flagged" in envelope
    assert b"\\Seen" not in envelope
    assert b'INTERNALDATE "04-May-2023 03:02:01 +0000"' in envelope


def test_append_creates_a_missing_folder(imap_account: ImapAccount) -> None:
    uid = imap_account.append(_message(1), "Kunden/Müller & Söhne")

    assert uid == 1
    assert "Kunden/Müller & Söhne" in imap_account.folders()
    assert imap_account.status("Kunden/Müller & Söhne")["messages"] == 1


def test_bulk_load_keeps_order_and_dates(imap_account: ImapAccount) -> None:
    received = datetime(2022, 1, 2, 3, 4, 5, tzinfo=UTC)
    messages = [(_message(number), received) for number in range(1, 51)]

    assert imap_account.bulk_load(messages, "Archive") == 50

    with imap_account.connect() as client:
        ids = _message_ids(client, "Archive")
        _, data = client.uid("FETCH", "50", "(INTERNALDATE)")
    assert ids == {uid: f"<{uid}@test.example>" for uid in range(1, 51)}
    assert b'"02-Jan-2022 03:04:05 +0000"' in data[0]


def test_bulk_load_after_append_continues_the_uids(imap_account: ImapAccount) -> None:
    imap_account.append(_message(1))
    imap_account.bulk_load([_message(2), _message(3)])

    with imap_account.connect() as client:
        assert _message_ids(client) == {
            1: "<1@test.example>",
            2: "<2@test.example>",
            3: "<3@test.example>",
        }


def test_folders_are_created_and_deleted(imap_account: ImapAccount) -> None:
    imap_account.create_folder("Projects/2024")
    imap_account.create_folder("Projects/2024")

    with imap_account.connect() as client:
        assert client.select(imap_mailbox_name("Projects/2024"))[0] == "OK"
    imap_account.delete_folder("Projects")
    assert not any(name.startswith("Projects") for name in imap_account.folders())


def test_sent_drafts_and_trash_carry_special_use(imap_account: ImapAccount) -> None:
    with imap_account.connect() as client:
        _, listing = client.list()
    lines = [line.decode() for line in listing if isinstance(line, bytes)]

    assert any("\\Sent" in line and line.endswith(" Sent") for line in lines)
    assert any("\\Drafts" in line and line.endswith(" Drafts") for line in lines)
    assert any("\\Trash" in line and line.endswith(" Trash") for line in lines)


def test_change_uidvalidity_gives_a_new_number_and_keeps_mail(
    imap_account: ImapAccount,
) -> None:
    for number in (1, 2, 3):
        imap_account.append(_message(number))
    with imap_account.connect() as client:
        client.select("INBOX")
        client.uid("STORE", "2", "+FLAGS", "(\\Deleted)")
        client.expunge()
        before = int(client.response("UIDVALIDITY")[1][0])

    after = imap_account.change_uidvalidity()

    assert after != before
    with imap_account.connect() as client:
        ids = _message_ids(client)
        assert int(client.response("UIDVALIDITY")[1][0]) == after
    assert ids == {1: "<1@test.example>", 2: "<3@test.example>"}


def test_change_uidvalidity_disconnects_sessions(imap_account: ImapAccount) -> None:
    imap_account.append(_message(1))
    client = imap_account.connect()
    client.select("INBOX")

    imap_account.change_uidvalidity()

    with pytest.raises(imaplib.IMAP4.abort):
        client.noop()


def test_kick_says_bye_to_every_session(imap_account: ImapAccount) -> None:
    clients = [imap_account.connect() for _ in range(2)]
    assert len(imap_account.connections()) == 2

    assert imap_account.kick() == 2

    for client in clients:
        with pytest.raises(imaplib.IMAP4.abort, match="shutting down"):
            client.noop()
    assert imap_account.connections() == []


def test_hard_kick_cuts_the_connection(imap_account: ImapAccount) -> None:
    client = imap_account.connect("tls")
    client.select("INBOX")

    assert imap_account.kick(hard=True) == 1

    with pytest.raises(imaplib.IMAP4.abort):
        client.noop()


def test_kick_leaves_other_users_alone(
    imap_account: ImapAccount, dovecot: DovecotServer
) -> None:
    other = dovecot.add_user(imap_account.user + "x", "other")
    with other.connect() as bystander:
        imap_account.connect()
        imap_account.kick(hard=True)
        assert bystander.noop()[0] == "OK"
    dovecot.remove_user(other.user)


def test_idle_reports_new_mail(imap_account: ImapAccount) -> None:
    with imap_account.connect() as client:
        client.select("INBOX")
        client.send(b"I1 IDLE\r\n")
        assert client.readline().startswith(b"+")

        imap_account.append(_message(1))

        assert client.readline().strip() == b"* 1 EXISTS"
        client.send(b"DONE\r\n")
        while not client.readline().startswith(b"I1 OK"):
            pass


def test_users_do_not_share_mail(
    imap_account: ImapAccount, dovecot: DovecotServer
) -> None:
    imap_account.append(_message(1))

    assert dovecot.account("alice").status()["messages"] == 0


@pytest.mark.usefixtures("dovecot")
def test_stop_leaves_no_process_and_no_files() -> None:
    server = DovecotServer()
    server.start()
    group = server.pid
    server.stop()

    assert group is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)
    assert not server.root.exists()


@pytest.mark.usefixtures("dovecot")
def test_failed_start_shows_dovecot_log() -> None:
    server = _BrokenDovecot()
    with pytest.raises(DovecotError, match="no_such_setting"):
        server.start()
    server.stop()


class _BrokenDovecot(DovecotServer):
    def _write_config(self) -> None:
        super()._write_config()
        with self.config_path.open("a") as config:
            config.write("no_such_setting = 1\n")


def test_xoauth2_takes_an_issued_token_and_refuses_a_revoked_one(
    dovecot: DovecotServer, imap_account: ImapAccount
) -> None:
    token = imap_account.issue_token()

    def xoauth2(client: imaplib.IMAP4, secret: str) -> str:
        response = f"user={imap_account.user}\x01auth=Bearer {secret}\x01\x01"
        return client.authenticate("XOAUTH2", lambda _: response.encode())[0]

    with dovecot.open() as client:
        assert xoauth2(client, token) == "OK"
    dovecot.tokens.revoke(token)
    with dovecot.open() as client, pytest.raises(imaplib.IMAP4.error):
        xoauth2(client, token)
