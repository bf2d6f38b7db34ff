"""The auto-create policy: when a participant may become a contact or company.

By default a contact is made for a person the user has written to, or who
wrote personally (normal mail, not a list, bulk mail, auto-reply or bounce),
never for a role or machine address; a company is made only from a domain
that is neither free-mail, disposable nor the user's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox_crm.contacts.addresses import is_role_address
from inbox_crm.contacts.domains import is_disposable
from inbox_crm.contacts.ladder import Decision, Seen

RECIPIENT_ROLES = frozenset({"to", "cc", "bcc"})


@dataclass(frozen=True)
class CreatePolicy:
    """Which participants become contacts and companies of their own."""

    contacts: str = "personal"
    companies: str = "auto"
    role_addresses: frozenset[str] = frozenset()

    def contact(self, seen: Seen, decision: Decision) -> bool:
        """Tell whether this participant should become a new contact."""
        if decision.skip or decision.list_rewritten or decision.review:
            return False
        if decision.match is not None and decision.match.contact_id is not None:
            return False
        if self.contacts == "never" or seen.kind != "normal" or seen.bulk:
            return False
        if is_role_address(seen.address, self.role_addresses):
            return False
        if is_disposable(seen.address.rpartition("@")[2]):
            return False
        written = seen.direction == "outbound" and seen.role in RECIPIENT_ROLES
        wrote = seen.direction == "inbound" and seen.role == "from"
        if self.contacts == "written":
            return written
        return written or wrote

    def company(self, decision: Decision) -> bool:
        """Tell whether a new contact's domain should become a new company."""
        if self.companies == "never" or decision.company_domain is None:
            return False
        return decision.match is None or decision.match.company_id is None
