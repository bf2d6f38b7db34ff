"""Finding, reading and validating the configuration file."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from inbox_crm.config.agent import read_agent
from inbox_crm.config.business import (
    BUSINESS_KEYS,
    read_business,
    read_rules,
    read_tickets,
    read_user,
)
from inbox_crm.config.linking import read_linking
from inbox_crm.config.mailboxes import read_mailbox
from inbox_crm.config.model import BusinessConfig, Config, SyncConfig
from inbox_crm.config.reader import Reader
from inbox_crm.errors import ConfigError
from inbox_crm.outreach.settings import read_outreach

DEFAULT_PATH = Path("inbox-crm.toml")
ENV_VAR = "INBOX_CRM_CONFIG"

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
        if path.name == DEFAULT_PATH.name:
            how = f"create one with `inbox-crm init {path.parent}`"
        else:
            how = (
                f"`inbox-crm init DIR` writes DIR/{DEFAULT_PATH.name}, which you "
                f"can move to {path}"
            )
        raise ConfigError(
            f"{path}: no configuration file here; {how}, or pass --config PATH"
        )
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(document, path)


def parse_config(document: dict[str, Any], path: Path) -> Config:
    reader = Reader(path)
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
        mailboxes[name] = read_mailbox(reader, name, table)
    business_table = reader.table(document, "business")
    reader.no_unknown_keys(business_table, BUSINESS_KEYS, "business")
    business = read_business(reader, business_table, "business", BusinessConfig())
    users = {}
    for name, table in reader.table(document, "users").items():
        if not isinstance(table, dict):
            raise reader.error(f"users.{name}", "must be a table of settings")
        users[name] = read_user(reader, name, table, business, set(mailboxes))

    outreach_table = reader.table(document, "outreach")
    outreach = read_outreach(reader, outreach_table, path.parent)
    if outreach.mailbox is not None and outreach.mailbox not in mailboxes:
        raise reader.error("outreach.mailbox", f"no mailbox named {outreach.mailbox!r}")
    return Config(
        path=path,
        database_url=url,
        mailboxes=mailboxes,
        sync=sync,
        rules=read_rules(reader, reader.table(document, "rules"), business),
        tickets=read_tickets(reader, reader.table(document, "tickets")),
        business=business,
        users=users,
        agent=read_agent(reader, reader.table(document, "agent")),
        linking=read_linking(reader, reader.table(document, "linking")),
        outreach=outreach,
    )
