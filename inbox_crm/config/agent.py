"""The [agent] table: how `inbox-crm run` follows the mailboxes."""

from __future__ import annotations

from typing import Any

from inbox_crm.config.model import AgentConfig
from inbox_crm.config.reader import Reader

AGENT_KEYS = {
    "idle",
    "poll_interval",
    "idle_renewal",
    "lease_duration",
    "reconnect_delay_max",
    "shutdown_timeout",
    "sweep_interval",
    "outbox_interval",
}

# RFC 2177: a client should re-issue IDLE at least every 29 minutes.
IDLE_RENEWAL_MAX = 29 * 60


def read_agent(reader: Reader, table: dict[str, Any]) -> AgentConfig:
    reader.no_unknown_keys(table, AGENT_KEYS, "agent")
    day = 24 * 3600
    return AgentConfig(
        idle=reader.boolean(table, "idle", "agent", True),
        poll_interval=reader.integer(table, "poll_interval", "agent", 300, 1, day),
        idle_renewal=reader.integer(
            table, "idle_renewal", "agent", 600, 1, IDLE_RENEWAL_MAX
        ),
        lease_duration=reader.integer(table, "lease_duration", "agent", 120, 3, 3600),
        reconnect_delay_max=reader.integer(
            table, "reconnect_delay_max", "agent", 300, 1, 3600
        ),
        shutdown_timeout=reader.integer(
            table, "shutdown_timeout", "agent", 30, 1, 3600
        ),
        sweep_interval=reader.integer(table, "sweep_interval", "agent", 300, 1, day),
        outbox_interval=reader.integer(table, "outbox_interval", "agent", 30, 1, 3600),
    )
