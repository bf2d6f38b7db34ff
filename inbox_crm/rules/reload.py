"""Noticing edited rule files while the agent runs, and loading them again.

A changed set that is invalid is logged as an error with each problem and
not used: the rules loaded before go on running until the files are fixed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from inbox_crm.config import Config
from inbox_crm.rules.loader import rule_files
from inbox_crm.rules.model import RuleSet
from inbox_crm.rules.problems import RuleSetError

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...] | None


def signature(folder: Path) -> Signature:
    """The name, modification time and size of each rule file (None: no folder)."""
    if not folder.is_dir():
        return None
    found = []
    for path in rule_files(folder):
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(found)


class RuleReloader:
    """Loads the configured rule files again when they have changed."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.seen = signature(config.rules.folder)

    def changed(self) -> RuleSet | None:
        """The new rule set if the files changed and are valid, else None."""
        now = signature(self.config.rules.folder)
        if now == self.seen:
            return None
        self.seen = now
        # Imported here: the hook module builds engines that hold a reloader.
        from inbox_crm.rules.hook import configured_rules

        try:
            rules = configured_rules(self.config)
        except RuleSetError as exc:
            log.error(
                "the rule files in %s changed but are invalid; the rules loaded "
                "before stay in use until they are fixed: %s",
                self.config.rules.folder,
                exc,
            )
            return None
        log.info(
            "the rule files in %s changed: %s rules reloaded",
            self.config.rules.folder,
            len(rules.rules),
        )
        return rules
