"""The configuration file: one TOML document, validated into typed settings."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

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

TOP_KEYS = {
    "agent",
    "business",
    "database",
    "linking",
    "mailboxes",
    "outreach",
    "rules",
    "sync",
    "tickets",
    "users",
}
DATABASE_KEYS = {"url"}
SYNC_KEYS = {"batch_size", "timeout", "thread_window_days"}
AGENT_KEYS = {
    "idle",
    "poll_interval",
    "idle_renewal",
    "lease_duration",
    "reconnect_delay_max",
    "shutdown_timeout",
}
# RFC 2177: a client should re-issue IDLE at least every 29 minutes.
IDLE_RENEWAL_MAX = 29 * 60
LINKING_KEYS = {
    "fold_plus_tags",
    "fuzzy_threshold",
    "review_threshold",
    "own_domains",
    "free_mail_domains",
    "role_addresses",
    "create_contacts",
    "create_companies",
}
CREATE_CONTACTS = ("personal", "written", "never")
CREATE_COMPANIES = ("auto", "never")
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
RULES_KEYS = {"folder", "enabled", "since", "sender_cap", "sender_cap_hours"}
TICKETS_KEYS = {"prefix"}
BUSINESS_KEYS = {"timezone", "country", "subdivision", "days", "start", "end"}
USER_KEYS = BUSINESS_KEYS | {"email", "mailboxes"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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
class AgentConfig:
    """How `inbox-crm run` watches mailboxes; every interval is in seconds."""

    idle: bool = True
    poll_interval: int = 300
    idle_renewal: int = 600
    lease_duration: int = 120
    reconnect_delay_max: int = 300
    shutdown_timeout: int = 30


@dataclass(frozen=True)
class BusinessConfig:
    """Business days and hours in a timezone, with a country's public holidays."""

    timezone: str = "UTC"
    country: str | None = None
    subdivision: str | None = None
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: time = time(9, 0)
    end: time = time(17, 0)


@dataclass(frozen=True)
class UserConfig:
    """A person who owns activities and tickets, with their business time."""

    name: str
    email: str | None = None
    business: BusinessConfig = field(default_factory=BusinessConfig)
    mailboxes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RulesConfig:
    """Where the rule files are and how much the rules may create."""

    folder: Path = Path("rules")
    enabled: bool = True
    since: datetime | None = None
    sender_cap: int = 20
    sender_cap_hours: int = 24


@dataclass(frozen=True)
class TicketsConfig:
    """How ticket numbers look: PREFIX-1042, and [PREFIX-1042] in subjects."""

    prefix: str = "T"


@dataclass(frozen=True)
class LinkingConfig:
    """How participants are linked to contacts and companies, and created."""

    fold_plus_tags: bool = True
    fuzzy_threshold: int = 97
    review_threshold: int = 80
    own_domains: tuple[str, ...] = ()
    free_mail_domains: tuple[str, ...] = ()
    role_addresses: tuple[str, ...] = ()
    create_contacts: str = "personal"
    create_companies: str = "auto"


