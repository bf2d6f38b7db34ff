"""What a configured ingestion does with each new message: link it, then rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inbox_crm.config import Config
from inbox_crm.contacts.linker import Linker
from inbox_crm.ingest.pipeline import MessageObserver
from inbox_crm.rules.engine import RulesEngine
from inbox_crm.rules.hook import RulesHook, configured_engine


@dataclass(frozen=True)
class Steps:
    """The linker and the observers an Ingestor or Poller is given.

    `engine` is the rules engine of the observers, for the agent's sweep to share.
    """

    linker: Linker
    observers: tuple[MessageObserver, ...]
    engine: RulesEngine | None = None


def configured_steps(
    config: Config, extra_addresses: Iterable[str] = (), watch: bool = False
) -> Steps:
    """Linking and the rules as `config` sets them up.

    Raises ConfigError for an invalid rule set, so that nothing is ingested
    under rules that cannot run. `extra_addresses` count as the user's own,
    beside the configured mailboxes' addresses. With `watch` (the agent), the
    rules are reloaded when their files change.
    """
    own = [*config.own_addresses, *extra_addresses]
    engine = configured_engine(config, watch=watch)
    return Steps(Linker(config.linking, own), (RulesHook(engine),), engine)
