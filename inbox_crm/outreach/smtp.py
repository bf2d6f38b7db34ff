"""Sending over SMTP with aiosmtplib: one connection, many mails, clear outcomes.

Security is decided once, at connect: implicit TLS, STARTTLS (done by
aiosmtplib during connect and never asked for again), or none on loopback.
Certificates are always verified. What can go wrong with one mail is told
apart by when it happens:

    SendTemporary   a 4xx reply, or the connection lost before DATA: try later
    SendPermanent   a 5xx reply: the mail fails with the server's words
    SendInDoubt     the connection lost after DATA began: it may have arrived
    Undeliverable   (compose) the server cannot take this address at all

A failure of the connection itself (unreachable, TLS, login) is SmtpError:
it concerns the mailbox, not the mail.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, replace

import aiosmtplib
from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPException,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)
from email_validator import validate_email

from inbox_crm.config import MailboxConfig
from inbox_crm.errors import SmtpError
from inbox_crm.imap.secrets import mailbox_secret
from inbox_crm.outreach.compose import Envelope, envelope
from inbox_crm.outreach.settings import SmtpConfig

log = logging.getLogger(__name__)

Build = Callable[[Envelope], bytes]
BeforeData = Callable[[bytes], None]


class SendTemporary(Exception):
    """The server did not take the mail this time; trying again later may work.

    `dropped` is true when the connection was lost (before DATA) rather than
    refused with a reply: a reused connection the server closed while idle.
    """

    def __init__(self, reason: str, *, dropped: bool = False) -> None:
        super().__init__(reason)
        self.dropped = dropped


class SendPermanent(Exception):
    """The server refused the mail for good (a 5xx reply)."""

    def __init__(self, reply: str, code: int) -> None:
        super().__init__(reply)
        self.code = code


class SendInDoubt(Exception):
    """The connection ended after DATA began: the server may have accepted it."""


@dataclass(frozen=True)
class Accepted:
    """The server's 250 reply to DATA and the bytes it took."""

    reply: str
    raw: bytes


