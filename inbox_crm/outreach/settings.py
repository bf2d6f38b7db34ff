"""Settings of outreach: SMTP per mailbox and the [outreach] table, validated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from email_validator import EmailNotValidError, validate_email

from inbox_crm.config.reader import is_loopback

if TYPE_CHECKING:
    from inbox_crm.config.reader import Reader

SMTP_PORTS = {"tls": 465, "starttls": 587, "none": 25}
SMTP_AUTH = ("auto", "plain", "login", "xoauth2", "none")
SENT_COPY = ("append", "server", "none")
STOP_ON_REPLY = ("contact", "company")
SECRET_KEYS = ("password_env", "password_command", "token_command")

SMTP_KEYS = {
    "host",
    "port",
    "security",
    "ca_file",
    "username",
    "auth",
    *SECRET_KEYS,
    "timeout",
    "from_address",
    "from_name",
    "sent_copy",
    "sent_folder",
}
OUTREACH_KEYS = {
    "templates",
    "mailbox",
    "unsubscribe_url",
    "unsubscribe_address",
    "stop_on_reply",
    "max_per_minute",
    "max_per_hour",
    "max_per_domain_per_hour",
    "max_attempts",
    "retry_delay",
    "claim_timeout",
    "in_doubt_wait",
}


@dataclass(frozen=True)
class SmtpConfig:
    """How one mailbox sends: server, security, login, sender and Sent copy."""

    host: str
    port: int
    security: str
    from_address: str
    username: str | None = None
    auth: str = "auto"
    password_env: str | None = None
    password_command: str | None = None
    token_command: str | None = None
    ca_file: Path | None = None
    timeout: float = 60.0
    from_name: str = ""
    sent_copy: str = "append"
    sent_folder: str = "\\Sent"


@dataclass(frozen=True)
class OutreachConfig:
    """Templates, unsubscribe, sequences, rate limits and retries of outreach."""

    templates: Path = Path("templates")
    mailbox: str | None = None
    unsubscribe_url: str | None = None
    unsubscribe_address: str | None = None
    stop_on_reply: str = "contact"
    max_per_minute: int = 20
    max_per_hour: int = 200
    max_per_domain_per_hour: int = 20
    max_attempts: int = 8
    retry_delay: int = 60
    claim_timeout: int = 900
    in_doubt_wait: int = 600


def read_smtp(
    reader: Reader,
    table: dict[str, Any],
    at: str,
    mailbox: dict[str, Any],
) -> SmtpConfig:
    """The [mailboxes.NAME.smtp] table; secrets and login default to the IMAP ones."""
    reader.no_unknown_keys(table, SMTP_KEYS, at)

    security = table.get("security", "tls")
    if security not in SMTP_PORTS:
        raise reader.error(f"{at}.security", "must be one of tls, starttls, none")
    host = reader.string(table, "host", at)
    if security == "none" and not is_loopback(host):
        raise reader.error(
            f"{at}.security",
            "'none' sends mail and password in clear; it is allowed only for a "
            "server on this machine (localhost); use tls or starttls",
        )

    auth = table.get("auth", "auto")
    if auth not in SMTP_AUTH:
        raise reader.error(f"{at}.auth", "must be one of " + ", ".join(SMTP_AUTH))
    secrets = _secrets(reader, table, at, mailbox, auth)
    username = None
    if auth != "none":
        username = reader.string(table, "username", at, default=mailbox.get("username"))

    return SmtpConfig(
        host=host,
        port=reader.integer(table, "port", at, SMTP_PORTS[security], 1, 65535),
        security=security,
        username=username,
        auth=auth,
        ca_file=reader.ca_path(
            reader.optional_string(table, "ca_file", at), f"{at}.ca_file"
        ),
        timeout=float(reader.integer(table, "timeout", at, 60, 1, 3600)),
        from_address=_from_address(reader, table, at, mailbox),
        from_name=_line(reader, table, "from_name", at),
        sent_copy=_choice(reader, table, "sent_copy", at, SENT_COPY),
        sent_folder=reader.string(table, "sent_folder", at, default="\\Sent"),
        **secrets,
    )


def read_outreach(reader: Reader, table: dict[str, Any], base: Path) -> OutreachConfig:
    """The [outreach] table; relative paths are taken from the config's folder."""
    at = "outreach"
    reader.no_unknown_keys(table, OUTREACH_KEYS, at)
    templates = Path(reader.string(table, "templates", at, default="templates"))
    templates = templates.expanduser()
    if not templates.is_absolute():
        templates = base / templates

    url = reader.optional_string(table, "unsubscribe_url", at)
    if url is not None and not url.startswith("https://"):
        raise reader.error(
            f"{at}.unsubscribe_url", "must be an https:// address (RFC 8058)"
        )
    address = reader.optional_string(table, "unsubscribe_address", at)
    if address is not None:
        address = _address(reader, address, f"{at}.unsubscribe_address")

    def number(key: str, default: int, low: int, high: int) -> int:
        return reader.integer(table, key, at, default, low, high)

    return OutreachConfig(
        templates=templates,
        mailbox=reader.optional_string(table, "mailbox", at),
        unsubscribe_url=url,
        unsubscribe_address=address,
        stop_on_reply=_choice(reader, table, "stop_on_reply", at, STOP_ON_REPLY),
        max_per_minute=number("max_per_minute", 20, 0, 100_000),
        max_per_hour=number("max_per_hour", 200, 0, 1_000_000),
        max_per_domain_per_hour=number("max_per_domain_per_hour", 20, 0, 1_000_000),
        max_attempts=number("max_attempts", 8, 1, 100),
        retry_delay=number("retry_delay", 60, 0, 86_400),
        claim_timeout=number("claim_timeout", 900, 1, 86_400),
        in_doubt_wait=number("in_doubt_wait", 600, 0, 604_800),
    )


