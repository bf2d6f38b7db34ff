"""An in-memory index of the contacts and companies a batch of mail may meet.

The linker fills one from the database for each batch (only the rows that the
batch's addresses, domains and names can reach); the benchmark fills one with
the whole labelled set. Every lookup is a dictionary access.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from inbox_crm.contacts.addresses import fold
from inbox_crm.contacts.names import comparable, name_key


@dataclass(frozen=True, slots=True)
class ContactEntry:
    """What the ladder needs to know of one contact."""

    id: int
    name: str
    company_id: int | None
    words: str  # the name made comparable, once


@dataclass
class Directory:
    """Contacts by address, folded address, company and name key; companies by domain.

    `fold_plus_tags` must be the setting the ladder folds participants with.
    """

    fold_plus_tags: bool = True
    contacts: dict[int, ContactEntry] = field(default_factory=dict)
    addresses: dict[str, tuple[int, bool]] = field(default_factory=dict)
    folded: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    domains: dict[str, int] = field(default_factory=dict)
    company_domains: dict[int, list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )
    company_labels: dict[int, set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )
    company_prefixes: dict[int, set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )
    by_company: dict[int, list[ContactEntry]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_name_key: dict[str, list[ContactEntry]] = field(
        default_factory=lambda: defaultdict(list)
    )
    rejected: set[tuple[str, int]] = field(default_factory=set)
    ignored_addresses: set[str] = field(default_factory=set)
    ignored_domains: set[str] = field(default_factory=set)

    def add_contact(
        self,
        contact_id: int,
        name: str,
        company_id: int | None,
        addresses: Iterable[tuple[str, bool]],
    ) -> None:
        """Index a contact and its (address, primary) pairs."""
        if contact_id not in self.contacts:
            entry = ContactEntry(contact_id, name, company_id, comparable(name))
            self.contacts[contact_id] = entry
            if company_id is not None:
                self.by_company[company_id].append(entry)
            key = name_key(name)
            if key:
                self.by_name_key[key].append(entry)
        for address, primary in addresses:
            self.add_address(contact_id, address, primary)

    def add_address(self, contact_id: int, address: str, primary: bool) -> None:
        address = address.lower()
        self.addresses[address] = (contact_id, primary)
        self.folded[fold(address, self.fold_plus_tags)].add(contact_id)

    def add_company(self, company_id: int, domains: Iterable[str]) -> None:
        for domain in domains:
            domain = domain.lower()
            if self.domains.get(domain) != company_id:
                self.domains[domain] = company_id
                self.company_domains[company_id].append(domain)
                label = domain.partition(".")[0]
                self.company_labels[company_id].add(label)
                self.company_prefixes[company_id].update(hyphen_prefixes(label))

    def related(self, company_id: int, label: str, prefixes: set[str]) -> bool:
        """Tell whether a domain labelled `label` is the company's or a sibling.

        acme-labs.com is related to acme.com, and acme.de to acme.com: one
        label is the other's, or starts with it and a hyphen.
        """
        if label in self.company_prefixes.get(company_id, ()):
            return True
        return not prefixes.isdisjoint(self.company_labels.get(company_id, ()))

    def company_contacts(self, company_id: int) -> list[ContactEntry]:
        return self.by_company.get(company_id, [])

    def named(self, key: str) -> list[ContactEntry]:
        return self.by_name_key.get(key, [])


def hyphen_prefixes(label: str) -> list[str]:
    """acme-labs-eu gives acme, acme-labs and acme-labs-eu."""
    parts = label.split("-")
    return ["-".join(parts[: end + 1]) for end in range(len(parts))]
