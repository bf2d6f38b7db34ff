"""Making the contacts and companies the policy asks for, for a whole batch at once.

One person met several times in a batch becomes one contact; one domain,
one company. Rows are inserted in bulk, so a batch costs a few statements
however many people it introduces.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from inbox_crm.contacts.addresses import fold
from inbox_crm.contacts.directory import Directory
from inbox_crm.contacts.ladder import Decision, Match, Seen
from inbox_crm.contacts.models import Company, CompanyDomain, Contact, ContactAddress
from inbox_crm.contacts.names import name_key, person_name
from inbox_crm.contacts.policy import CreatePolicy
from inbox_crm.storage.models import utcnow

log = logging.getLogger(__name__)


@dataclass
class Created:
    """The new contacts' links by address, and how many rows were made."""

    matches: dict[str, Match] = field(default_factory=dict)
    contacts: int = 0
    companies: int = 0


def create_wanted(
    session: Session,
    decided: Iterable[tuple[Seen, Decision]],
    policy: CreatePolicy,
    directory: Directory,
) -> Created:
    """Create what `policy` wants for these participants; index it in `directory`."""
    wanted: dict[str, tuple[Seen, Decision]] = {}
    for seen, decision in decided:
        address = seen.address.lower()
        if address not in wanted and policy.contact(seen, decision):
            wanted[address] = (seen, decision)
    created = Created()
    if not wanted:
        return created

    created.companies = _companies(session, wanted.values(), policy, directory)
    rows = [
        _contact_row(seen, decision, policy, directory)
        for seen, decision in wanted.values()
    ]
    ids = _insert(session, Contact, rows)
    session.execute(
        insert(ContactAddress),
        [
            {
                "contact_id": contact_id,
                "address": address,
                "folded": fold(address),
                "primary": True,
                "source": "auto",
            }
            for contact_id, address in zip(ids, wanted, strict=True)
        ],
    )

    for contact_id, address, row in zip(ids, wanted, rows, strict=True):
        directory.add_contact(contact_id, row["name"], row["company_id"], [])
        directory.add_address(contact_id, address, True)
        created.matches[address] = Match("exact", 1.0, contact_id, row["company_id"])
        log.info("contact %s created for %s", contact_id, address)
    created.contacts = len(ids)
    return created


def _contact_row(
    seen: Seen, decision: Decision, policy: CreatePolicy, directory: Directory
) -> dict[str, Any]:
    company_id = decision.match.company_id if decision.match else None
    if company_id is None and decision.company_domain and policy.company(decision):
        company_id = directory.domains.get(decision.company_domain)
    name = person_name(seen.name)
    now = utcnow()
    return {
        "name": name,
        "name_key": name_key(name),
        "company_id": company_id,
        "tags": [],
        "phones": [],
        "notes": "",
        "custom_fields": {},
        "source": "auto",
        "created_at": now,
        "updated_at": now,
    }


def _companies(
    session: Session,
    wanted: Iterable[tuple[Seen, Decision]],
    policy: CreatePolicy,
    directory: Directory,
) -> int:
    """Make the companies new contacts need, by domain; return how many."""
    domains = sorted(
        {
            decision.company_domain
            for _, decision in wanted
            if decision.company_domain
            and policy.company(decision)
            and decision.company_domain not in directory.domains
        }
    )
    if not domains:
        return 0
    now = utcnow()
    rows = [
        {
            "name": company_name(domain),
            "tags": [],
            "notes": "",
            "source": "auto",
            "created_at": now,
            "updated_at": now,
        }
        for domain in domains
    ]
    ids = _insert(session, Company, rows)
    session.execute(
        insert(CompanyDomain),
        [
            {"company_id": company_id, "domain": domain}
            for company_id, domain in zip(ids, domains, strict=True)
        ],
    )
    for company_id, domain in zip(ids, domains, strict=True):
        directory.add_company(company_id, [domain])
        log.info("company %s created for %s", company_id, domain)
    return len(ids)


def _insert(
    session: Session, model: type[Contact] | type[Company], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert `rows` in one statement; their new ids, in the rows' order."""
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    statement = statement.execution_options(render_nulls=True)
    return list(session.scalars(statement, rows))


def company_name(domain: str) -> str:
    """A first name for a company known only by its domain: acme.co.uk gives Acme."""
    label = domain.split(".")[0]
    return "-".join(part.capitalize() for part in label.split("-")) or domain
