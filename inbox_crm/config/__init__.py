"""The configuration file: one TOML document, validated into typed settings.

`load_config` reads and checks the file; each table has its reader module
(mailboxes, business, linking, agent; outreach and SMTP live with the
outbox), and `model` holds the typed values every part of inbox-crm uses.
"""

from inbox_crm.config.load import config_path, load_config, parse_config
from inbox_crm.config.model import (
    AgentConfig,
    BusinessConfig,
    Config,
    DigestConfig,
    LinkingConfig,
    MailboxConfig,
    RulesConfig,
    SyncConfig,
    TicketsConfig,
    UserConfig,
)
from inbox_crm.config.reader import Reader

__all__ = [
    "AgentConfig",
    "BusinessConfig",
    "Config",
    "DigestConfig",
    "LinkingConfig",
    "MailboxConfig",
    "Reader",
    "RulesConfig",
    "SyncConfig",
    "TicketsConfig",
    "UserConfig",
    "config_path",
    "load_config",
    "parse_config",
]
