"""What a configured ingestion does with each new message: link it, then rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inbox_crm.config import Config
from inbox_crm.contacts.linker import Linker
from inbox_crm.ingest.pipeline import MessageObserver
from inbox_crm.rules.hook import RulesHook, configured_engine


@dataclass(frozen=True)
class Steps:
    """The linker and the observers an Ingestor or Poller is given."""

    linker: Linker
    observers: tuple[MessageObserver, ...]


def configured_steps(config: Config, extra_addresses: Iterable[str] = ()) -> Steps:
    """Linking and the rules as `config` sets them up.

    Raises ConfigError for an invalid rule set, so that nothing is ingested
    under rules that cannot run. `extra_addresses` count as the user's own,
    beside the configured mailboxes' addresses.
    """
    own = [*config.own_addresses, *extra_addresses]
    hook = RulesHook(configured_engine(config))
    return Steps(Linker(config.linking, own), (hook,))