@dataclass(frozen=True)
class Config:
    """The whole configuration, with the path it was read from."""

    path: Path
    database_url: str
    mailboxes: dict[str, MailboxConfig] = field(default_factory=dict)
    sync: SyncConfig = field(default_factory=SyncConfig)
    agent: AgentConfig = field(default_factory=AgentConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    tickets: TicketsConfig = field(default_factory=TicketsConfig)
    business: BusinessConfig = field(default_factory=BusinessConfig)
    users: dict[str, UserConfig] = field(default_factory=dict)
    linking: LinkingConfig = field(default_factory=LinkingConfig)

    def user(self, name: str) -> UserConfig:
        try:
            return self.users[name]
        except KeyError:
            known = ", ".join(sorted(self.users)) or "none"
            raise ConfigError(
                f"{self.path}: no user named {name!r} (configured: {known})"
            ) from None

    def mailbox_user(self, mailbox: str) -> UserConfig | None:
        """The user whose business time applies to a mailbox's mail, if any."""
        for user in self.users.values():
            if mailbox in user.mailboxes:
                return user
        return None

    @property
    def own_addresses(self) -> tuple[str, ...]:
        """Every configured mailbox's own addresses."""
        return tuple(
            a for mailbox in self.mailboxes.values() for a in mailbox.addresses
        )

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
    business_table = reader.table(document, "business")
    reader.no_unknown_keys(business_table, BUSINESS_KEYS, "business")
    business = reader.business(business_table, "business", BusinessConfig())
    users = {}
    for name, table in reader.table(document, "users").items():
        if not isinstance(table, dict):
            raise reader.error(f"users.{name}", "must be a table of settings")
        users[name] = reader.user(name, table, business, set(mailboxes))

    outreach_table = reader.table(document, "outreach")
    outreach = read_outreach(reader, outreach_table, path.parent)
    if outreach.mailbox is not None and outreach.mailbox not in mailboxes:
        raise reader.error("outreach.mailbox", f"no mailbox named {outreach.mailbox!r}")
    return Config(
        path=path,
        database_url=url,
        mailboxes=mailboxes,
        sync=sync,
        rules=reader.rules(reader.table(document, "rules"), business),
        tickets=reader.tickets(reader.table(document, "tickets")),
        business=business,
        users=users,
        agent=reader.agent(reader.table(document, "agent")),
        linking=reader.linking(reader.table(document, "linking")),
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

    def boolean(self, table: dict[str, Any], key: str, at: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"{at}.{key}", "must be true or false")
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

    def choice(
        self, table: dict[str, Any], key: str, at: str, choices: tuple[str, ...]
    ) -> str:
        value = table.get(key, choices[0])
        if value not in choices:
            raise self.error(f"{at}.{key}", "must be one of " + ", ".join(choices))
        return str(value)

    def domains(self, table: dict[str, Any], key: str, at: str) -> tuple[str, ...]:
        values = self.strings(table, key, at, ())
        for value in values:
            if "@" in value or "." not in value or " " in value:
                raise self.error(
                    f"{at}.{key}", f"{value!r} is not a domain like example.com"
                )
        return tuple(value.lower().strip(".") for value in values)

    def linking(self, table: dict[str, Any]) -> LinkingConfig:
        at = "linking"
        self.no_unknown_keys(table, LINKING_KEYS, at)
        fuzzy = self.integer(table, "fuzzy_threshold", at, 97, 50, 100)
        review = self.integer(table, "review_threshold", at, 80, 0, 100)
        if review > fuzzy:
            raise self.error(
                f"{at}.review_threshold",
                f"must not be above fuzzy_threshold ({fuzzy})",
            )
        roles = self.strings(table, "role_addresses", at, ())
        for role in roles:
            if "@" in role:
                raise self.error(
                    f"{at}.role_addresses",
                    f"{role!r}: give the part before the @ only, like 'accounts'",
                )
        return LinkingConfig(
            fold_plus_tags=self.boolean(table, "fold_plus_tags", at, True),
            fuzzy_threshold=fuzzy,
            review_threshold=review,
            own_domains=self.domains(table, "own_domains", at),
            free_mail_domains=self.domains(table, "free_mail_domains", at),
            role_addresses=tuple(role.lower() for role in roles),
            create_contacts=self.choice(table, "create_contacts", at, CREATE_CONTACTS),
            create_companies=self.choice(
                table, "create_companies", at, CREATE_COMPANIES
            ),
        )

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

    def agent(self, table: dict[str, Any]) -> AgentConfig:
        self.no_unknown_keys(table, AGENT_KEYS, "agent")
        day = 24 * 3600
        return AgentConfig(
            idle=self.boolean(table, "idle", "agent", True),
            poll_interval=self.integer(table, "poll_interval", "agent", 300, 1, day),
            idle_renewal=self.integer(
                table, "idle_renewal", "agent", 600, 1, IDLE_RENEWAL_MAX
            ),
            lease_duration=self.integer(table, "lease_duration", "agent", 120, 3, 3600),
            reconnect_delay_max=self.integer(
                table, "reconnect_delay_max", "agent", 300, 1, 3600
            ),
            shutdown_timeout=self.integer(
                table, "shutdown_timeout", "agent", 30, 1, 3600
            ),
        )

    def rules(self, table: dict[str, Any], business: BusinessConfig) -> RulesConfig:
        self.no_unknown_keys(table, RULES_KEYS, "rules")
        folder = Path(self.string(table, "folder", "rules", default="rules"))
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):
            raise self.error("rules.enabled", "must be true or false")
        return RulesConfig(
            folder=folder if folder.is_absolute() else self.path.parent / folder,
            enabled=enabled,
            since=self._moment(table.get("since"), "rules.since", business),
            sender_cap=self.integer(table, "sender_cap", "rules", 20, 1, 100000),
            sender_cap_hours=self.integer(
                table, "sender_cap_hours", "rules", 24, 1, 24 * 366
            ),
        )

    def tickets(self, table: dict[str, Any]) -> TicketsConfig:
        self.no_unknown_keys(table, TICKETS_KEYS, "tickets")
        prefix = self.string(table, "prefix", "tickets", default="T")
        if not prefix.isascii() or not prefix.isalnum() or len(prefix) > 10:
            raise self.error(
                "tickets.prefix", "must be 1-10 ASCII letters or digits, like CRM"
            )
        return TicketsConfig(prefix=prefix.upper())

    def user(
        self,
        name: str,
        table: dict[str, Any],
        business: BusinessConfig,
        mailboxes: set[str],
    ) -> UserConfig:
        at = f"users.{name}"
        self.no_unknown_keys(table, USER_KEYS, at)
        email = self.optional_string(table, "email", at)
        if email is not None and "@" not in email:
            raise self.error(f"{at}.email", "must be an email address")
        owned = self.strings(table, "mailboxes", at, ())
        for mailbox in owned:
            if mailbox not in mailboxes:
                known = ", ".join(sorted(mailboxes)) or "none"
                raise self.error(
                    f"{at}.mailboxes", f"no mailbox named {mailbox!r} ({known})"
                )
        return UserConfig(
            name=name,
            email=email.lower() if email else None,
            business=self.business(table, at, business),
            mailboxes=owned,
        )

    def business(
        self, table: dict[str, Any], at: str, default: BusinessConfig
    ) -> BusinessConfig:
        timezone = self.string(table, "timezone", at, default=default.timezone)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.error(
                f"{at}.timezone", "not an IANA timezone, like Europe/Berlin or UTC"
            ) from None
        country = table.get("country", default.country)
        subdivision = table.get("subdivision", default.subdivision)
        if "country" in table and "subdivision" not in table:
            subdivision = None
        self._holiday_region(country, subdivision, at)
        start = self._clock(table, "start", at, default.start)
        end = self._clock(table, "end", at, default.end)
        if end <= start:
            raise self.error(f"{at}.end", "must be later than start")
        return BusinessConfig(
            timezone=timezone,
            country=country,
            subdivision=subdivision,
            days=self._weekdays(table, at, default.days),
            start=start,
            end=end,
        )

    def _holiday_region(self, country: object, subdivision: object, at: str) -> None:
        if country is None:
            if subdivision is not None:
                raise self.error(f"{at}.subdivision", "needs a country as well")
            return
        supported = holidays.list_supported_countries()
        if not isinstance(country, str) or country.upper() not in supported:
            raise self.error(
                f"{at}.country",
                "must be an ISO 3166 country code the holidays library knows, "
                "like DE, GB or US",
            )
        regions = supported[country.upper()]
        if subdivision is not None and subdivision not in regions:
            raise self.error(
                f"{at}.subdivision",
                f"unknown for {country}; allowed: {', '.join(regions)}",
            )

    def _clock(self, table: dict[str, Any], key: str, at: str, default: time) -> time:
        value = table.get(key)
        if value is None:
            return default
        try:
            return time.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            raise self.error(f"{at}.{key}", "must be a time like 09:00") from None

    def _weekdays(
        self, table: dict[str, Any], at: str, default: tuple[int, ...]
    ) -> tuple[int, ...]:
        if "days" not in table:
            return default
        names = self.strings(table, "days", at, ())
        days = []
        for day in names:
            if day.lower() not in WEEKDAYS:
                raise self.error(f"{at}.days", f"{day!r}: use {', '.join(WEEKDAYS)}")
            days.append(WEEKDAYS.index(day.lower()))
        if not days:
            raise self.error(f"{at}.days", "must name at least one weekday")
        return tuple(sorted(set(days)))

    def _moment(
        self, value: object, key: str, business: BusinessConfig
    ) -> datetime | None:
        if value is None:
            return None
        zone = ZoneInfo(business.timezone)
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=zone)
            return moment.astimezone(UTC)
        if isinstance(value, date):
            return datetime.combine(value, time(0), zone).astimezone(UTC)
        raise self.error(key, "must be a TOML date or date-time, like 2026-12-01")
