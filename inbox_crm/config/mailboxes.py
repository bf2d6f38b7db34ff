"""The [mailboxes.NAME] tables: how to reach each mailbox, and its secret."""

from __future__ import annotations

from typing import Any

from inbox_crm.config.model import DEFAULT_FOLDERS, MailboxConfig
from inbox_crm.config.reader import Reader, is_loopback
from inbox_crm.outreach.settings import read_smtp

SECURITY_PORTS = {"tls": 993, "starttls": 143, "none": 143}

AUTH_METHODS = ("login", "plain", "xoauth2")


MAILBOX_KEYS = {
    "host",
    "port",
    "security",
    "allow_insecure",
    "ca_file",
    "username",
    "auth",
    "password_env",
    "password_command",
    "token_command",
    "folders",
    "addresses",
    "smtp",
}


def read_mailbox(reader: Reader, name: str, table: dict[str, Any]) -> MailboxConfig:
    at = f"mailboxes.{name}"
    reader.no_unknown_keys(table, MAILBOX_KEYS, at)

    security = table.get("security", "tls")
    if security not in SECURITY_PORTS:
        raise reader.error(f"{at}.security", "must be one of tls, starttls, none")
    host = reader.string(table, "host", at)
    allow_insecure = table.get("allow_insecure", False)
    if not isinstance(allow_insecure, bool):
        raise reader.error(f"{at}.allow_insecure", "must be true or false")
    if security == "none" and not is_loopback(host) and not allow_insecure:
        raise reader.error(
            f"{at}.security",
            "'none' sends the password in clear; it is allowed only for "
            "localhost unless allow_insecure = true",
        )

    auth = table.get("auth", "login")
    if auth not in AUTH_METHODS:
        raise reader.error(f"{at}.auth", "must be one of " + ", ".join(AUTH_METHODS))
    secret = _read_secret_keys(reader, table, at, auth)

    username = reader.string(table, "username", at)
    default_addresses = (username,) if "@" in username else ()
    addresses = reader.strings(table, "addresses", at, default_addresses)
    for address in addresses:
        local, _, domain = address.rpartition("@")
        if not local or ("." not in domain.strip(".") and domain != "localhost"):
            raise reader.error(
                f"{at}.addresses", f"{address!r} is not an email address"
            )
    folders = reader.strings(table, "folders", at, DEFAULT_FOLDERS)
    if not folders:
        raise reader.error(
            f"{at}.folders",
            "names no folder; leave it out for INBOX and Sent, or list some, "
            'like ["INBOX", "\\\\Sent"]',
        )
    ca_file = reader.optional_string(table, "ca_file", at)
    ca_path = reader.ca_path(ca_file, f"{at}.ca_file")
    smtp = None
    if "smtp" in table:
        if not isinstance(table["smtp"], dict):
            raise reader.error(f"{at}.smtp", "must be a table, like [{at}.smtp]")
        smtp = read_smtp(reader, table["smtp"], f"{at}.smtp", table)
    return MailboxConfig(
        name=name,
        host=host,
        port=reader.integer(table, "port", at, SECURITY_PORTS[security], 1, 65535),
        security=security,
        username=username,
        auth=auth,
        ca_file=ca_path,
        allow_insecure=allow_insecure,
        folders=folders,
        addresses=tuple(address.lower() for address in addresses),
        smtp=smtp,
        **secret,
    )


def _read_secret_keys(
    reader: Reader, table: dict[str, Any], at: str, auth: str
) -> dict[str, str | None]:
    keys = {
        key: reader.optional_string(table, key, at)
        for key in ("password_env", "password_command", "token_command")
    }
    if auth == "xoauth2":
        if not keys["token_command"]:
            raise reader.error(
                f"{at}.token_command", "is required when auth = 'xoauth2'"
            )
    elif keys["password_env"] and keys["password_command"]:
        raise reader.error(
            f"{at}.password_command",
            "set either password_env or password_command, not both",
        )
    elif not (keys["password_env"] or keys["password_command"]):
        raise reader.error(
            f"{at}.password_env",
            "name the environment variable that holds the password "
            "(or set password_command)",
        )
    return keys
