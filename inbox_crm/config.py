"""The configuration file: one TOML document, validated into typed settings."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inbox_crm.errors import ConfigError
from inbox_crm.outreach.settings import (
    OutreachConfig,
    SmtpConfig,
    read_outreach,
    read_smtp,
)

DEFAULT_PATH = Path("inbox-crm.toml")
ENV_VAR = "INBOX_CRM_CONFIG"
SECURITY_PORTS = {"tls": 993, "starttls": 143, "none": 143}
AUTH_METHODS = ("login", "plain", "xoauth2")
DEFAULT_FOLDERS = ("INBOX", "\\Sent")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

TOP_KEYS = {"database", "mailboxes", "sync", "outreach"}
DATABASE_KEYS = {"url"}
SYNC_KEYS = {"batch_size", "timeout", "thread_window_days"}
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


@dataclass(frozen=True)
class MailboxConfig:
    """How to reach one mailbox and which addresses are its own."""

    name: str
    host: str
    port: int
    security: str
    username: str
    auth: str = "login"
    password_env: str | None = None
    password_command: str | None = None
    token_command: str | None = None
    ca_file: Path | None = None
    allow_insecure: bool = False
    folders: tuple[str, ...] = DEFAULT_FOLDERS
    addresses: tuple[str, ...] = ()
    smtp: SmtpConfig | None = None


@dataclass(frozen=True)
class SyncConfig:
    """Tuning of the poller; the defaults suit most servers."""

    batch_size: int = 200
    timeout: float = 60.0
    thread_window_days: int = 30


@dataclass(frozen=True)
class Config:
    """The whole configuration, with the path it was read from."""

    path: Path
    database_url: str
    mailboxes: dict[str, MailboxConfig] = field(default_factory=dict)
    sync: SyncConfig = field(default_factory=SyncConfig)
    outreach: OutreachConfig = field(default_factory=OutreachConfig)

    def mailbox(self, name: str) -> MailboxConfig:
        try:
            return self.mailboxes[name]
        except KeyError:
            known = ", ".join(sorted(self.mailboxes)) or "none"
            raise ConfigError(
                f"{self.path}: no mailbox named {name!r} (configured: {known})"
            ) from None


def config_path(given: str | Path | None) -> Path:
    """The file to read: the option, else $INBOX_CRM_CONFIG, else ./inbox-crm.toml."""
    if given:
        return Path(given)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return DEFAULT_PATH


def load_config(path: Path) -> Config:
    """Read and validate the configuration at `path`."""
    if not path.exists():
        raise ConfigError(
            f"{path}: no configuration file here; create one with "
            f"`inbox-crm init {path.parent}` or pass --config PATH"
        )
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(document, path)


def parse_config(document: dict[str, Any], path: Path) -> Config:
    reader = _Reader(path)
    reader.no_unknown_keys(document, TOP_KEYS, "")

    database = reader.table(document, "database")
    reader.no_unknown_keys(database, DATABASE_KEYS, "database")
    default_url = f"sqlite:///{(path.parent / 'inbox-crm.db').resolve()}"
    url = reader.string(database, "url", "database", default=default_url)

    sync_table = reader.table(document, "sync")
    reader.no_unknown_keys(sync_table, SYNC_KEYS, "sync")
    sync = SyncConfig(
        batch_size=reader.integer(sync_table, "batch_size", "sync", 200, 1, 1000),
        timeout=float(reader.integer(sync_table, "timeout", "sync", 60, 1, 3600)),
        thread_window_days=reader.integer(
            sync_table, "thread_window_days", "sync", 30, 0, 3650
        ),
    )

    mailboxes = {}
    for name, table in reader.table(document, "mailboxes").items():
        if not isinstance(table, dict):
            raise reader.error(f"mailboxes.{name}", "must be a table of settings")
        mailboxes[name] = reader.mailbox(name, table)

    outreach_table = reader.table(document, "outreach")
    outreach = read_outreach(reader, outreach_table, path.parent)
    if outreach.mailbox is not None and outreach.mailbox not in mailboxes:
        raise reader.error("outreach.mailbox", f"no mailbox named {outreach.mailbox!r}")
    return Config(
        path=path,
        database_url=url,
        mailboxes=mailboxes,
        sync=sync,
        outreach=outreach,
    )


class _Reader:
    """Typed access to TOML values with errors that name the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {message}")

    def no_unknown_keys(
        self, table: dict[str, Any], allowed: set[str], at: str
    ) -> None:
        for key in table:
            if key not in allowed:
                where = f"{at}.{key}" if at else key
                hint = ", ".join(sorted(allowed))
                if key == "password":
                    hint = "password_env or password_command (never the secret itself)"
                raise self.error(where, f"unknown key; allowed: {hint}")

    def table(self, document: dict[str, Any], key: str) -> dict[str, Any]:
        value = document.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "must be a table, like [" + key + "]")
        return value

    def string(
        self, table: dict[str, Any], key: str, at: str, default: str | None = None
    ) -> str:
        value = table.get(key, default)
        if value is None:
            raise self.error(f"{at}.{key}", "is required")
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{at}.{key}", "must be a non-empty string")
        return value

    def optional_string(self, table: dict[str, Any], key: str, at: str) -> str | None:
        if key not in table:
            return None
        return self.string(table, key, at)

    def integer(
        self,
        table: dict[str, Any],
        key: str,
        at: str,
        default: int,
        low: int,
        high: int,
    ) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"{at}.{key}", f"must be a whole number ({low}-{high})")
        if not low <= value <= high:
            raise self.error(f"{at}.{key}", f"must be between {low} and {high}")
        return value

    def strings(
        self, table: dict[str, Any], key: str, at: str, default: tuple[str, ...]
    ) -> tuple[str, ...]:
        value = table.get(key, list(default))
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item for item in value
        ):
            raise self.error(f"{at}.{key}", "must be a list of non-empty strings")
        return tuple(value)

    def mailbox(self, name: str, table: dict[str, Any]) -> MailboxConfig:
        at = f"mailboxes.{name}"
        self.no_unknown_keys(table, MAILBOX_KEYS, at)

        security = table.get("security", "tls")
        if security not in SECURITY_PORTS:
            raise self.error(f"{at}.security", "must be one of tls, starttls, none")
        host = self.string(table, "host", at)
        allow_insecure = table.get("allow_insecure", False)
        if not isinstance(allow_insecure, bool):
            raise self.error(f"{at}.allow_insecure", "must be true or false")
        if security == "none" and host not in LOOPBACK_HOSTS and not allow_insecure:
            raise self.error(
                f"{at}.security",
                "'none' sends the password in clear; it is allowed only for "
                "localhost unless allow_insecure = true",
            )

        auth = table.get("auth", "login")
        if auth not in AUTH_METHODS:
            raise self.error(f"{at}.auth", "must be one of " + ", ".join(AUTH_METHODS))
        secret = self._secret_keys(table, at, auth)

        username = self.string(table, "username", at)
        default_addresses = (username,) if "@" in username else ()
        addresses = self.strings(table, "addresses", at, default_addresses)
        ca_file = self.optional_string(table, "ca_file", at)
        ca_path = self.ca_path(ca_file, f"{at}.ca_file")
        smtp = None
        if "smtp" in table:
            if not isinstance(table["smtp"], dict):
                raise self.error(f"{at}.smtp", "must be a table, like [{at}.smtp]")
            smtp = read_smtp(self, table["smtp"], f"{at}.smtp", table)
        return MailboxConfig(
            name=name,
            host=host,
            port=self.integer(table, "port", at, SECURITY_PORTS[security], 1, 65535),
            security=security,
            username=username,
            auth=auth,
            ca_file=ca_path,
            allow_insecure=allow_insecure,
            folders=self.strings(table, "folders", at, DEFAULT_FOLDERS),
            addresses=tuple(address.lower() for address in addresses),
            smtp=smtp,
            **secret,
        )

    def _secret_keys(
        self, table: dict[str, Any], at: str, auth: str
    ) -> dict[str, str | None]:
        keys = {
            key: self.optional_string(table, key, at)
            for key in ("password_env", "password_command", "token_command")
        }
        if auth == "xoauth2":
            if not keys["token_command"]:
                raise self.error(
                    f"{at}.token_command", "is required when auth = 'xoauth2'"
                )
        elif not (keys["password_env"] or keys["password_command"]):
            raise self.error(
                f"{at}.password_env",
                "name the environment variable that holds the password "
                "(or set password_command)",
            )
        return keys

    def ca_path(self, value: str | None, key: str) -> Path | None:
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = self.path.parent / path
        if not path.is_file():
            raise self.error(key, f"no such file: {path}")
        return path
