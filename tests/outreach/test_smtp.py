"""The SMTP connection: TLS, STARTTLS once, certificate checks, AUTH, SMTPUTF8."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from inbox_crm.config import Config, load_config
from inbox_crm.errors import SmtpError
from inbox_crm.outreach.smtp import SmtpSession, smtp_secret
from inbox_crm.storage.db import Database
from tests.outreach.conftest import (
    PASSWORD_ENV,
    flush,
    get_row,
    queue_one,
    write_config,
)
from tests.servers.smtp import SmtpServer

# aiosmtpd takes only STARTTLS for TLS, and warns about AUTH over implicit TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring")


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[list[SmtpServer]]:
    servers: list[SmtpServer] = []
    yield servers
    for server in servers:
        server.stop()


def start(servers: list[SmtpServer], tmp_path: Path, **options: object) -> SmtpServer:
    server = SmtpServer(tmp_path / "smtp", **options).start()  # type: ignore[arg-type]
    servers.append(server)
    return server


def configured(
    tmp_path: Path, db_url: str, server: SmtpServer, **smtp: object
) -> Config:
    return load_config(write_config(tmp_path, db_url, server, smtp_settings=smtp))


def connect(config: Config) -> None:
    box = config.mailbox("work")
    assert box.smtp is not None
    session = SmtpSession(box.smtp, smtp_secret(box))

    async def run() -> None:
        await session.connect()
        await session.quit()

    asyncio.run(run())


def test_starttls_is_negotiated_once_and_verified(
    database: Database, db_url: str, tmp_path: Path, server_factory: list[SmtpServer]
) -> None:
    server = start(server_factory, tmp_path, security="starttls")
    config = configured(
        tmp_path,
        db_url,
        server,
        security="starttls",
        ca_file=str(server.ca_file),
        host="localhost",
    )
    for number in range(2):
        queue_one(database, config, to=f"c{number}@client.example")

    report = flush(database, config)

    assert report.sent == 2
    # aiosmtplib upgraded during connect; nothing asked for STARTTLS again.
    assert server.starttls_counts == [1]


def test_implicit_tls_is_verified(
    database: Database, db_url: str, tmp_path: Path, server_factory: list[SmtpServer]
) -> None:
    server = start(server_factory, tmp_path, security="tls")
    config = configured(
        tmp_path, db_url, server, security="tls", ca_file=str(server.ca_file)
    )
    queue_one(database, config)

    assert flush(database, config).sent == 1
    assert server.starttls_counts == [0]


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_an_unknown_certificate_authority_is_refused(
    db_url: str, tmp_path: Path, server_factory: list[SmtpServer], security: str
) -> None:
    server = start(server_factory, tmp_path, security=security)
    config = configured(tmp_path, db_url, server, security=security)

    with pytest.raises(SmtpError, match=r"certificate verify failed.*ca_file"):
        connect(config)


def test_starttls_on_a_server_without_it_is_a_clear_error(
    db_url: str, tmp_path: Path, server_factory: list[SmtpServer]
) -> None:
    server = start(server_factory, tmp_path)
    config = configured(tmp_path, db_url, server, security="starttls", host="localhost")

    with pytest.raises(SmtpError, match="does not offer STARTTLS"):
        connect(config)


@pytest.mark.parametrize("auth", ["auto", "plain", "login"])
def test_auth_with_the_right_password_sends(
    database: Database,
    db_url: str,
    tmp_path: Path,
    server_factory: list[SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
    auth: str,
) -> None:
    server = start(
        server_factory, tmp_path, security="starttls", users={"maya": "s3cret"}
    )
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    config = configured(
        tmp_path,
        db_url,
        server,
        security="starttls",
        auth=auth,
        host="localhost",
        ca_file=str(server.ca_file),
    )
    queue_one(database, config)

    assert flush(database, config).sent == 1


def test_a_wrong_password_stops_the_flush_and_keeps_the_mail(
    database: Database,
    db_url: str,
    tmp_path: Path,
    server_factory: list[SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = start(server_factory, tmp_path, security="tls", users={"maya": "s3cret"})
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    config = configured(
        tmp_path,
        db_url,
        server,
        security="tls",
        ca_file=str(server.ca_file),
        auth="auto",
    )
    row_id = queue_one(database, config)

    report = flush(database, config)

    assert report.error is not None and "refused the login of maya" in report.error
    assert (get_row(database, row_id).status, get_row(database, row_id).attempts) == (
        "queued",
        0,
    )


def test_a_non_ascii_address_goes_where_smtputf8_is_offered(
    database: Database, config: Config, smtp_server: SmtpServer
) -> None:
    row_id = queue_one(database, config, to="Зоя Ким <зоя@пример.рф>")

    assert flush(database, config).sent == 1
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ("зоя@пример.рф",)
    assert "SMTPUTF8" in mail.mail_options
    assert "To: Зоя Ким <зоя@пример.рф>".encode() in mail.content
    assert get_row(database, row_id).status == "sent"


def test_a_non_ascii_address_fails_clearly_without_smtputf8(
    database: Database, db_url: str, tmp_path: Path, server_factory: list[SmtpServer]
) -> None:
    server = start(server_factory, tmp_path, smtputf8=False)
    config = configured(tmp_path, db_url, server)
    row_id = queue_one(database, config, to="зоя@пример.рф")

    report = flush(database, config)

    row = get_row(database, row_id)
    assert (report.failed, row.status) == (1, "failed")
    assert row.reason is not None and "SMTPUTF8" in row.reason
    assert server.received == []


def test_non_ascii_names_need_no_smtputf8(
    database: Database, db_url: str, tmp_path: Path, server_factory: list[SmtpServer]
) -> None:
    server = start(server_factory, tmp_path, smtputf8=False)
    config = configured(tmp_path, db_url, server, from_name="Maja Łukasiewicz")
    queue_one(database, config, to="Zoë Ångström <zoe@bücher.example>")

    assert flush(database, config).sent == 1
    (mail,) = server.received
    assert mail.content.isascii()
    assert mail.rcpt_tos == ("zoe@xn--bcher-kva.example",)
    assert mail.message["To"].addresses[0].display_name == "Zoë Ångström"
    assert mail.message["From"].addresses[0].display_name == "Maja Łukasiewicz"