def _secrets(
    reader: Reader,
    table: dict[str, Any],
    at: str,
    mailbox: dict[str, Any],
    auth: str,
) -> dict[str, str | None]:
    own = {key: reader.optional_string(table, key, at) for key in SECRET_KEYS}
    if auth == "none":
        return dict.fromkeys(SECRET_KEYS)
    if not any(own.values()):
        own = {key: mailbox.get(key) for key in SECRET_KEYS}
    if auth == "xoauth2" and not own["token_command"]:
        raise reader.error(f"{at}.token_command", "is required when auth = 'xoauth2'")
    if auth != "xoauth2" and not (own["password_env"] or own["password_command"]):
        raise reader.error(
            f"{at}.password_env",
            "name the environment variable that holds the SMTP password "
            "(or set password_command, or auth = 'none' for a local relay)",
        )
    return own


def _from_address(
    reader: Reader, table: dict[str, Any], at: str, mailbox: dict[str, Any]
) -> str:
    own = [a for a in mailbox.get("addresses", []) if isinstance(a, str)]
    username = mailbox.get("username")
    default = own[0] if own else username if isinstance(username, str) else None
    if default is not None and "@" not in default:
        default = None
    value = table.get("from_address", default)
    if value is None:
        raise reader.error(
            f"{at}.from_address", "is required (the address your mail is sent from)"
        )
    if not isinstance(value, str):
        raise reader.error(f"{at}.from_address", "must be an email address")
    return _address(reader, value, f"{at}.from_address")


def _address(reader: Reader, value: str, key: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise reader.error(key, f"not a valid email address: {exc}") from None


def _line(reader: Reader, table: dict[str, Any], key: str, at: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or any(c in value for c in "\r\n"):
        raise reader.error(f"{at}.{key}", "must be a string on one line")
    return value


def _choice(
    reader: Reader,
    table: dict[str, Any],
    key: str,
    at: str,
    allowed: tuple[str, ...],
) -> str:
    value = table.get(key, allowed[0])
    if value not in allowed:
        raise reader.error(f"{at}.{key}", "must be one of " + ", ".join(allowed))
    return str(value)
