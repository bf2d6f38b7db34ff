"""An imported company taking over the one the mail made for the same domain.

Mail makes a company from a domain and names it after the domain (acme.co.uk
gives Acme). A contact list knows better, so an import that names a company
for that domain takes the mail-made one over: the imported name replaces the
made-up one and its domains, contacts, links and work stay. A company that
was imported or renamed by hand is somebody's decision and is never taken.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from inbox_crm.contacts.creation import company_name
from inbox_crm.contacts.models import Company, Contact, ParticipantLink
from inbox_crm.storage.tracking import Activity, RuleFiring, Ticket

log = logging.getLogger(__name__)

# Everything that names a company and follows it when two become one.
_COMPANY_COLUMNS = (
    Contact.company_id,
    ParticipantLink.company_id,
    Activity.company_id,
    Ticket.company_id,
    RuleFiring.company_id,
)


def made_by_mail(company: Company) -> bool:
    """Tell whether `company` is still as the mail made it, name and all."""
    if company.source != "auto":
        return False
    return any(company.name == company_name(d.domain) for d in company.domains)


def take_over(
    session: Session, made: Company, named: Company | None, name: str
) -> Company:
    """Make the mail-made company `named` (or, without one, rename it `name`)."""
    if named is None:
        log.info("company %s (%s) renamed %s by import", made.id, made.name, name)
        made.name = name
        made.source = "import"
        session.flush()
        return made

    for domain in list(made.domains):
        domain.company = named
    session.flush()
    for column in _COMPANY_COLUMNS:
        session.execute(
            update(column.class_)
            .where(column == made.id)
            .values({column.key: named.id})
        )
    named.tags = list(dict.fromkeys([*(named.tags or []), *(made.tags or [])]))
    # Its contacts and domains have moved: reload before deleting, so the
    # delete does not clear them on the way out.
    session.expire(made)
    session.delete(made)
    session.flush()
    session.expire(named)
    log.info("company %s merged into company %s by import", made.id, named.id)
    return named
