"""Plugging the rules into the agent: loading them and the ingestion hook."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from inbox_crm.config import Config
from inbox_crm.outreach.rules_queue import OutboxQueue
from inbox_crm.rules.check import template_problems
from inbox_crm.rules.engine import RulesEngine
from inbox_crm.rules.loader import load_rules
from inbox_crm.rules.model import RuleSet
from inbox_crm.rules.outreach import OutreachQueue
from inbox_crm.rules.reload import RuleReloader
from inbox_crm.storage.models import Message

log = logging.getLogger(__name__)


def configured_rules(config: Config) -> RuleSet:
    """The configured rule set; RuleSetError (and no start) when it is invalid.

    A missing rules folder is an empty rule set, so an installation from before
    rules existed goes on working, with a warning each time the rules load;
    `inbox-crm rules check` reports it as an error.
    """
    folder = config.rules.folder
    if not config.rules.enabled or not folder.is_dir():
        if config.rules.enabled:
            log.warning(
                "no rules folder at %s: no rules run; create it, fix [rules] "
                "folder, or set [rules] enabled = false",
                folder,
            )
        return RuleSet()
    rules = load_rules(folder, config.users)
    log.info("%s rules loaded from %s", len(rules.rules), folder)
    for problem in template_problems(rules, config.outreach.templates):
        log.warning("%s; its outreach will fail until the template exists", problem)
    return rules


def configured_engine(
    config: Config, outreach: OutreachQueue | None = None, watch: bool = False
) -> RulesEngine:
    """The rules of `config`; outreach goes to the outbox unless `outreach` is given.

    With `watch`, the engine reloads the rule files when they change.
    """
    queue = outreach if outreach is not None else OutboxQueue(config)
    reloader = RuleReloader(config) if watch else None
    engine = RulesEngine(config, configured_rules(config), queue)
    engine.reloader = reloader
    return engine


class RulesHook:
    """Runs the rules on each message ingestion stores, in its transaction.

    A failure here never loses the message: it is logged with its traceback,
    the rules' own writes for that message are rolled back, and
    `inbox-crm rules run` can apply them later.
    """

    def __init__(self, engine: RulesEngine) -> None:
        self.engine = engine

    def __call__(self, session: Session, message: Message) -> None:
        self.engine.refresh()
        try:
            with session.begin_nested():
                self.engine.on_message(session, message)
        except Exception:  # the message is stored whatever the rules do
            log.exception("rules could not run on message %s", message.id)
