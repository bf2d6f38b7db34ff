"""Mail synced from a real Dovecot is linked to contacts in the same pass."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from inbox_crm.config import LinkingConfig, SyncConfig
from inbox_crm.contacts.linker import Linker
from inbox_crm.contacts.models import Company, Contact, ParticipantLink
from inbox_crm.imap.poller import Poller
from inbox_crm.storage.db import Database
from inbox_crm.storage.models import Participant
from tests.imap.conftest import mailbox_config
from tests.servers.dovecot import ImapAccount

EML = Path(__file__).parent.parent / "mail" / "eml"
OWN = "sales@example.org"


def test_synced_mail_is_linked_and_only_people_become_contacts(
    database: Database, account: ImapAccount, sync_config: SyncConfig
) -> None:
    names = ["normal.eml", "mailing_list.eml", "bounce_postfix.eml", "exchange_oof.eml"]
    account.bulk_load([(EML / name).read_bytes() for name in names])
    mailbox = mailbox_config(account, addresses=(OWN,))
    linker = Linker(LinkingConfig(), [OWN])

    poller = Poller(database, mailbox, sync_config, backoff=0.05, linker=linker)
    report = asyncio.run(poller.run_once())

    assert not report.errors
    with database.session() as session:
        contacts = session.scalars(select(Contact)).all()
        assert [(c.name, c.primary_address) for c in contacts] == [
            ("Client Person", "client.person+crm@example.com")
        ]
        assert [c.name for c in session.scalars(select(Company))] == ["Example"]
        linked = session.execute(
            select(Participant.address, ParticipantLink.method)
            .join(ParticipantLink, ParticipantLink.participant_id == Participant.id)
            .where(ParticipantLink.contact_id.is_not(None))
        ).all()
        assert linked == [("client.person+crm@example.com", "exact")]
