"""Whose business calendar applies: a user's, a mailbox's user's, or the default."""

from __future__ import annotations

from inbox_crm.businesstime.calendar import BusinessCalendar
from inbox_crm.config import Config


class Calendars:
    """Business calendars of the configured users, built once each."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.default = BusinessCalendar(config.business)
        self._users = {
            name: BusinessCalendar(user.business) for name, user in config.users.items()
        }

    def for_user(self, name: str | None) -> BusinessCalendar:
        if name is None:
            return self.default
        return self._users.get(name, self.default)

    def mailbox_user(self, mailbox: str | None) -> str | None:
        if mailbox is None:
            return None
        user = self.config.mailbox_user(mailbox)
        return user.name if user else None

    def for_rule(self, rule_user: str | None, mailbox: str | None) -> BusinessCalendar:
        """The rule's own user, else the mailbox's user, else the default."""
        return self.for_user(rule_user or self.mailbox_user(mailbox))