class SmtpSession:
    """One connection to a mailbox's SMTP server, reused for several mails."""

    def __init__(self, config: SmtpConfig, secret: str | None) -> None:
        self.config = config
        self.secret = secret
        self.client: aiosmtplib.SMTP | None = None
        self.sent = 0

    @property
    def what(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    async def connect(self) -> None:
        """Connect, secure and log in, or raise SmtpError saying what to fix."""
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            timeout=config.timeout,
            use_tls=config.security == "tls",
            # True: aiosmtplib upgrades once, during connect; False: never.
            start_tls=config.security == "starttls",
            tls_context=tls_context(config),
            local_hostname=ehlo_name(config.from_address),
        )
        try:
            await client.connect()
            await self._login(client)
            # SMTPUTF8 and 8BITMIME are read from the EHLO after TLS and login.
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()
        except ssl.SSLError as exc:
            client.close()
            raise SmtpError(f"TLS with {self.what} failed: {exc}{_ca_hint()}") from exc
        except SMTPAuthenticationError as exc:
            client.close()
            raise SmtpError(
                f"{self.what} refused the login of {config.username}: "
                f"{exc.code} {exc.message}; check the password (password_env or "
                "password_command of the smtp table)"
            ) from exc
        except (SMTPException, OSError) as exc:
            client.close()
            hint = _ca_hint() if isinstance(exc.__cause__, ssl.SSLError) else ""
            raise SmtpError(f"cannot use {self.what}: {_explain(exc)}{hint}") from exc
        self.client = client
        self.sent = 0
        log.debug("smtp %s connected (%s)", self.what, config.security)

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.is_connected

    @property
    def smtputf8(self) -> bool:
        return self.client is not None and self.client.supports_extension("smtputf8")

    async def send(
        self, sender: str, recipient: str, build: Build, before_data: BeforeData
    ) -> Accepted:
        """Send one mail; `before_data` runs with its bytes just before DATA."""
        if not self.connected:
            await self.connect()
        client = self.client
        assert client is not None
        address = envelope(sender, recipient, self.smtputf8)
        raw = build(address)
        try:
            encoding = "utf-8" if address.utf8 else "ascii"
            options = _mail_options(client, address)
            await client.mail(address.sender, options=options, encoding=encoding)
            await client.rcpt(address.recipient, encoding=encoding)
        except SMTPResponseException as exc:
            await self._reset()
            raise _refused(exc) from exc
        except (SMTPServerDisconnected, SMTPTimeoutError, OSError) as exc:
            self.close()
            raise SendTemporary(
                f"connection lost before DATA: {exc}", dropped=True
            ) from exc

        before_data(raw)
        try:
            response = await client.data(raw)
        except SMTPResponseException as exc:
            await self._reset()
            raise _refused(exc) from exc
        except (SMTPServerDisconnected, SMTPTimeoutError, OSError) as exc:
            self.close()
            raise SendInDoubt(f"connection lost during DATA: {exc}") from exc
        self.sent += 1
        return Accepted(f"{response.code} {response.message}", raw)

    async def quit(self) -> None:
        if self.client is not None and self.client.is_connected:
            try:
                await self.client.quit()
            except (SMTPException, OSError):
                log.debug("smtp %s: QUIT failed; closing", self.what)
        self.close()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    async def _login(self, client: aiosmtplib.SMTP) -> None:
        config = self.config
        if config.auth == "none":
            return
        assert config.username is not None and self.secret is not None
        if client.is_ehlo_or_helo_needed:
            await client.ehlo()
        if config.auth == "xoauth2":
            await client.auth_xoauth2(config.username, self.secret)
        elif config.auth == "plain":
            await client.auth_plain(config.username, self.secret)
        elif config.auth == "login":
            await client.auth_login(config.username, self.secret)
        else:
            await client.login(config.username, self.secret)

    async def _reset(self) -> None:
        """End a refused transaction so the connection can carry the next mail."""
        if not self.connected:
            return
        assert self.client is not None
        try:
            await self.client.rset()
        except (SMTPException, OSError):
            self.close()


def smtp_secret(mailbox: MailboxConfig) -> str | None:
    """The SMTP password or token, from the smtp table's (or the mailbox's) keys."""
    smtp = mailbox.smtp
    assert smtp is not None
    if smtp.auth == "none":
        return None
    auth = "xoauth2" if smtp.auth == "xoauth2" else "login"
    return mailbox_secret(
        replace(
            mailbox,
            auth=auth,
            password_env=smtp.password_env,
            password_command=smtp.password_command,
            token_command=smtp.token_command,
        )
    )


def ehlo_name(from_address: str) -> str:
    """The name we greet with: the sending domain, in its ASCII form."""
    return validate_email(from_address, check_deliverability=False).ascii_domain


def tls_context(config: SmtpConfig) -> ssl.SSLContext:
    """Certificate and host name verification on, with the configured CA if any."""
    cafile = str(config.ca_file) if config.ca_file else None
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)


def _mail_options(client: aiosmtplib.SMTP, address: Envelope) -> list[str]:
    if not address.utf8:
        return []
    options = ["SMTPUTF8"]
    if client.supports_extension("8bitmime"):
        options.append("BODY=8BITMIME")
    return options


def _refused(exc: SMTPResponseException) -> Exception:
    reply = f"{exc.code} {exc.message}".strip()
    if 400 <= exc.code < 500:
        return SendTemporary(reply)
    return SendPermanent(reply, exc.code)


def _explain(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "STARTTLS extension not supported" in text:
        return "the server does not offer STARTTLS; use security = 'tls' (port 465)"
    if isinstance(exc, SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return text


def _ca_hint() -> str:
    return (
        " (a server with a private certificate authority needs ca_file in the "
        "smtp table)"
    )
