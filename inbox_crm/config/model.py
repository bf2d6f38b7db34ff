"""The settings as typed, frozen values: one class per table of the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from inbox_crm.errors import ConfigError
from inbox_crm.outreach.settings import OutreachConfig, SmtpConfig

DEFAULT_FOLDERS = ("INBOX", "\\Sent")


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
    sweep_interval: int = 300
    outbox_interval: int = 30


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
class DigestConfig:
    """Whether, when and from where a user gets the daily digest."""

    enabled: bool = False
    at: time = time(8, 0)
    skip_empty: bool = True
    mailbox: str | None = None


@dataclass(frozen=True)
class UserConfig:
    """A person who owns activities and tickets, with their business time."""

    name: str
    email: str | None = None
    business: BusinessConfig = field(default_factory=BusinessConfig)
    mailboxes: tuple[str, ...] = ()
    digest: DigestConfig = field(default_factory=DigestConfig)


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
